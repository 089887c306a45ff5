import type { Client } from '@temporalio/client';
import { type BlockRequest, blockRequestSignal } from '../workflows/messages.ts';
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
    async requestBlock({ address, points, ...request }: RequestBlockInput): Promise<{ workflowId: string }> {
      // Another spelling of the same target would start a second workflow holding the same block.
      canonicalTarget(address);
      const workflowId = blockWorkflowId(address);
      await client.workflow.signalWithStart('blockWorkflow', {
        workflowId,
        taskQueue,
        args: [{ address, points, enforcementTaskQueue }],
        signal: blockRequestSignal,
        // The audit context (incident, alert ids, policy version, actor) rides along to every enforcement call.
        signalArgs: [request],
      });
      return { workflowId };
    },
  };
}

export type BlockActivities = ReturnType<typeof createBlockActivities>;
