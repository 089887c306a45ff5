import type { Client } from '@temporalio/client';
import { readKillSwitch } from '../../activities/control.ts';
import type { Feed } from './hub.ts';
import { pollWhileWatched } from './pollWhileWatched.ts';

const CONTROL_POLL_MS = 1_000;

export interface ControlEvent {
  paused: boolean;
  breaker: { tripped: boolean; recentBlocks: number };
}

/** The kill switch and the circuit breaker, read every second: a change from the last read is an event. */
export function controlFeed(client: Client, taskQueue: string): Feed {
  return (publish) => {
    let last: string | undefined;
    return pollWhileWatched(async () => {
      const state = await readKillSwitch(client, taskQueue);
      const event: ControlEvent = { paused: state.paused, breaker: { tripped: state.breaker?.tripped ?? false, recentBlocks: state.breaker?.recentBlocks ?? 0 } };
      const text = JSON.stringify(event);
      if (last !== undefined && text !== last) publish('control', event);
      last = text;
    }, CONTROL_POLL_MS);
  };
}
