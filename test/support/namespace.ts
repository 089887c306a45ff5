import { randomBytes } from 'node:crypto';
import { Client, type Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { registerSearchAttributes } from '../../runtime/searchAttributes.ts';
import { statusAttribute } from '../../workflows/searchAttributes.ts';
import { eventually } from './temporal.ts';

/**
 * A namespace of its own on the suite's server, for a test that runs Riposte's entry points as processes. Those take
 * enforcement tasks from the fixed `riposte-enforcement` queue (workflows/taskQueues.ts), so only a namespace keeps
 * them from taking another such test's firewall changes. Riposte's search attributes are registered in it.
 */
export async function isolatedNamespace(connection: Connection, prefix: string): Promise<string> {
  const namespace = `${prefix}-${randomBytes(4).toString('hex')}`;
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: proto.google.protobuf.Duration.fromObject({ seconds: 24 * 3600 }),
  });
  const client = new Client({ connection, namespace });
  // The frontend serves a new namespace, and reads its search attributes, from its next cache refresh on.
  await eventually(`namespace ${namespace} in service`, async () => {
    await registerSearchAttributes(client, namespace);
    await client.workflow.count(`WorkflowType = "incidentWorkflow" AND ${statusAttribute.name} = "contained"`);
    return true;
  }, 60_000);
  return namespace;
}
