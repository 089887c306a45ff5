import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { offenceHistoryWorkflowId } from '../workflows/ids.ts';
import {
  type ClosedIncident, type EntityHistory, entityHistoryQuery, incidentClosedSignal, type Offence, offenceSignal, offencesQuery,
} from '../workflows/offenceMessages.ts';
import type { offenceHistoryWorkflow } from '../workflows/offences.ts';

export interface RecordOffenceInput extends Offence {
  address: string;
}

export interface CountOffencesInput {
  address: string;
  /** Offences that ended longer ago than this do not count; at most a year is remembered. */
  withinMs: number;
}

/** The durable offence history of each address (workflows/offences.ts), which the repeat-offender ladder reads. */
export function createOffenceActivities({ client, taskQueue }: { client: Client; taskQueue: string }) {
  async function record({ address, ...offence }: RecordOffenceInput): Promise<void> {
    await client.workflow.signalWithStart<typeof offenceHistoryWorkflow, [Offence]>('offenceHistoryWorkflow', {
      workflowId: offenceHistoryWorkflowId(address),
      taskQueue,
      args: [{ address }],
      signal: offenceSignal,
      signalArgs: [offence],
    });
  }

  return {
    /** Adds an offence to the address's history, starting one if it has none; a retry adds nothing twice. */
    async recordOffence(input: RecordOffenceInput): Promise<void> {
      await record(input);
    },

    /** The offences of a shard's blocks that expired together. */
    async recordOffences({ offences }: { offences: RecordOffenceInput[] }): Promise<void> {
      await Promise.all(offences.map(record));
    },

    /** Remembers that an incident about the entity closed, starting its history if it has none; a retry counts once. */
    async recordIncidentClosed({ entity, ...closed }: ClosedIncident & { entity: string }): Promise<void> {
      await client.workflow.signalWithStart<typeof offenceHistoryWorkflow, [ClosedIncident]>('offenceHistoryWorkflow', {
        workflowId: offenceHistoryWorkflowId(entity),
        taskQueue,
        args: [{ address: entity }],
        signal: incidentClosedSignal,
        signalArgs: [closed],
      });
    },

    /**
     * The entity's offences (expired blocks) and closed incidents within `withinMs`, in one read of its history. None for
     * an entity with no history; any other failure to read throws, as for countOffences.
     */
    async readEntityHistory({ entity, withinMs }: { entity: string; withinMs: number }): Promise<{ offences: number; incidents: number }> {
      const since = Date.now() - withinMs;
      let history: EntityHistory;
      try {
        history = await client.workflow.getHandle(offenceHistoryWorkflowId(entity)).query(entityHistoryQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { offences: 0, incidents: 0 };
        throw err;
      }
      return { offences: history.offences.filter((o) => o.endedAt >= since).length, incidents: history.incidents.filter((i) => i.closedAt >= since).length };
    },

    /**
     * Offences of the address that ended within `withinMs`. An address with no history has none; a history that ended
     * by itself holds only offences older than any memory, so it counts none either. Any other failure to read throws:
     * a retry is better than a ladder that forgets.
     */
    async countOffences({ address, withinMs }: CountOffencesInput): Promise<number> {
      const since = Date.now() - withinMs;
      return (await readOffences(client, address)).filter((offence) => offence.endedAt >= since).length;
    },
  };
}

async function readOffences(client: Client, address: string): Promise<Offence[]> {
  try {
    return await client.workflow.getHandle(offenceHistoryWorkflowId(address)).query(offencesQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
}

export type OffenceActivities = ReturnType<typeof createOffenceActivities>;
