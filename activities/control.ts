import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type ControlState, controlStateQuery } from '../workflows/control.ts';
import { CONTROL_WORKFLOW_ID } from '../workflows/ids.ts';

/**
 * Reads the kill switch. A control workflow nobody has started yet means nobody paused; any other failure to read it
 * throws, so a caller that cannot tell never contains (fail closed) and its activity retries.
 */
export async function readKillSwitch(client: Client): Promise<ControlState> {
  try {
    return await client.workflow.getHandle(CONTROL_WORKFLOW_ID).query(controlStateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { paused: false };
    throw err;
  }
}

/** Throws a retryable failure while the kill switch is on: enforcement retries until an admin resumes. */
export async function assertContainmentAllowed(client: Client): Promise<void> {
  const state = await readKillSwitch(client);
  if (state.paused) throw ApplicationFailure.retryable(`the kill switch is on (set by ${state.by ?? 'unknown'}${state.reason ? `: ${state.reason}` : ''})`, 'KillSwitchEngaged');
}

const POLL_MS = 1_000;

export function createControlActivities({ client }: { client: Client }) {
  return {
    /**
     * Returns at once when containment is allowed; while the kill switch is on it polls every second, heartbeating, for
     * up to `maxWaitMs`, so a resume is seen within about a second without a workflow history entry per poll.
     */
    async waitForContainmentAllowed({ maxWaitMs }: { maxWaitMs: number }): Promise<ControlState> {
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        const state = await readKillSwitch(client);
        if (!state.paused || Date.now() >= deadline) return state;
        Context.current().heartbeat();
        await Context.current().sleep(POLL_MS);
      }
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
