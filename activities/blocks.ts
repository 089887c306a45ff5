import type { Client } from '@temporalio/client';
import { type BlockRequest, blockRequestSignal } from '../workflows/messages.ts';
import { blockWorkflowId } from '../workflows/ids.ts';

export interface RequestBlockInput extends BlockRequest {
  address: string;
  points: string[];
}

/** Starts or extends the one block workflow of an address; signal-with-start makes the race between two incidents harmless. */
export function createBlockActivities({ client, taskQueue, enforcementTaskQueue }: { client: Client; taskQueue: string; enforcementTaskQueue: string }) {
  return {
    async requestBlock({ address, points, ...request }: RequestBlockInput): Promise<{ workflowId: string }> {
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
