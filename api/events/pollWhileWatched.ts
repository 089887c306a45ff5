import type { FeedRun } from './hub.ts';

/** The first read waits at most this long for `ready`: a slow Temporal must not hold a subscriber's stream back. */
const READY_WITHIN_MS = 3_000;

/**
 * Runs `poll` now and then every `everyMs` after the previous one finished, until stopped; a failed poll is retried on
 * the next tick. `ready` settles after the first poll (or READY_WITHIN_MS).
 */
export function pollWhileWatched(poll: () => Promise<void>, everyMs: number): FeedRun {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((ok) => {
    markReady = ok;
  });
  const giveUp = setTimeout(() => markReady(), READY_WITHIN_MS);
  const tick = async () => {
    await poll().catch(() => undefined);
    clearTimeout(giveUp);
    markReady();
    if (!stopped) timer = setTimeout(tick, everyMs);
  };
  void tick();
  return {
    ready,
    stop() {
      stopped = true;
      clearTimeout(timer);
      clearTimeout(giveUp);
    },
  };
}
