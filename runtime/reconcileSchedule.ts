import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { PolicySnapshot } from '../domain/policy.ts';
import type { ReconcileInput } from '../workflows/reconcile.ts';

export function reconcileScheduleId(taskQueue: string): string {
  return `riposte-reconcile:${taskQueue}`;
}

/**
 * The deployment's reconcile schedule, made or brought up to date with the policy, then run once at once: on worker
 * start the live blocks are put back wherever a point lost them (a reboot, a flushed table) without waiting a cycle.
 */
export async function startReconcileSchedule(client: Client, { taskQueue, enforcementTaskQueue, policy }: { taskQueue: string; enforcementTaskQueue: string; policy: PolicySnapshot }): Promise<void> {
  const scheduleId = reconcileScheduleId(taskQueue);
  const input: ReconcileInput = { points: policy.enforcement.points, enforcementTaskQueue, notify: policy.enforcement.notify };
  const action = { type: 'startWorkflow' as const, workflowType: 'reconcileWorkflow', taskQueue, args: [input], workflowId: `riposte-reconcile:${taskQueue}` };
  const spec = { intervals: [{ every: policy.enforcement.reconcileEvery }] };
  // A cycle still running when the next is due is not doubled: the next one starts after it.
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: policy.enforcement.reconcileEvery };
  try {
    await client.schedule.create({ scheduleId, spec, action, policies });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec, action, policies }));
  }
  await client.schedule.getHandle(scheduleId).trigger(ScheduleOverlapPolicy.ALLOW_ALL);
}
