import type { AuditRecord } from '../../activities/audit/record.ts';
import type { AlertSummary } from '../alert.ts';
import type { Verdict } from '../incident.ts';
import type { Mode } from '../policy.ts';
import type { PlanStep } from '../responsePlan.ts';

/**
 * Facts an incident records in the audit trail besides its actions, so reports outlive Temporal's retention: what it
 * decided (in observe mode the only trace of what it would have done) and the verdict people gave it.
 */
export const DECISION_EVENT = 'incident.decide';
export const VERDICT_EVENT = 'incident.verdict';

export interface DecisionParameters {
  playbook: string;
  mode: Mode;
  entity: string;
  /** The alert types (the SIEM rules mapped to them) among the incident's sample alerts. */
  rules: string[];
  alertCount: number;
  steps: { kind: string; target: string; disposition: PlanStep['disposition'] }[];
}

export interface VerdictParameters {
  playbook: string;
  verdict: Verdict;
}

export function decisionParameters(
  incident: { playbook: string; mode: Mode; entity: string; alertCount: number; sampleAlerts: readonly AlertSummary[] },
  steps: readonly PlanStep[],
): DecisionParameters {
  return {
    playbook: incident.playbook,
    mode: incident.mode,
    entity: incident.entity,
    rules: [...new Set(incident.sampleAlerts.map((alert) => alert.type))],
    alertCount: incident.alertCount,
    steps: steps.map(({ kind, target, disposition }) => ({ kind, target, disposition })),
  };
}

export const isDecision = (record: AuditRecord): boolean => record.phase === 'event' && record.action === DECISION_EVENT;
export const isVerdict = (record: AuditRecord): boolean => record.phase === 'event' && record.action === VERDICT_EVENT;
