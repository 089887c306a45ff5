import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control.ts';
import type { ControlState } from './control.ts';
import { localFirst } from './localFirst.ts';

// A failure to read the kill switch is retried, never taken as permission. The first look is local (see localFirst),
// so the usual case (not paused) costs no round trip through the server; holding on to a pause is a heartbeating one.
const { waitForContainmentAllowed: lookLocally } = proxyLocalActivities<ControlActivities>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', maximumAttempts: 2 },
});
const { waitForContainmentAllowed } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '20s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});

const lookAtKillSwitch = localFirst(lookLocally, waitForContainmentAllowed);

/**
 * Returns once the kill switch is off, with the control state that said so (its live exceptions included). The first
 * look returns at once, so `onHeld` can report a held workflow straight away; after that each activity waits up to a
 * minute, polling, so a long pause costs few history events.
 */
export async function killSwitchCleared(onHeld: (control: ControlState) => void = () => undefined): Promise<ControlState> {
  let control = await lookAtKillSwitch({ maxWaitMs: 0 });
  while (control.paused) {
    onHeld(control);
    control = await waitForContainmentAllowed({ maxWaitMs: 60_000 });
  }
  return control;
}
