import { type Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import { Context } from '@temporalio/activity';
import { ApplicationFailure, type UpdateDefinition } from '@temporalio/common';
import {
  type AdmissionResult, type BlockAdmission, type ControlState, type PointEnforcement, admitBlocksUpdate, controlStateQuery, recordEnforcementUpdate,
} from '../workflows/control.ts';
import { createAdmissionBatcher } from './admissionBatcher.ts';
import { controlWorkflowId } from '../workflows/ids.ts';
import { controlTaskQueue } from '../workflows/taskQueues.ts';

/**
 * Reads the kill switch. A control workflow nobody has started yet means nobody paused; any other failure to read it
 * throws, so a caller that cannot tell never contains (fail closed) and its activity retries.
 */
export async function readKillSwitch(client: Client, taskQueue: string): Promise<ControlState> {
  try {
    return await client.workflow.getHandle(controlWorkflowId(taskQueue)).query(controlStateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { paused: false, breaker: { tripped: false, recentBlocks: 0 } };
    throw err;
  }
}

/**
 * One process's reads of the kill switch, shared: a caller joins the next read to begin after it asked (never one
 * already under way, which may predate a pause acknowledged since), so at most two reads are in flight whatever the
 * number of callers, and every answer is as fresh as a read of its own.
 */
export function sharedKillSwitchReader(client: Client, taskQueue: string): () => Promise<ControlState> {
  let inFlight: Promise<ControlState> | undefined;
  let queued: Promise<ControlState> | undefined;
  const settled = () => {
    inFlight = undefined;
  };
  const start = () => {
    const read = readKillSwitch(client, taskQueue);
    inFlight = read;
    read.then(settled, settled);
    return read;
  };
  return () => {
    if (!inFlight) return start();
    queued ??= inFlight.then(settled, settled).then(() => {
      queued = undefined;
      return start();
    });
    return queued;
  };
}

/** Throws a retryable failure while the kill switch is on: enforcement retries until an admin resumes. */
export async function assertContainmentAllowed(read: () => Promise<ControlState>): Promise<void> {
  const state = await read();
  if (state.paused) throw killSwitchEngaged(state);
}

export function killSwitchEngaged(state: ControlState): ApplicationFailure {
  return ApplicationFailure.retryable(`the kill switch is on (set by ${state.by ?? 'unknown'}${state.reason ? `: ${state.reason}` : ''})`, 'KillSwitchEngaged');
}

/**
 * Runs an update on the control workflow, starting it first if nobody has yet; waits until the change is recorded.
 * A plain update is tried first: under a burst of admissions, update-with-start on a running workflow is refused by
 * the server far more often than a plain update.
 */
export async function updateControlWorkflow<Ret, Arg>(client: Client, taskQueue: string, update: UpdateDefinition<Ret, [Arg]>, arg: Arg): Promise<Ret> {
  const workflowId = controlWorkflowId(taskQueue);
  return client.withDeadline(Date.now() + 15_000, async () => {
    try {
      return await client.workflow.getHandle(workflowId).executeUpdate(update, { args: [arg] });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    return client.workflow.executeUpdateWithStart(update, {
      args: [arg],
      startWorkflowOperation: new WithStartWorkflowOperation('controlWorkflow', { workflowId, taskQueue: controlTaskQueue(taskQueue), args: [], workflowIdConflictPolicy: 'USE_EXISTING' }),
    });
  });
}

const POLL_MS = 1_000;

export function createControlActivities({ client, readKillSwitch: read }: { client: Client; readKillSwitch: () => Promise<ControlState> }) {
  const admit = createAdmissionBatcher((taskQueue, admissions) => updateControlWorkflow(client, taskQueue, admitBlocksUpdate, admissions));
  return {
    /**
     * Returns at once when containment is allowed; while the kill switch is on it polls every second, heartbeating, for
     * up to `maxWaitMs`, so a resume is seen within about a second without a workflow history entry per poll.
     */
    async waitForContainmentAllowed({ maxWaitMs }: { maxWaitMs: number }): Promise<ControlState> {
      const deadline = Date.now() + maxWaitMs;
      for (;;) {
        const state = await read();
        if (!state.paused || Date.now() >= deadline) return state;
        Context.current().heartbeat();
        await Context.current().sleep(POLL_MS);
      }
    },

    /** A reconcile cycle's findings, kept with the kill switch; answers each point's cycles below 100 % in a row. */
    async recordEnforcement(findings: (Omit<PointEnforcement, 'cyclesBelow'> & { point: string })[]): Promise<Record<string, PointEnforcement>> {
      return updateControlWorkflow(client, Context.current().info.taskQueue, recordEnforcementUpdate, findings);
    },

    /** Counts a new block against the circuit breaker; an automatic block is held back once it has tripped. */
    async admitBlock(admission: BlockAdmission): Promise<AdmissionResult> {
      return admit(Context.current().info.taskQueue, admission);
    },
  };
}

export type ControlActivities = ReturnType<typeof createControlActivities>;
