import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AuditRecord, combineAuditSinks, createHttpAuditSink, JsonlAuditSink } from '../../activities/audit/index.ts';
import { ConfigError, loadConfig } from '../../runtime/config.ts';
import { auditFile } from '../../runtime/wiring.ts';
import { type HttpReceiver, startReceiver } from '../support/httpReceiver.ts';

const HEC_TOKEN = '5f2b6c1e-hec-t0ken-9a8b7c6d5e4f';
const HOOK_SECRET = 'hk_s3cr3t_path_t0ken';

function record(id: string, incidentId = 'brute-force:203.0.113.77'): AuditRecord {
  return {
    id,
    at: '2025-03-04T05:06:07.890Z',
    phase: 'after',
    action: 'block.apply',
    point: 'edl',
    target: '203.0.113.77',
    parameters: { expiresAt: '2025-03-05T05:06:07.000Z' },
    trigger: { incidentId, alertIds: ['evt-1'], blockWorkflowId: 'riposte-blocks:riposte:17', reason: 'brute force' },
    actor: { kind: 'principal', name: 'alice' },
    policyVersion: 'pv-9',
    activity: null,
    result: 'success',
    durationMs: 3,
  };
}

function captureLog() {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => lines.push({ level, message, fields });
  return { lines, log: { info: at('info'), warn: at('warn'), error: at('error') }, text: () => JSON.stringify(lines) };
}

const fast = { first: 20, max: 100 };
const closeWaitMs = 300;

