import type { AlertSummary } from './alert.ts';
import type { Mode, PolicySnapshot } from './policy.ts';

export const INCIDENT_STATUSES = [
  'triage', 'awaiting_approval', 'paused', 'containing', 'contained', 'observed', 'rejected', 'expired', 'allowlisted', 'failed', 'closed',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** What the API hands a new incident workflow. */
export interface IncidentInput {
  playbook: string;
  entity: string;
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

export interface ActionRecord {
  kind: 'block' | 'notify';
  target: string;
  detail: string;
  outcome: 'done' | 'would_do' | 'refused' | 'failed';
  at: string;
  error?: string;
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
  plan: string[];
  actions: ActionRecord[];
  approval?: ApprovalDecision & { decision: 'approved' | 'rejected' };
  paused: boolean;
  openedAt: string;
}
