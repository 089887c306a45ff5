import { allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, log, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { OffenceActivities } from '../activities/offences.ts';
import { nextExpiry } from '../domain/blockLedger.ts';
import { rootCauseMessage } from './failures.ts';
import { runLane } from './blockShard/lanes.ts';
import { BlockShard, type BlockShardInput } from './blockShard/shard.ts';
import { blockEndedSignal, blockHealthSignal } from './messages.ts';

export type { BlockShardInput };

// A history that cannot be written costs the ladder a step, never the removal, so the retries are bounded.
const { recordOffences } = proxyActivities<OffenceActivities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10 },
});

/**
 * One of the fixed set of shards (workflows/ids.ts) that hold every block: the leases of each address, its expiry as a
 * durable timer, and one lane per enforcement point that applies and removes in batches. A block is a signal here,
 * not a workflow of its own.
 */
export async function blockShardWorkflow(input: BlockShardInput): Promise<void> {
  const shard = new BlockShard(input);
  shard.listen();
  const lanes = new Map<string, Promise<void>>();
  while (!workflowInfo().continueAsNewSuggested) {
    for (const entry of shard.entries.values()) {
      for (const point of entry.points) if (!lanes.has(point)) lanes.set(point, runLane(shard, point));
    }
    const seen = shard.version;
    const expiry = nextExpiry(shard.entries.values());
    await condition(() => shard.version !== seen || workflowInfo().continueAsNewSuggested, expiry === undefined ? undefined : Math.max(1, expiry - Date.now()));
    shard.settle(Date.now());
    await tell(shard);
  }
  shard.closing = true;
  await Promise.all(lanes.values());
  await condition(allHandlersFinished);
  shard.settle(Date.now());
  await tell(shard);
  await continueAsNew<typeof blockShardWorkflow>(shard.carry);
}

/** Incidents learn what became of their blocks, and expired blocks join their addresses' offence histories. */
async function tell(shard: BlockShard): Promise<void> {
  const news = shard.news.splice(0);
  const offences = shard.offences.splice(0);
  const { workflowId, runId } = workflowInfo();
  // One already closed has nothing left to show it in, so a failed signal is no failure.
  await Promise.all([
    ...news.map((item) => {
      const incident = getExternalWorkflowHandle(item.incidentId);
      const sent = item.kind === 'ended'
        ? incident.signal(blockEndedSignal, { workflowId, runId, address: item.address, how: item.how, by: item.by })
        : incident.signal(blockHealthSignal, { workflowId, address: item.address, state: item.state, errors: item.errors });
      return sent.catch(() => undefined);
    }),
    offences.length > 0 ? recordOffences({ offences: offences.map((offence) => ({ ...offence, blockWorkflowId: workflowId })) }).catch((err: unknown) => {
      log.error('offences not recorded', { count: offences.length, error: rootCauseMessage(err) });
    }) : undefined,
  ]);
}
