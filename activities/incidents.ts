import type { Client } from '@temporalio/client';
import { signalIncident } from '../api/incidentStarter.ts';
import type { AlertBatch } from '../domain/alert.ts';
import type { IncidentInput } from '../domain/incident.ts';

/** For workflows that find incidents themselves (the login history): start one, or add alerts to the open one. */
export function createIncidentActivities({ client, taskQueue }: { client: Client; taskQueue: string }) {
  return {
    async raiseIncident({ id, input, batch }: { id: string; input: IncidentInput; batch: AlertBatch }): Promise<{ started: boolean }> {
      return signalIncident(client, taskQueue, id, input, batch);
    },
  };
}

export type IncidentActivities = ReturnType<typeof createIncidentActivities>;
