import { hostname } from 'node:os';
import { parseEndpoint } from '../notify/notification.ts';
import type { AuditRecord, AuditSink } from './record.ts';
import { describeFetchError } from '../fetchErrors.ts';

export interface AuditSinkLog {
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
}

export type HttpAuditSinkOptions = (
  /** Splunk HTTP Event Collector: `url` is the collector's base URL (or its full `/services/collector/event` URL). */
  | { format: 'splunk-hec'; url: string; token: string }
  /** Any JSON receiver: each request is a JSON array of audit records. The URL may carry a token, so it is a secret. */
  | { format: 'json'; url: string; headers?: Record<string, string> }
) & {
  log: AuditSinkLog;
  /** Records held in memory while the receiver is unreachable; beyond this the oldest are dropped (the file keeps them). */
  maxQueue?: number;
  maxBatch?: number;
  timeoutMs?: number;
  /** Backoff between failed attempts: doubles from the first to the last. */
  retryDelaysMs?: { first: number; max: number };
  /** How long close() keeps trying to deliver what is queued. */
  closeWaitMs?: number;
};

export interface HttpAuditSinkStats {
  queued: number;
  sent: number;
  /** Failed requests (each is retried, unless refused). */
  failedAttempts: number;
  /** Records given up on: refused by the receiver (4xx other than 408/429) or pushed out of a full queue. */
  dropped: number;
  lastError?: string;
}

export interface HttpAuditSink extends AuditSink {
  stats(): HttpAuditSinkStats;
  /** Resolves when the queue is empty or `timeoutMs` has passed; true when everything was delivered. */
  flush(timeoutMs?: number): Promise<boolean>;
}

const HEC_PATH = '/services/collector/event';

/**
 * Forwards audit records to the SIEM, in the background.
 *
 * Containment never waits on the SIEM: `append` queues and returns at once, and never fails. A background loop sends
 * the queue in order, in batches, one request at a time. Network errors, timeouts, 408, 429 and 5xx are retried with
 * exponential backoff for as long as the process runs; other 4xx answers (a bad token, say) cannot succeed on retry,
 * so that batch is dropped. Every failure is logged by receiver name and status or error code, never with the URL or
 * token, and counted in `stats()`. Each record carries its idempotency `id`, so a receiver can drop the duplicates a
 * retried request may produce. What the SIEM misses is still in the JSON-lines file, the record of truth.
 */
