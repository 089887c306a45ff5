import type { Client } from '@temporalio/client';
import { blockRequestSignal } from '../workflows/messages.ts';
import { blockWorkflowId } from '../workflows/ids.ts';

export interface RequestBlockInput {
  address: string;
  durationMs: number;
  reason: string;
  requestedBy: string;
  points: string[];
}

/** Starts or extends the one block workflow of an address; signal-with-start makes the race between two incidents harmless. */
export function createBlockActivities({ client, taskQueue, enforcementTaskQueue }: { client: Client; taskQueue: string; enforcementTaskQueue: string }) {
  return {
    async requestBlock({ address, durationMs, reason, requestedBy, points }: RequestBlockInput): Promise<{ workflowId: string }> {
      const workflowId = blockWorkflowId(address);
      await client.workflow.signalWithStart('blockWorkflow', {
        workflowId,
        taskQueue,
        args: [{ address, points, enforcementTaskQueue }],
        signal: blockRequestSignal,
        signalArgs: [{ durationMs, reason, requestedBy }],
      });
      return { workflowId };
    },
  };
}

export type BlockActivities = ReturnType<typeof createBlockActivities>;
