import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { AlertBatch } from '../domain/alert.ts';
import type { IncidentInput } from '../domain/incident.ts';
import { alertsSignal } from '../workflows/messages.ts';

// @temporalio/proto is CommonJS, so its namespace comes through the default export.
const { temporal } = proto;

export interface StartResult {
  /** False when the alerts joined an incident that was already open. */
  started: boolean;
}

/**
 * Signal-with-start at the gRPC level: the SDK's helper drops the server's `started` flag, and the caller needs it
 * to tell the SIEM whether the alert was deduplicated.
 */
export async function signalIncident(client: Client, taskQueue: string, workflowId: string, input: IncidentInput, batch: AlertBatch): Promise<StartResult> {
  const payloads = client.options.loadedDataConverter.payloadConverter;
  const response = await client.workflowService.signalWithStartWorkflowExecution({
    namespace: client.options.namespace,
    identity: client.options.identity,
    requestId: randomUUID(),
    workflowId,
    workflowType: { name: 'incidentWorkflow' },
    taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input: { payloads: [payloads.toPayload(input)] },
    signalName: alertsSignal.name,
    signalInput: { payloads: [payloads.toPayload(batch)] },
    workflowIdReusePolicy: temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
    workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
  });
  return { started: Boolean(response.started) };
}