export function createHttpAuditSink(options: HttpAuditSinkOptions): HttpAuditSink {
  const label = options.format === 'splunk-hec' ? 'Splunk HEC' : 'audit webhook';
  const url = parseEndpoint(options.url, label);
  if (options.format === 'splunk-hec' && !url.pathname.endsWith(HEC_PATH)) url.pathname = `${url.pathname.replace(/\/+$/, '')}${HEC_PATH}`;
  const headers: Record<string, string> = options.format === 'splunk-hec'
    ? { authorization: `Splunk ${options.token}`, 'content-type': 'application/json; charset=utf-8' }
    : { ...options.headers, 'content-type': 'application/json; charset=utf-8' };
  const secrets = secretsOf(url, options.format === 'splunk-hec' ? [options.token] : Object.values(options.headers ?? {}));
  const maxQueue = options.maxQueue ?? 10_000;
  const maxBatch = options.maxBatch ?? 100;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const delays = options.retryDelaysMs ?? { first: 1_000, max: 60_000 };
  const source = hostname();

  const queue: AuditRecord[] = [];
  const counts: HttpAuditSinkStats = { queued: 0, sent: 0, failedAttempts: 0, dropped: 0 };
  let loop: Promise<void> | undefined;
  let closed = false;
  let failing = false;
  let wake: (() => void) | undefined;
  let idle: (() => void)[] = [];

  const body = (batch: readonly AuditRecord[]): string => options.format === 'splunk-hec'
    // HEC takes several events in one request as concatenated JSON objects.
    ? batch.map((record) => JSON.stringify({ time: Date.parse(record.at) / 1000, host: source, source: 'riposte', sourcetype: 'riposte:audit', event: record })).join('\n')
    : JSON.stringify(batch);

  async function send(batch: readonly AuditRecord[]): Promise<'sent' | 'retry' | 'refused'> {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers, body: body(batch), signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      return failed('retry', `request failed: ${describeFetchError(err, timeoutMs)}`);
    }
    const detail = await safeDetail(res, secrets);
    if (res.ok) return 'sent';
    const retry = res.status === 408 || res.status === 429 || res.status >= 500;
    return failed(retry ? 'retry' : 'refused', `answered ${res.status}${detail}`);
  }

  function failed<T extends 'retry' | 'refused'>(outcome: T, reason: string): T {
    counts.failedAttempts += 1;
    counts.lastError = `${label} ${reason}`;
    failing = true;
    options.log.warn('audit records not delivered to the SIEM', { sink: label, error: reason, willRetry: outcome === 'retry', queued: queue.length });
    return outcome;
  }

  async function run(): Promise<void> {
    let delay = delays.first;
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      const outcome = await send(batch);
      if (outcome === 'retry') {
        if (closed) break;
        await new Promise<void>((ok) => {
          const timer = setTimeout(ok, delay);
          wake = () => {
            clearTimeout(timer);
            ok();
          };
        });
        wake = undefined;
        delay = Math.min(delay * 2, delays.max);
        continue;
      }
      // The queue may have lost its head to overflow meanwhile; drop exactly what was sent.
      const start = queue.indexOf(batch[0]!);
      if (start >= 0) queue.splice(start, batch.length);
      if (outcome === 'sent') {
        counts.sent += batch.length;
        if (failing) options.log.info('audit records reach the SIEM again', { sink: label });
        failing = false;
      } else {
        counts.dropped += batch.length;
        options.log.error('audit records refused by the SIEM and dropped; they remain in the audit file', { sink: label, records: batch.length });
      }
      delay = delays.first;
    }
    loop = undefined;
    const waiting = idle;
    idle = [];
    for (const done of waiting) done();
  }

  async function flush(waitMs = 5_000): Promise<boolean> {
    if (!loop) return queue.length === 0;
    wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((ok) => idle.push(ok)),
      new Promise<void>((ok) => {
        timer = setTimeout(ok, waitMs);
      }),
    ]);
    clearTimeout(timer);
    return queue.length === 0;
  }

  return {
    append(records) {
      if (closed || records.length === 0) return Promise.resolve();
      queue.push(...records);
      const overflow = queue.length - maxQueue;
      if (overflow > 0) {
        // The oldest records after the batch that may be in flight at the head.
        queue.splice(Math.min(maxBatch, queue.length - overflow), overflow);
        counts.dropped += overflow;
        options.log.error('audit queue for the SIEM is full: records dropped; they remain in the audit file', { sink: label, dropped: overflow });
      }
      loop ??= run();
      return Promise.resolve();
    },
    stats: () => ({ ...counts, queued: queue.length }),
    flush,
    async close() {
      await flush(options.closeWaitMs ?? 5_000);
      closed = true;
      wake?.();
      if (queue.length > 0) options.log.error('audit records not delivered to the SIEM at shutdown; they remain in the audit file', { sink: label, records: queue.length });
    },
  };
}

/** HEC explains a refusal in `{"text": "...", "code": n}`; keep that text only when it is short, plain and secret-free. */
async function safeDetail(res: Response, secrets: string[]): Promise<string> {
  const raw = (await res.text().catch(() => '')).trim().slice(0, 300);
  let text = raw;
  try {
    const parsed = JSON.parse(raw) as { text?: unknown };
    if (typeof parsed?.text === 'string') text = parsed.text;
  } catch {
    // not JSON: keep the raw text, if it passes the checks below
  }
  if (!/^[\w.: -]{1,100}$/.test(text)) return '';
  return secrets.some((s) => text.includes(s)) ? '' : ` '${text}'`;
}

function secretsOf(url: URL, values: string[]): string[] {
  const parts = [...url.pathname.split('/'), ...url.searchParams.values(), url.password, url.username, ...values.flatMap((v) => [v, ...v.split(/\s+/)])];
  return parts.filter((p) => p.length >= 6);
}
