import { condition, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { AuditContext } from '../../activities/audit/record.ts';
import type { EnforcementActivities, SyncBlocksResult } from '../../activities/enforce/index.ts';
import { type BlockEntry, nextRetry, pointWork, recordHold } from '../../domain/blockLedger.ts';
import { rootCauseMessage } from '../failures.ts';
import { killSwitchCleared } from '../killSwitch.ts';
import type { BlockShard } from './shard.ts';

/** Largest batch one call carries: a call's input is kept in the history, so it stays well under the payload limit. */
const MAX_BATCH = 2_000;

function enforcementActivities(taskQueue: string) {
  // Few attempts: a failure is recorded per block and tried again by the lane with its own back-off, so a point that
  // is down never holds up the blocks of the other points.
  return proxyActivities<EnforcementActivities>({
    taskQueue,
    startToCloseTimeout: '1m',
    heartbeatTimeout: '15s',
    retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 3, nonRetryableErrorTypes: ['UnknownEnforcementPoint'] },
  });
}

/**
 * One point's lane: until the shard closes, sends the point what it does not hold yet (new blocks, extensions, blocks
 * coming down) in batches, one call at a time, and records each block's answer.
 */
export async function runLane(shard: BlockShard, point: string): Promise<void> {
  const { syncBlocks } = enforcementActivities(shard.input.enforcementTaskQueue);
  const busy = new Set<string>();
  shard.busy.set(point, busy);
  while (!shard.closing) {
    const now = Date.now();
    const work = pointWork(shard.entries.values(), point, now, busy, MAX_BATCH);
    if (work.apply.length + work.remove.length === 0) {
      const seen = shard.version;
      const retryAt = nextRetry(shard.entries.values(), point, now);
      await condition(() => shard.version !== seen || shard.closing, retryAt === undefined ? undefined : Math.max(1, retryAt - now));
      continue;
    }
    for (const entry of [...work.apply, ...work.remove]) busy.add(entry.address);
    const sent = new Map(work.apply.map((entry) => [entry.address, entry.expiresAt]));
    let result: SyncBlocksResult;
    try {
      result = await syncBlocks({
        point,
        apply: work.apply.map((entry) => ({ address: entry.address, expiresAt: entry.expiresAt, audit: applyContext(entry) })),
        remove: work.remove.map((entry) => ({ address: entry.address, audit: removalContext(entry) })),
      });
    } catch (err) {
      const error = rootCauseMessage(err);
      result = { failed: Object.fromEntries([...work.apply, ...work.remove].map((entry) => [entry.address, error])) };
    }
    busy.clear();
    const deferred = new Set(result.deferred);
    record(shard, point, work.remove.filter((entry) => !deferred.has(entry.address)), new Map([...sent].filter(([address]) => !deferred.has(address))), result);
    // While paused the lane waits here, but a shard continuing as new does not wait for the resume.
    if (result.held) await Promise.race([killSwitchCleared(), condition(() => shard.closing)]);
  }
}

function record(shard: BlockShard, point: string, removed: readonly BlockEntry[], sent: ReadonlyMap<string, number>, result: SyncBlocksResult): void {
  const now = Date.now();
  for (const [address, expiresAt] of sent) {
    const entry = shard.entries.get(address);
    const error = result.failed[address];
    if (!entry || (result.held && error === undefined)) continue;
    const health = recordHold(entry, point, error === undefined ? { ok: true, expiresAt } : { ok: false, error }, now);
    if (health === 'active' || health === 'failed') shard.healthChanged(entry, health);
  }
  for (const entry of removed) {
    const error = result.failed[entry.address];
    recordHold(entry, point, error === undefined ? { ok: true } : { ok: false, error }, now);
  }
  shard.changed();
}

/** Who and what is behind the current expiry, for the apply's audit records. */
function applyContext(entry: BlockEntry): AuditContext {
  const { trigger } = entry;
  const actor = trigger.actor ?? (trigger.incidentId || !trigger.requestedBy ? 'automation' : trigger.requestedBy);
  return { incidentId: trigger.incidentId, alertIds: trigger.alertIds, policyVersion: trigger.policyVersion, blockWorkflowId: workflowInfo().workflowId, actor, reason: trigger.reason, incidentOpenedAt: trigger.incidentOpenedAt };
}

function removalContext(entry: BlockEntry): AuditContext {
  const { trigger, ending } = entry;
  const reason = ending?.how === 'lifted' ? `unblocked${ending.reason ? `: ${ending.reason}` : ''}` : 'expired';
  return { incidentId: trigger.incidentId, alertIds: trigger.alertIds, policyVersion: trigger.policyVersion, blockWorkflowId: workflowInfo().workflowId, actor: ending?.by ?? 'automation', reason };
}
