import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

// @temporalio/proto is CommonJS, so its namespace comes through the default export.
const { temporal } = proto;

export interface SignalWithStart {
  workflowId: string;
  workflowType: string;
  taskQueue: string;
  args: unknown[];
  signal: string;
  signalArgs: unknown[];
  /**
   * The server keeps the request ids of the signals a run has taken and drops a second signal carrying one of them,
   * so a sender that may repeat itself (a retried activity) passes an id derived from what it sends.
   */
  requestId: string;
}

/**
 * Signal-with-start at the gRPC level, for the two things the SDK's helper hides: the request id, and the server's
 * `started` flag (false when the signal joined a running workflow, or was dropped as a repeat).
 */
export async function signalWithStartOnce(client: Client, request: SignalWithStart): Promise<{ started: boolean }> {
  const payloads = client.options.loadedDataConverter.payloadConverter;
  const response = await client.workflowService.signalWithStartWorkflowExecution({
    namespace: client.options.namespace,
    identity: client.options.identity,
    requestId: request.requestId,
    workflowId: request.workflowId,
    workflowType: { name: request.workflowType },
    taskQueue: { name: request.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
    input: { payloads: request.args.map((arg) => payloads.toPayload(arg)) },
    signalName: request.signal,
    signalInput: { payloads: request.signalArgs.map((arg) => payloads.toPayload(arg)) },
    workflowIdReusePolicy: temporal.api.enums.v1.WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
    workflowIdConflictPolicy: temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
  });
  return { started: Boolean(response.started) };
}
