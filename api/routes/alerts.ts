import { Router } from 'express';
import type { Client } from '@temporalio/client';
import { type Alert, addToBatch, EMPTY_BATCH, summarizeAlert } from '../../domain/alert.ts';
import type { IncidentInput } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { findPlaybook } from '../../playbooks/index.ts';
import { incidentKey } from '../../playbooks/playbook.ts';
import { createIncidentCoalescer } from '../incidentCoalescer.ts';
import { signalIncident } from '../incidentStarter.ts';
import { HttpError } from '../errors.ts';
import { alertSourceNamed, normalizeAlerts } from '../sources/index.ts';
import { loginHistoryWorkflowId } from '../../workflows/ids.ts';
import type { loginHistoryWorkflow } from '../../workflows/logins.ts';
import { type LoginSignal, loginsSignal } from '../../workflows/messages.ts';

export interface AlertsRouteDeps {
  client: Client;
  taskQueue: string;
  policy: () => PolicySnapshot;
  links: IncidentInput['links'];
  /** How long alerts for one incident wait to share a signal; 0 still merges those of one event-loop turn. */
  coalesceWindowMs: number;
}

interface IncidentGroup {
  id: string;
  playbook: string;
  entity: string;
  alerts: Alert[];
  /** The alerts go to the entity's login history, which raises the incident itself when it finds one. */
  viaLoginHistory: boolean;
}

/** Groups alerts by incident key, so one request makes one signal per incident however many alerts it carries. */
function groupByIncident(alerts: readonly Alert[]): { groups: IncidentGroup[]; unmatched: number } {
  const groups = new Map<string, IncidentGroup>();
  let unmatched = 0;
  for (const alert of alerts) {
    const playbook = findPlaybook(alert);
    if (!playbook) {
      unmatched += 1;
      continue;
    }
    const id = incidentKey(playbook, alert);
    const group = groups.get(id) ?? { id, playbook: playbook.name, entity: playbook.entity(alert), alerts: [], viaLoginHistory: playbook.viaLoginHistory === true };
    group.alerts.push(alert);
    groups.set(id, group);
  }
  return { groups: [...groups.values()], unmatched };
}

/** Sign-ins for one user go to `logins:<user>` in one signal; the history starts with the first. */
async function trackLogins(client: Client, taskQueue: string, group: IncidentGroup, incident: IncidentInput): Promise<{ id: string; playbook: string }> {
  const workflowId = loginHistoryWorkflowId(group.entity);
  const logins = group.alerts.map((a) => ({ address: a.sourceIp!, occurredAt: a.occurredAt!, alertId: a.id, source: a.source, severity: a.severity }));
  await client.workflow.signalWithStart<typeof loginHistoryWorkflow, [LoginSignal]>('loginHistoryWorkflow', { workflowId, taskQueue, args: [{ user: group.entity }], signal: loginsSignal, signalArgs: [{ logins, incident }] });
  return { id: workflowId, playbook: group.playbook };
}

export function alertsRouter({ client, taskQueue, policy, links, coalesceWindowMs }: AlertsRouteDeps): Router {
  const router = Router();
  const coalescer = createIncidentCoalescer((id, input, batch) => signalIncident(client, taskQueue, id, input, batch), coalesceWindowMs);
  const ingest = (source: string) => async (req: import('express').Request, res: import('express').Response) => {
    const receivedAt = new Date();
    const snapshot = policy();
    const alerts = normalizeAlerts(source, req.body, receivedAt, { sources: snapshot.sources, redact: snapshot.redactFields });
    const { groups, unmatched } = groupByIncident(alerts);
    // Answer only once Temporal holds every alert, so a 202 means durably accepted and anything else means retry.
    const incidentGroups = groups.filter((g) => !g.viaLoginHistory);
    const [incidents, tracked] = await client.withDeadline(Date.now() + 10_000, () => Promise.all([Promise.all(incidentGroups.map(async (group) => {
      const input: IncidentInput = { playbook: group.playbook, entity: group.entity, policy: snapshot, links };
      const batch = addToBatch(EMPTY_BATCH, group.alerts.map((a) => summarizeAlert(a, receivedAt.toISOString())));
      const { started } = await coalescer.submit(group.id, input, batch);
      return { id: group.id, playbook: group.playbook, deduplicated: !started };
    })), Promise.all(groups.filter((g) => g.viaLoginHistory).map((group) => trackLogins(client, taskQueue, group, { playbook: group.playbook, entity: group.entity, policy: snapshot, links })))]));
    res.status(202).json({ accepted: alerts.length, unmatched, incidents, ...(tracked.length > 0 ? { tracked } : {}) });
  };
  router.post('/v1/alerts', ingest('generic'));
  router.post('/v1/alerts/:source', (req, res) => ingest(String(req.params.source))(req, res));
  // A SIEM's one-time check that the URL is its receiver (Okta event hooks), made with the same credential as its posts.
  router.get('/v1/alerts/:source', (req, res) => {
    const answer = alertSourceNamed(String(req.params.source))?.verification?.((name) => req.get(name));
    if (!answer) throw new HttpError(404, 'not_found', 'this source has no verification request; send alerts with POST');
    res.json(answer);
  });
  return router;
}
