import { addToBatch, EMPTY_BATCH, summarizeAlert } from '../../domain/alert.ts';
import type { IncidentInput } from '../../domain/incident.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { normalizeAlerts } from '../../api/sources/index.ts';
import { findPlaybook } from '../../playbooks/index.ts';
import { incidentKey } from '../../playbooks/playbook.ts';
import { loadPolicy } from '../../runtime/policyFile.ts';
import { MAIN_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import type { Stack } from './stack.ts';

/**
 * The API's work on an alert without the API: the same normalization, the same incident, the same policy snapshot and
 * the same signal-with-start, from this process. What it leaves out is HTTP, authentication, the process hop and the
 * API's coalescing of alerts in flight for one incident.
 */
export async function rawIngest(stack: Stack) {
  const policy = await loadPolicy(stack.policyFile);
  return async (body: Record<string, unknown>): Promise<void> => {
    const receivedAt = new Date();
    const [alert] = normalizeAlerts('humio', body, receivedAt);
    const playbook = findPlaybook(alert!);
    if (!playbook) throw new Error('no playbook takes this alert');
    const input: IncidentInput = { playbook: playbook.name, entity: playbook.entity(alert!), policy, links: {} };
    await signalIncident(stack.client, MAIN_TASK_QUEUE, incidentKey(playbook, alert!), input, addToBatch(EMPTY_BATCH, [summarizeAlert(alert!, receivedAt.toISOString())]));
  };
}
