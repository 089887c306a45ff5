import { log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { EnforcementActivities } from '../../activities/enforce/index.ts';
import type { OffenceActivities } from '../../activities/offences.ts';
import { rootCauseMessage } from '../failures.ts';
import type { Block } from './block.ts';

const NON_RETRYABLE = ['AllowlistViolation', 'InvalidAddress', 'UnknownEnforcementPoint'];

function enforcementActivities(taskQueue: string) {
  const { applyBlock } = proxyActivities<EnforcementActivities>({
    taskQueue,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  // A block nobody lifts is the failure users fear most, so removal retries until it succeeds.
  const { removeBlock } = proxyActivities<EnforcementActivities>({
    taskQueue,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE },
  });
  return { applyBlock, removeBlock };
}

// No task queue: block workflows run on the main queue, which is where the offence activities are. A history that
// cannot be written costs the ladder a step, never the removal, so the retries are bounded.
const { recordOffence } = proxyActivities<OffenceActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10 },
});

/**
 * Applies at the given points (every point by default) in parallel; each point's outcome is kept in `pointStates`
 * (and its error in `pointErrors`), and one point's failure never stops the others.
 */
export async function applyEverywhere(block: Block, expiresAt: number, points: readonly string[] = block.state.points): Promise<void> {
  const { state } = block;
  const { applyBlock } = enforcementActivities(block.input.enforcementTaskQueue);
  const audit = block.auditContext(block.requester, state.trigger?.reason ?? state.reason);
  const results = await Promise.allSettled(points.map((point) => applyBlock({ point, address: state.address, expiresAt, audit })));
  const pointStates = (state.pointStates ??= {});
  const at = new Date().toISOString();
  results.forEach((result, i) => {
    const point = points[i]!;
    const before = pointStates[point];
    if (result.status === 'fulfilled') {
      delete state.pointErrors[point];
      pointStates[point] = { state: 'applied', expiresAt, at, ...(before?.state === 'failed' || before?.recovered ? { recovered: true } : {}) };
      return;
    }
    state.pointErrors[point] = rootCauseMessage(result.reason);
    pointStates[point] = { state: 'failed', error: state.pointErrors[point], at };
    log.error('block not applied', { point, address: state.address, error: state.pointErrors[point] });
  });
}

/** The points whose last apply failed: tried again every retryFailedEvery until the block ends. */
export function failedPoints(block: Block): string[] {
  return block.state.points.filter((point) => block.state.pointStates?.[point]?.state === 'failed');
}

/** Removes at every point; an expired block, unlike a lifted one, counts towards the repeat-offender ladder. */
export async function removeEverywhere(block: Block): Promise<void> {
  const { state } = block;
  const { removeBlock } = enforcementActivities(block.input.enforcementTaskQueue);
  const expired = !block.lifted;
  const removal = block.auditContext(block.unblockedBy ?? 'automation', expired ? 'expired' : `unblocked${block.unblockReason ? `: ${block.unblockReason}` : ''}`);
  await Promise.all(state.points.map((point) => removeBlock({ point, address: state.address, audit: removal })));
  if (state.pointStates) for (const point of state.points) state.pointStates[point] = { state: 'removed', at: new Date().toISOString() };
  if (!expired) return;
  try {
    await recordOffence({ address: state.address, endedAt: Date.now(), durationMs: state.trigger?.durationMs ?? 0, blockWorkflowId: workflowInfo().workflowId });
  } catch (err) {
    log.error('offence not recorded', { address: state.address, error: rootCauseMessage(err) });
  }
}
