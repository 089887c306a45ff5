/** `riposte tail`: the live events of GET /v1/events, one line each, reconnecting until Ctrl-C. */
import type { ActionEvent } from '../api/events/actionFeed.ts';
import type { ControlEvent } from '../api/events/controlFeed.ts';
import type { IncidentEvent } from '../api/events/incidentFeed.ts';
import { ApiError, type ApiClient } from './api.ts';
import type { CommandSpec } from './commands.ts';
import { clean, CliError } from './errors.ts';
import { eventStreamParser, type StreamEvent } from './eventStream.ts';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;
/** Three missed keepalives (the API sends one every 15 s): the connection is dead even if TCP has not noticed. */
const SILENCE_MS = 45_000;

export function formatEvent({ event, data }: StreamEvent): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return `${new Date().toISOString()}  ${clean(event)}  ${clean(data)}`;
  }
  if (event === 'incident') {
    const i = parsed as unknown as IncidentEvent;
    return `${clean(i.updatedAt)}  incident  ${clean(i.id)}  ${clean(i.status)}`;
  }
  if (event === 'action') {
    const a = parsed as unknown as ActionEvent;
    const where = [a.target ? ` ${clean(a.target)}` : '', a.point ? ` at ${clean(a.point)}` : ''].join('');
    return `${clean(a.time)}  action    ${clean(a.action)}${where}: ${clean(a.outcome)}${a.incidentId ? `  (${clean(a.incidentId)})` : ''}`;
  }
  if (event === 'control') {
    const c = parsed as unknown as ControlEvent;
    const breaker = c.breaker.tripped ? 'tripped' : 'armed';
    return `${new Date().toISOString()}  control   ${c.paused ? 'paused' : 'running'}, breaker ${breaker} (${c.breaker.recentBlocks} recent blocks)`;
  }
  return `${new Date().toISOString()}  ${clean(event)}  ${clean(data)}`;
}

/** Reads one connection until it ends, fails, falls silent or `stop` aborts it. */
async function follow(api: ApiClient, stop: AbortSignal, onEvent: (event: StreamEvent) => void, onOpen: () => void): Promise<void> {
  const connection = new AbortController();
  const signal = AbortSignal.any([stop, connection.signal]);
  const response = await api.stream('/v1/events', signal);
  onOpen();
  let silence = setTimeout(() => connection.abort(), SILENCE_MS);
  const parse = eventStreamParser(onEvent);
  const decoder = new TextDecoder();
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      clearTimeout(silence);
      silence = setTimeout(() => connection.abort(), SILENCE_MS);
      parse(decoder.decode(chunk, { stream: true }));
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    clearTimeout(silence);
  }
}

const sleep = (ms: number, signal: AbortSignal) => new Promise<void>((ok) => {
  const timer = setTimeout(ok, ms);
  signal.addEventListener('abort', () => {
    clearTimeout(timer);
    ok();
  }, { once: true });
});

export const tailCommand: CommandSpec = {
  name: 'tail',
  args: [],
  summary: 'print incidents, actions and kill-switch changes as they happen',
  description: [
    'Follows GET /v1/events: one line per event (time, kind, then the incident and its status, or the action, its',
    'target and point and its outcome, or the kill switch and breaker). --json prints each event as one JSON line',
    '{"id","event","data"}. A lost connection is retried with backoff (0.5 s doubling to 30 s), told on stderr; a',
    'refused key (401, 403) ends it with exit 1. Ctrl-C ends it with exit 0.',
  ].join('\n'),
  options: {},
  api: true,
  async run({ api, values, print, warn }) {
    const client = api();
    const stop = new AbortController();
    const interrupt = () => stop.abort();
    process.once('SIGINT', interrupt);
    process.once('SIGTERM', interrupt);
    const onEvent = (event: StreamEvent) => {
      if (values.json) print(JSON.stringify({ id: event.id ?? null, event: event.event, data: JSON.parse(event.data) as unknown }));
      else print(formatEvent(event));
    };
    let wait = FIRST_RETRY_MS;
    try {
      while (!stop.signal.aborted) {
        try {
          await follow(client, stop.signal, onEvent, () => {
            wait = FIRST_RETRY_MS;
            warn(`following ${client.baseUrl.origin}/v1/events (Ctrl-C ends)`);
          });
          if (stop.signal.aborted) break;
          warn(`the event stream ended; reconnecting in ${wait / 1000} s`);
        } catch (error) {
          if (stop.signal.aborted) break;
          if (error instanceof ApiError && (error.status === 401 || error.status === 403)) throw error;
          warn(`${error instanceof CliError ? error.message : clean((error as Error).message)}; reconnecting in ${wait / 1000} s`);
        }
        await sleep(wait, stop.signal);
        wait = Math.min(wait * 2, MAX_RETRY_MS);
      }
    } finally {
      process.off('SIGINT', interrupt);
      process.off('SIGTERM', interrupt);
    }
  },
};
