import { patched, proxyLocalActivities } from '@temporalio/workflow';
import type { IncidentEventActivities } from '../../activities/audit/incidentEvents.ts';
import type { VerdictRecord } from '../../domain/incident.ts';
import { DECISION_EVENT, decisionParameters, VERDICT_EVENT, type VerdictParameters } from '../../domain/reports/auditEvents.ts';
import { INCIDENT_ACTIVITY_OPTIONS } from '../activityOptions.ts';
import { rootCauseMessage } from '../failures.ts';
import type { Incident } from './incident.ts';

const { recordIncidentEvent } = proxyLocalActivities<IncidentEventActivities>(INCIDENT_ACTIVITY_OPTIONS.auditEvent);

/** Histories recorded before incidents wrote their decisions and verdicts to the audit trail replay without the calls. */
const AUDIT_EVENTS_PATCH = 'audit-incident-events';

/** What the incident decided, in the trail: in observe mode the only record of what it would have done. */
export async function auditDecision(incident: Incident): Promise<void> {
  if (!patched(AUDIT_EVENTS_PATCH)) return;
  await recordEvent(incident, DECISION_EVENT, { ...decisionParameters(incident.state, incident.steps) });
}

export async function auditVerdict(incident: Incident, verdict: VerdictRecord): Promise<void> {
  if (!patched(AUDIT_EVENTS_PATCH)) return;
  const parameters: VerdictParameters = { playbook: incident.state.playbook, verdict: verdict.verdict };
  await recordEvent(incident, VERDICT_EVENT, { ...parameters }, verdict.by);
}

async function recordEvent(incident: Incident, action: string, parameters: Record<string, unknown>, actor?: string): Promise<void> {
  const audit = { ...incident.auditContext(), ...(actor ? { actor } : {}) };
  try {
    await recordIncidentEvent({ action, target: incident.state.entity, parameters, audit });
  } catch (err) {
    incident.record('audit_failed', `${action} not written to the audit trail: ${rootCauseMessage(err)}`);
  }
}
