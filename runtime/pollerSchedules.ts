import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, WorkflowNotFoundError } from '@temporalio/client';
import type { ConfiguredPoller } from '../activities/poll/poller.ts';
import { pollerScheduleId, pollerSchedulePrefix, pollerWorkflowId } from '../workflows/poller/ids.ts';
import type { PollRequest } from '../workflows/poller/messages.ts';

/**
 * One schedule per poller, `riposte-poll:<queue>:<name>`, made or brought up to date at worker start and ticked once
 * at once, so a poller catches up after downtime without waiting a period.
 */
export async function startPollerSchedules(client: Client, { taskQueue, pollers }: { taskQueue: string; pollers: readonly ConfiguredPoller[] }): Promise<void> {
  for (const poller of pollers) {
    const scheduleId = pollerScheduleId(taskQueue, poller.name);
    const request: PollRequest = { poller: poller.name, remember: poller.remember, maxPages: poller.maxPages };
    const action = { type: 'startWorkflow' as const, workflowType: 'pollTickWorkflow', taskQueue, args: [request], workflowId: scheduleId };
    const spec = { intervals: [{ every: poller.everyMs }] };
    // A tick only asks the state workflow for a run, and that workflow makes one run at a time whatever the ticks.
    const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: poller.everyMs };
    let paused = false;
    try {
      await client.schedule.create({ scheduleId, spec, action, policies });
    } catch (err) {
      if (!(err instanceof ScheduleAlreadyRunning)) throw err;
      // An operator's pause (Temporal UI, `temporal schedule toggle`) outlives a restart.
      await client.schedule.getHandle(scheduleId).update((previous) => {
        paused = previous.state.paused;
        return { ...previous, spec, action, policies };
      });
    }
    if (!paused) await client.schedule.getHandle(scheduleId).trigger();
  }
}

/**
 * The schedules of pollers no longer in the file deleted, and their state workflows ended: a poller added again later
 * starts afresh from its first cursor. Returns the names removed.
 */
export async function removeStalePollerSchedules(client: Client, { taskQueue, kept }: { taskQueue: string; kept: readonly string[] }): Promise<string[]> {
  const prefix = pollerSchedulePrefix(taskQueue);
  const stale: string[] = [];
  for await (const schedule of client.schedule.list()) {
    if (schedule.scheduleId.startsWith(prefix) && !kept.includes(schedule.scheduleId.slice(prefix.length))) stale.push(schedule.scheduleId.slice(prefix.length));
  }
  for (const name of stale) {
    await client.schedule.getHandle(pollerScheduleId(taskQueue, name)).delete();
    try {
      await client.workflow.getHandle(pollerWorkflowId(taskQueue, name)).terminate('the poller is no longer in the pollers file');
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return stale;
}