describe('HTTP audit sinks', () => {
  const receivers: HttpReceiver[] = [];
  const receiver = async (answer?: Parameters<typeof startReceiver>[0]) => {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  };
  after(() => Promise.all(receivers.map((r) => r.close())));

  test('Splunk HEC: POST <url>/services/collector/event, "Authorization: Splunk <token>", one event object per record', async () => {
    const hec = await receiver(() => ({ status: 200, body: '{"text":"Success","code":0}' }));
    const { log } = captureLog();
    const sink = createHttpAuditSink({ format: 'splunk-hec', url: `${hec.url}/`, token: HEC_TOKEN, log, retryDelaysMs: fast, closeWaitMs });
    await sink.append([record('id-1'), record('id-2')]);
    assert.equal(await sink.flush(5_000), true);
    await sink.close();

    assert.equal(hec.requests.length, 1);
    const [req] = hec.requests;
    assert.equal(req!.method, 'POST');
    assert.equal(req!.url, '/services/collector/event');
    assert.equal(req!.headers.authorization, `Splunk ${HEC_TOKEN}`);
    assert.match(String(req!.headers['content-type']), /^application\/json/);
    const events = req!.body.split('\n').map((line) => JSON.parse(line));
    assert.equal(events.length, 2);
    assert.deepEqual(Object.keys(events[0]).sort(), ['event', 'host', 'source', 'sourcetype', 'time']);
    assert.equal(events[0].sourcetype, 'riposte:audit');
    assert.equal(events[0].source, 'riposte');
    assert.equal(events[0].time, Date.parse('2025-03-04T05:06:07.890Z') / 1000);
    assert.deepEqual(events[0].event, record('id-1'));
    assert.equal(events[1].event.id, 'id-2', 'the idempotency key travels with each event, for the receiver to dedupe');
    assert.deepEqual(sink.stats(), { queued: 0, sent: 2, failedAttempts: 0, dropped: 0 });
  });

  test('a full HEC URL is used as given; a generic JSON receiver gets an array of records', async () => {
    const hec = await receiver();
    const hecSink = createHttpAuditSink({ format: 'splunk-hec', url: `${hec.url}/services/collector/event`, token: HEC_TOKEN, log: captureLog().log });
    await hecSink.append([record('a')]);
    await hecSink.close();
    assert.equal(hec.requests[0]!.url, '/services/collector/event');

    const hook = await receiver();
    const hookSink = createHttpAuditSink({ format: 'json', url: `${hook.url}/in/${HOOK_SECRET}`, log: captureLog().log });
    await hookSink.append([record('b'), record('c')]);
    await hookSink.close();
    assert.equal(hook.requests[0]!.url, `/in/${HOOK_SECRET}`);
    assert.deepEqual(JSON.parse(hook.requests[0]!.body), [record('b'), record('c')]);
  });

  test('containment never waits for the SIEM: append returns at once while the receiver hangs', async () => {
    // A receiver that reads the request and never answers.
    const server = createServer(() => undefined);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const sink = createHttpAuditSink({ format: 'json', url, log: captureLog().log, timeoutMs: 200, retryDelaysMs: fast, closeWaitMs });
    const started = Date.now();
    await sink.append([record('slow')]);
    assert.ok(Date.now() - started < 50, 'append must not wait for delivery');
    assert.equal(sink.stats().queued, 1);
    await sink.close();
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  });

  test('5xx, 429 and network failures are retried in order until delivered; failures are logged without secrets', async () => {
    const hec = await receiver((_req, i) => (i === 0 ? { status: 503, body: 'busy' } : i === 1 ? { status: 429 } : { status: 200 }));
    const { log, lines, text } = captureLog();
    const sink = createHttpAuditSink({ format: 'splunk-hec', url: hec.url, token: HEC_TOKEN, log, retryDelaysMs: fast, closeWaitMs });
    await sink.append([record('r1')]);
    await sink.append([record('r2')]);
    assert.equal(await sink.flush(5_000), true);
    await sink.close();
    const delivered = hec.requests.filter((_, i) => i >= 2).flatMap((r) => r.body.split('\n').map((l) => JSON.parse(l).event.id));
    assert.deepEqual(delivered, ['r1', 'r2']);
    assert.equal(sink.stats().failedAttempts, 2);
    assert.equal(sink.stats().dropped, 0);
    assert.ok(lines.some((l) => l.level === 'warn' && /answered 503 'busy'/.test(String(l.fields?.error))));
    assert.ok(lines.some((l) => l.level === 'info' && /again/.test(l.message)));
    assert.ok(!text().includes(HEC_TOKEN));

    const closed = await receiver();
    const port = new URL(closed.url).port;
    await closed.close();
    const unreachable = captureLog();
    const down = createHttpAuditSink({ format: 'json', url: `http://127.0.0.1:${port}/hook/${HOOK_SECRET}`, log: unreachable.log, retryDelaysMs: fast, closeWaitMs });
    await down.append([record('x')]);
    assert.equal(await down.flush(300), false);
    await down.close();
    assert.ok(down.stats().failedAttempts >= 1);
    assert.match(down.stats().lastError!, /audit webhook request failed: ECONNREFUSED/);
    assert.ok(!unreachable.text().includes(HOOK_SECRET), 'the webhook URL is a secret and never logged');
    assert.ok(unreachable.lines.some((l) => l.level === 'error' && /at shutdown/.test(l.message)));
  });

  test('a refusal (403 bad token) cannot succeed on retry: the batch is dropped, counted and logged, and the next one goes out', async () => {
    const hec = await receiver((_req, i) => (i === 0 ? { status: 403, body: `{"text":"Invalid token ${HEC_TOKEN}","code":4}` } : { status: 200 }));
    const { log, lines, text } = captureLog();
    const sink = createHttpAuditSink({ format: 'splunk-hec', url: hec.url, token: HEC_TOKEN, log, retryDelaysMs: fast, closeWaitMs });
    await sink.append([record('refused')]);
    await sink.flush(2_000);
    await sink.append([record('accepted')]);
    await sink.close();
    assert.equal(hec.requests.length, 2);
    assert.deepEqual(sink.stats(), { queued: 0, sent: 1, failedAttempts: 1, dropped: 1, lastError: 'Splunk HEC answered 403' });
    assert.ok(lines.some((l) => l.level === 'error' && /dropped/.test(l.message)));
    assert.ok(!text().includes(HEC_TOKEN), 'a receiver echoing the token is not repeated');
  });

  test('the file comes first: a record reaches the SIEM only once the file has it, and a SIEM outage never fails an append', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'riposte-audit-http-'));
    try {
      const path = join(dir, 'audit.jsonl');
      const file = await JsonlAuditSink.open(path);
      const hec = await receiver(() => ({ status: 500 }));
      const forwarder = createHttpAuditSink({ format: 'splunk-hec', url: hec.url, token: HEC_TOKEN, log: captureLog().log, retryDelaysMs: fast, closeWaitMs });
      const sink = combineAuditSinks(file, [forwarder]);
      await sink.append([record('both')]);
      assert.match(await readFile(path, 'utf8'), /"id":"both"/);
      await forwarder.flush(200);
      await sink.close();
      assert.ok(hec.requests.length >= 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('audit configuration', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'riposte-audit-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('defaults: <RIPOSTE_DATA_DIR>/audit.jsonl and no forwarder; RIPOSTE_AUDIT_FILE overrides the path', () => {
    const config = loadConfig({ RIPOSTE_DATA_DIR: dir });
    assert.deepEqual(config.audit, { file: undefined, hec: undefined, webhookUrl: undefined });
    assert.equal(auditFile(config), join(dir, 'audit.jsonl'));
    assert.equal(auditFile(loadConfig({ RIPOSTE_AUDIT_FILE: join(dir, 'x.jsonl') })), join(dir, 'x.jsonl'));
  });

  test('HEC needs both URL and token, the token may come from a file, and no message shows a secret', async () => {
    const tokenFile = join(dir, 'hec-token');
    await writeFile(tokenFile, `${HEC_TOKEN}\n`);
    assert.deepEqual(loadConfig({ RIPOSTE_AUDIT_HEC_URL: 'https://splunk.example:8088', RIPOSTE_AUDIT_HEC_TOKEN_FILE: tokenFile }).audit.hec, { url: 'https://splunk.example:8088', token: HEC_TOKEN });
    assert.throws(() => loadConfig({ RIPOSTE_AUDIT_HEC_URL: 'https://splunk.example:8088' }), (err: Error) => err instanceof ConfigError && /RIPOSTE_AUDIT_HEC_TOKEN/.test(err.message));
    assert.throws(() => loadConfig({ RIPOSTE_AUDIT_HEC_TOKEN: HEC_TOKEN }), (err: Error) => err instanceof ConfigError && !err.message.includes(HEC_TOKEN));
    assert.throws(() => loadConfig({ RIPOSTE_AUDIT_HEC_URL: 'ftp://splunk.example', RIPOSTE_AUDIT_HEC_TOKEN: HEC_TOKEN }), (err: Error) => err instanceof ConfigError && /RIPOSTE_AUDIT_HEC_URL/.test(err.message));
    const bad = `notaurl-${HOOK_SECRET}`;
    assert.throws(() => loadConfig({ RIPOSTE_AUDIT_WEBHOOK_URL: bad }), (err: Error) => err instanceof ConfigError && /RIPOSTE_AUDIT_WEBHOOK_URL/.test(err.message) && !err.message.includes(HOOK_SECRET));
    assert.equal(loadConfig({ RIPOSTE_AUDIT_WEBHOOK_URL: `https://siem.example/in/${HOOK_SECRET}` }).audit.webhookUrl, `https://siem.example/in/${HOOK_SECRET}`);
  });
});
