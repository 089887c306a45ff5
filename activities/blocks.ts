import { randomUUID } from 'node:crypto';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { BlockLease, GrantedLease } from '../domain/actions/action.ts';
import type { LeaseRequest } from '../domain/blockLedger.ts';
import {
  type BlockIntent, type BlockView, blockStatusQuery, leaseRequestsSignal, liftBlockUpdate, shardBlockQuery, shardBlocksQuery, shardIntentQuery, unblockSignal, withdrawLeaseUpdate, withdrawSignal,
} from '../workflows/messages.ts';
import { BLOCK_SHARDS, blockShardOf, blockShardWorkflowId, blockWorkflowId } from '../workflows/ids.ts';
import { canonicalTarget } from './enforce/blockTarget.ts';
import { currentActivity } from './audit/record.ts';

/** Shards a listing asks at once. */
const LIST_FAN_OUT = 4;

export type RequestBlockInput = Omit<LeaseRequest, 'leaseId'> & { leaseId?: string };

export interface BlockShardsDeps {
  client: Client;
  /** The deployment's main task queue: the shards run there and are named after it. */
  taskQueue: string;
  enforcementTaskQueue: string;
}

/**
 * Every block of a deployment, as its shard workflows (workflows/blockShard.ts) hold them: requests, withdrawals, lifts
 * and reads, each sent to the one shard of its address. Blocks made before the shards existed live in their own
 * `block:<address>` workflows until they end; withdrawals and lifts still reach them.
 */
