import type { ActionResult } from './actions/action.ts';
import type { AlertSummary } from './alert.ts';
import type { EntityKind } from './entity.ts';
import type { Mode, PolicySnapshot } from './policy.ts';

export const INCIDENT_STATUSES = [
  'triage', 'watching', 'awaiting_approval', 'paused', 'containing', 'contained', 'observed', 'rejected', 'expired', 'allowlisted', 'failed',
  'below_threshold', 'reverted', 'closed', 'protected', 'responded', 'lifted', 'ended',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What the API hands a new incident workflow. */
export interface IncidentInput {
  playbook: string;
  entity: string;
  /** The principal who asked, for an incident a person started by hand: they may not approve it themselves. */
  requestedBy?: string;
  /** What they asked for. */
  request?: { durationMs: number; reason: string };
  policy: PolicySnapshot;
  /** Where operators look at an incident; links in notifications. */
  links: { consoleBase?: string; temporalUiBase?: string };
}

export interface Principal {
  name: string;
  kind: 'person' | 'automation';
}

export interface ApprovalDecision {
  by: string;
  comment?: string;
  at: string;
}

export type ActionOutcome = 'done' | 'skipped' | 'would_do' | 'refused' | 'failed' | 'reverted' | 'ended' | 'denied';

/** One planned action and what became of it; `params` and `ref` are what a revert needs. */
export interface ActionRecord {
  /** The action kind (domain/actions/). */
  kind: string;
  target: string;
  detail: string;
  outcome: ActionOutcome;
  at: string;
  error?: string;
  params?: unknown;
  /** What the adapters answered: vendor ids, the block lease. */
  result?: ActionResult;
  idempotencyKey?: string;
  /** Why it needs approval, and how many different people must give it. */
  approval?: { reasons: string[]; approvals: number };
}

export const VERDICTS = ['true_positive', 'false_positive'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface VerdictRecord {
  verdict: Verdict;
  by: string;
  comment?: string;
  at: string;
}

export interface TimelineEntry {
  at: string;
  event: string;
  detail?: string;
  by?: string;
}

export interface IncidentState {
  id: string;
  playbook: string;
  entity: string;
  entityKind: EntityKind;
  /** For an incident a person started by hand: who, since they may not approve it. */
  requestedBy?: string;
  status: IncidentStatus;
  mode: Mode;
  policyVersion: string;
  /** Sum of the alerts' counts. */
  alertCount: number;
  /** Alerts received, and in how many signals. */
  alertsReceived: number;
  alertBatches: number;
  maxSeverity: number;
  /** The first and the most recent alerts only, so histories stay bounded. */
  sampleAlerts: AlertSummary[];
  geo?: { country?: string; city?: string };
  previousIncidents?: number;
  /** Earlier blocks of the entity that ran to expiry within the offence memory: the step on the duration ladder. */
  priorOffences?: number;
  plan: string[];
  /** Why this incident needed a person's approval, when it did. */
  approvalReasons?: string[];
  /** When the approval timeout escalated, and to which routes. */
  escalated?: { at: string; routes: string[] };
  actions: ActionRecord[];
  approval?: ApprovalDecision & { decision: 'approved' | 'rejected' };
  /** Every approval given while waiting, one per principal: the two-person rule counts these. */
  approvals?: ApprovalDecision[];
  /** Distinct approvers the current wait needs. */
  approvalsNeeded?: number;
  verdict?: VerdictRecord;
  paused: boolean;
  openedAt: string;
}
