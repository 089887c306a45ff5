import { proxyActivities } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control.ts';
import type { ControlState } from './control.ts';

// A failure to read the kill switch is retried, never taken as permission.
const { waitForContainmentAllowed } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});

/**
 * Returns once the kill switch is off. The first look returns at once, so `onHeld` can report a held workflow straight
 * away; after that each activity waits up to a minute, polling, so a long pause costs few history events.
 */
export async function killSwitchCleared(onHeld: (control: ControlState) => void = () => undefined): Promise<void> {
  for (let waitMs = 0; ; waitMs = 60_000) {
    const control = await waitForContainmentAllowed({ maxWaitMs: waitMs });
    if (!control.paused) return;
    onHeld(control);
  }
}
