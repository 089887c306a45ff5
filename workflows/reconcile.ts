import { proxyActivities } from '@temporalio/workflow';
import type { ControlActivities } from '../activities/control.ts';
import type { EnforcementActivities } from '../activities/enforce/index.ts';
import type { PointReconciliation } from '../activities/enforce/reconcile.ts';
import type { NotifyActivities } from '../activities/notify/index.ts';

export interface ReconcileInput {
  points: string[];
  enforcementTaskQueue: string;
  /** Routes told when a point stays below 100 % for two cycles, and when it is whole again. */
  notify: string[];
}

/** Cycles in a row below 100 % before anyone is told: one may be a block applied between two reads. */
export const CYCLES_BEFORE_NOTICE = 2;

const { recordEnforcement } = proxyActivities<ControlActivities>({ startToCloseTimeout: '20s', retry: { maximumAttempts: 3 } });
const { notifyOperators } = proxyActivities<NotifyActivities>({ startToCloseTimeout: '20s', retry: { initialInterval: '2s', maximumAttempts: 3 } });

/**
 * One reconcile cycle, started by the deployment's schedule (runtime/reconcileSchedule.ts): each point compared with
 * the live blocks and repaired, the enforced ratios kept with the kill switch, and people told when a point stays short.
 */
export async function reconcileWorkflow({ points, enforcementTaskQueue, notify }: ReconcileInput): Promise<PointReconciliation[]> {
  const { reconcileBlocks } = proxyActivities<EnforcementActivities>({ taskQueue: enforcementTaskQueue, startToCloseTimeout: '2m', retry: { maximumAttempts: 2 } });
  const settled = await Promise.allSettled(points.map((point) => reconcileBlocks({ point })));
  const findings = settled.filter((r): r is PromiseFulfilledResult<PointReconciliation> => r.status === 'fulfilled').map((r) => r.value);
  const kept = await recordEnforcement(findings.map(({ point, enforced, intended, restored, at }) => ({ point, enforced, intended, restored, at })));
  const notices = findings.flatMap((finding) => {
    const below = kept[finding.point]?.cyclesBelow ?? 0;
    if (below === CYCLES_BEFORE_NOTICE) return [{ finding, status: 'failed', title: `${finding.point} is missing blocks`, message: `${finding.point} held ${finding.present} of ${finding.intended} live blocks for ${below} reconcile cycles in a row; ${finding.restored} put back this cycle` }];
    return [];
  });
  await Promise.all(notices.flatMap(({ finding, status, title, message }) => notify.map((route) => notifyOperators({ route, about: `enforcement point ${finding.point}`, title, message, status }).catch(() => undefined))));
  return findings;
}
