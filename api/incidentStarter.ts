import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { AlertBatch } from '../domain/alert.ts';
import type { IncidentInput } from '../domain/incident.ts';
import { alertsSignal } from '../workflows/messages.ts';
import { signalWithStartOnce } from './signalOnce.ts';

export interface StartResult {
  /** False when the alerts joined an incident that was already open. */
  started: boolean;
}

/**
 * Starts the incident with its alerts, or adds them to the open one; `started` tells the SIEM whether the alert was
 * deduplicated. A fresh request id: a caller that may repeat itself passes its own through signalWithStartOnce.
 */
export function signalIncident(client: Client, taskQueue: string, workflowId: string, input: IncidentInput, batch: AlertBatch, requestId: string = randomUUID()): Promise<StartResult> {
  return signalWithStartOnce(client, { workflowId, workflowType: 'incidentWorkflow', taskQueue, args: [input], signal: alertsSignal.name, signalArgs: [batch], requestId });
}
