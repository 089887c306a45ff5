import type { Client } from '@temporalio/client';
import { type Alert, type AlertBatch, addToBatch, EMPTY_BATCH, summarizeAlert } from '../domain/alert.ts';
import type { IncidentInput } from '../domain/incident.ts';
import type { PolicySnapshot } from '../domain/policy.ts';
import { findPlaybook } from '../playbooks/index.ts';
import { incidentKey } from '../playbooks/playbook.ts';
import { loginHistoryWorkflowId } from '../workflows/ids.ts';
import { type LoginSignal, loginsSignal } from '../workflows/messages.ts';
import { temporalUnavailable } from './errors.ts';
import type { StartResult } from './incidentStarter.ts';
import { signalWithStartOnce } from './signalOnce.ts';
import { temporalReachable } from './temporalReachable.ts';

/** Where validated alerts go: the API's alert routes and the pollers (activities/poll/) both send through here. */
export interface AlertDelivery {
  client: Client;
  taskQueue: string;
  links: IncidentInput['links'];
  /** One incident's alerts: the API coalesces concurrent requests (api/incidentCoalescer.ts), a poller sends each group once. */
  sendIncident(workflowId: string, input: IncidentInput, batch: AlertBatch, alerts: readonly Alert[]): Promise<StartResult>;
  /** The request id of the signal carrying `alerts` to `workflowId`: a repeat with the same id is dropped by the server. */
  requestId(workflowId: string, alerts: readonly Alert[]): string;
}

interface IncidentGroup {
  id: string;
  playbook: string;
  entity: string;
  alerts: Alert[];
  /** The alerts go to the entity's login history, which raises the incident itself when it finds one. */
  viaLoginHistory: boolean;
}

export interface IngestResult {
  accepted: number;
  /** Alerts no playbook matched. */
  unmatched: number;
  incidents: { id: string; playbook: string; deduplicated: boolean }[];
  tracked: { id: string; playbook: string }[];
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
async function trackLogins(delivery: AlertDelivery, group: IncidentGroup, incident: IncidentInput): Promise<{ id: string; playbook: string }> {
  const workflowId = loginHistoryWorkflowId(group.entity);
  const logins = group.alerts.map((a) => ({ address: a.sourceIp!, occurredAt: a.occurredAt!, alertId: a.id, source: a.source, severity: a.severity }));
  const signal: LoginSignal = { logins, incident };
  await signalWithStartOnce(delivery.client, {
    workflowId, workflowType: 'loginHistoryWorkflow', taskQueue: delivery.taskQueue, args: [{ user: group.entity }],
    signal: loginsSignal.name, signalArgs: [signal], requestId: delivery.requestId(workflowId, group.alerts),
  });
  return { id: workflowId, playbook: group.playbook };
}

/**
 * Sends validated alerts to their incidents (or login histories), and resolves only once Temporal holds every one of
 * them: a caller that sees this resolve may forget the alerts; one that sees it throw must send them again.
 */
export async function ingestAlerts(delivery: AlertDelivery, alerts: readonly Alert[], policy: PolicySnapshot, receivedAt: Date): Promise<IngestResult> {
  const { groups, unmatched } = groupByIncident(alerts);
  const inputOf = (group: IncidentGroup): IncidentInput => ({ playbook: group.playbook, entity: group.entity, policy, links: delivery.links });
  // A stopped server is told from a busy one before anything is sent, so the SIEM hears 503 within 2 s, not at the
  // deadline a busy server is given in full; nothing sent to a server that is down can land after that answer.
  if (groups.length > 0 && !(await temporalReachable(delivery.client))) throw temporalUnavailable();
  const [incidents, tracked] = await delivery.client.withDeadline(Date.now() + 10_000, () => Promise.all([
    Promise.all(groups.filter((g) => !g.viaLoginHistory).map(async (group) => {
      const batch = addToBatch(EMPTY_BATCH, group.alerts.map((a) => summarizeAlert(a, receivedAt.toISOString())));
      const { started } = await delivery.sendIncident(group.id, inputOf(group), batch, group.alerts);
      return { id: group.id, playbook: group.playbook, deduplicated: !started };
    })),
    Promise.all(groups.filter((g) => g.viaLoginHistory).map((group) => trackLogins(delivery, group, inputOf(group)))),
  ]));
  return { accepted: alerts.length, unmatched, incidents, tracked };
}
