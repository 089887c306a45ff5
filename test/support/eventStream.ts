import { eventStreamParser, type StreamEvent } from '../../cli/eventStream.ts';

export interface ReceivedEvent extends StreamEvent {
  /** performance.now() when it arrived. */
  at: number;
  json: any;
}

export interface TestEventStream {
  status: number;
  headers: Headers;
  body?: string;
  events: ReceivedEvent[];
  /** The first event, seen or to come, that `matches`; fails after `timeoutMs`. */
  next(what: string, matches: (event: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  close(): void;
}

/** GET /v1/events as a browser's EventSource would read it; resolves once the API has sent `retry:` (it is watching). */
export async function openEventStream(url: string, headers: Record<string, string>): Promise<TestEventStream> {
  const abort = new AbortController();
  const response = await fetch(`${url}/v1/events`, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: ReceivedEvent[] = [];
  const waiting = new Set<() => void>();
  const base = { status: response.status, headers: response.headers, events, close: () => abort.abort() };
  const next = (what: string, matches: (event: ReceivedEvent) => boolean, timeoutMs = 15_000) => new Promise<ReceivedEvent>((ok, fail) => {
    const check = () => {
      const found = events.find(matches);
      if (!found) return;
      waiting.delete(check);
      clearTimeout(timer);
      ok(found);
    };
    const timer = setTimeout(() => {
      waiting.delete(check);
      fail(new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => [e.event, e.data]))}`));
    }, timeoutMs);
    waiting.add(check);
    check();
  });
  if (!response.ok) return { ...base, body: await response.text(), next };
  let raw = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((ok) => {
    markReady = ok;
  });
  const parse = eventStreamParser((event) => {
    events.push({ ...event, at: performance.now(), json: JSON.parse(event.data) });
    for (const check of [...waiting]) check();
  });
  void (async () => {
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const text = decoder.decode(chunk, { stream: true });
        raw += text;
        if (raw.includes('retry: ')) markReady();
        parse(text);
      }
    } catch {
      // aborted by close()
    }
  })();
  await ready;
  return { ...base, next };
}