export function blockShards({ client, taskQueue, enforcementTaskQueue }: BlockShardsDeps) {
  const shardWorkflowId = (address: string) => blockShardWorkflowId(taskQueue, blockShardOf(address));

  /** Sends each shard its requests in one signal (starting the shard if it never ran); one lease per request, in order. */
  async function request(requests: readonly RequestBlockInput[]): Promise<GrantedLease[]> {
    const caller = currentActivity();
    const leases = requests.map((input) => {
      // Another spelling of the same target would hold a second block of it.
      canonicalTarget(input.address);
      // An incident's retried request is the same grant, so its lease id is the incident run's own.
      return { ...input, leaseId: input.leaseId ?? caller?.runId ?? randomUUID() };
    });
    const byShard = new Map<string, LeaseRequest[]>();
    for (const lease of leases) {
      const id = shardWorkflowId(lease.address);
      byShard.set(id, [...(byShard.get(id) ?? []), lease]);
    }
    await Promise.all([...byShard].map(([workflowId, shardRequests]) => client.workflow.signalWithStart('blockShardWorkflow', {
      workflowId,
      taskQueue,
      args: [{ shard: blockShardOf(shardRequests[0]!.address), enforcementTaskQueue }],
      signal: leaseRequestsSignal,
      signalArgs: [shardRequests],
    })));
    return leases.map(({ address, leaseId }) => ({ workflowId: shardWorkflowId(address), address, leaseId }));
  }

  /** The block of exactly this target, or null. */
  async function read(address: string): Promise<BlockView | null> {
    try {
      return await client.workflow.getHandle(shardWorkflowId(address)).query(shardBlockQuery, address);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return null;
      throw err;
    }
  }

  /**
   * A page of blocks, shard by shard and in address order within one: `cursor` is where the page before stopped.
   * The shards a page may reach are asked together, a few at a time, so a page costs about one query's time.
   */
  async function list(limit: number, cursor?: { shard: number; after?: string }): Promise<{ blocks: BlockView[]; next?: { shard: number; after?: string } }> {
    const blocks: BlockView[] = [];
    for (let first = cursor?.shard ?? 0; first < BLOCK_SHARDS; first += LIST_FAN_OUT) {
      const shards = Array.from({ length: Math.min(LIST_FAN_OUT, BLOCK_SHARDS - first) }, (_, i) => first + i);
      const pages = await Promise.all(shards.map((shard) => pageOf(shard, shard === cursor?.shard ? cursor.after : undefined, limit)));
      for (const [i, page] of pages.entries()) {
        const shard = shards[i]!;
        const room = limit - blocks.length;
        blocks.push(...page.blocks.slice(0, room));
        if (page.blocks.length > room || (page.more && page.blocks.length === room)) return { blocks, next: { shard, after: blocks.at(-1)!.address } };
        if (blocks.length >= limit) return { blocks, next: shard + 1 < BLOCK_SHARDS ? { shard: shard + 1 } : undefined };
      }
    }
    return { blocks };
  }

  async function pageOf(shard: number, after: string | undefined, limit: number): Promise<{ blocks: BlockView[]; more: boolean }> {
    try {
      return await client.workflow.getHandle(blockShardWorkflowId(taskQueue, shard)).query(shardBlocksQuery, { after, limit });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return { blocks: [], more: false };
      throw err;
    }
  }

  /** Every live block of the deployment, with the points believed to hold it: one query per shard. */
  async function intent(): Promise<BlockIntent[]> {
    const shards = await Promise.all(Array.from({ length: BLOCK_SHARDS }, async (_, shard) => {
      try {
        return await client.workflow.getHandle(blockShardWorkflowId(taskQueue, shard)).query(shardIntentQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return [];
        throw err;
      }
    }));
    return shards.flat();
  }

  /** Lifts the block now, whoever holds it; false when the address is not blocked. */
  async function lift(address: string, by: string, reason?: string): Promise<boolean> {
    try {
      const answer = await client.workflow.getHandle(shardWorkflowId(address)).executeUpdate(liftBlockUpdate, { args: [{ address, by, reason }] });
      if (answer === 'lifting') return true;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
    return liftLegacy(address, by, reason);
  }

  async function liftLegacy(address: string, by: string, reason?: string): Promise<boolean> {
    const handle = client.workflow.getHandle(blockWorkflowId(address));
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING' || ['removing', 'removed'].includes((await handle.query(blockStatusQuery)).state)) return false;
      await handle.signal(unblockSignal, { by, reason });
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Takes back exactly the lease this requester was granted, never a later block of the same address: an ended block
   * is not a failure.
   */
  async function withdraw({ lease, requester, by, reason }: { lease: BlockLease; requester: string; by: string; reason: string }): Promise<'withdrawn' | 'already_ended'> {
    if (lease.leaseId !== undefined && lease.address !== undefined) {
      return client.workflow.getHandle(lease.workflowId).executeUpdate(withdrawLeaseUpdate, { args: [{ address: lease.address, requester, leaseId: lease.leaseId, by, reason }] });
    }
    return withdrawLegacy({ lease, requester, by, reason });
  }

  /** A lease of a `block:<address>` workflow: its own run, or a continuation of it that carries its leases. */
  async function withdrawLegacy({ lease, requester, by, reason }: { lease: BlockLease; requester: string; by: string; reason: string }): Promise<'withdrawn' | 'already_ended'> {
    const current = client.workflow.getHandle(lease.workflowId);
    try {
      const { runs = [], state, leases = {} } = await current.query(blockStatusQuery);
      if (!runs.includes(lease.runId ?? '') || state === 'removed' || !leases[requester]) return 'already_ended';
      await current.signal(withdrawSignal, { requester, by, reason });
      return 'withdrawn';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'already_ended';
      throw err;
    }
  }

  return { request, read, list, intent, lift, withdraw };
}

export type BlockShards = ReturnType<typeof blockShards>;

/** The activities incidents call (as local activities) to request and withdraw their blocks. */
export function createBlockActivities(deps: BlockShardsDeps) {
  const shards = blockShards(deps);
  return {
    async requestBlock(input: RequestBlockInput): Promise<GrantedLease> {
      const [lease] = await shards.request([input]);
      return lease!;
    },
    async withdrawBlock(input: { lease: BlockLease; requester: string; by: string; reason: string }): Promise<'withdrawn' | 'already_ended'> {
      return shards.withdraw(input);
    },
  };
}

export type BlockActivities = ReturnType<typeof createBlockActivities>;
