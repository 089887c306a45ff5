import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { BlockLease } from '../domain/actions/action.ts';
import { type BlockRequest, blockRequestSignal, blockStatusQuery, withdrawSignal } from '../workflows/messages.ts';
import { blockWorkflowId } from '../workflows/ids.ts';
import { canonicalTarget } from './enforce/blockTarget.ts';

export interface RequestBlockInput extends BlockRequest {
  /** An address or a range (`network/prefix`), canonical: its text is the block workflow's id. */
  address: string;
  points: string[];
}

/** Starts or extends the one block workflow of a target; signal-with-start makes the race between two incidents harmless. */
export function createBlockActivities({ client, taskQueue, enforcementTaskQueue }: { client: Client; taskQueue: string; enforcementTaskQueue: string }) {
  return {
    async requestBlock({ address, points, ...request }: RequestBlockInput): Promise<BlockLease> {
      // Another spelling of the same target would start a second workflow holding the same block.
      canonicalTarget(address);
      const workflowId = blockWorkflowId(address);
      const handle = await client.workflow.signalWithStart('blockWorkflow', {
        workflowId,
        taskQueue,
        args: [{ address, points, enforcementTaskQueue }],
        signal: blockRequestSignal,
        // The audit context (incident, alert ids, policy version, actor) rides along to every enforcement call.
        signalArgs: [request],
      });
      return { workflowId, runId: handle.signaledRunId };
    },

    /**
     * Takes one requester's lease back from the block that granted it, never from a later block of the same address. The
     * run that granted it may have continued as new (the block goes on in a later run of the same chain); a chain that
     * has ended means the block already ended (expired or lifted), which is not a failure.
     */
    async withdrawBlock({ lease, requester, by, reason }: { lease: BlockLease; requester: string; by: string; reason: string }): Promise<'withdrawn' | 'already_ended'> {
      // The current run of the chain: the lease's own run, or a continuation of it that carries its leases.
      const current = client.workflow.getHandle(lease.workflowId);
      try {
        const { runs = [], state, leases = {} } = await current.query(blockStatusQuery);
        if (!runs.includes(lease.runId) || state === 'removed' || !leases[requester]) return 'already_ended';
        await current.signal(withdrawSignal, { requester, by, reason });
        return 'withdrawn';
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return 'already_ended';
        throw err;
      }
    },
  };
}

export type BlockActivities = ReturnType<typeof createBlockActivities>;
