/** A source of live events: started when the first subscriber arrives, stopped when the last one leaves. */
export type Feed = (publish: (event: string, data: unknown) => void) => FeedRun;

export interface FeedRun {
  /** Settles once the feed knows the present (its first read), so what changes after a subscribe is sent. */
  ready: Promise<void>;
  stop(): void;
}

export interface EventHub {
  /** `send` gets each event's frame; undefined when the process already serves `maxSubscribers`. */
  subscribe(send: (frame: string) => void): { ready: Promise<void>; close(): void } | undefined;
  subscribers(): number;
}

/** One frame of the stream, with this process's next id; a JSON text never holds a newline, so one `data:` line. */
const frame = (id: number, event: string, data: unknown) => `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/**
 * Every subscriber of one API process shares one run of each feed (one Temporal poller however many watch), and
 * nothing is read while nobody watches.
 */
export function createEventHub(feeds: readonly Feed[], maxSubscribers: number): EventHub {
  const subscribers = new Set<(frame: string) => void>();
  let runs: FeedRun[] = [];
  let nextId = 1;
  const publish = (event: string, data: unknown) => {
    const text = frame(nextId++, event, data);
    for (const send of subscribers) send(text);
  };
  return {
    subscribe(send) {
      if (subscribers.size >= maxSubscribers) return undefined;
      if (subscribers.size === 0) runs = feeds.map((feed) => feed(publish));
      subscribers.add(send);
      const ready = Promise.all(runs.map((run) => run.ready)).then(() => undefined);
      return {
        ready,
        close() {
          if (!subscribers.delete(send) || subscribers.size > 0) return;
          for (const run of runs) run.stop();
          runs = [];
        },
      };
    },
    subscribers: () => subscribers.size,
  };
}
