import type { Alert } from '../domain/alert.ts';
import type { PlaybookPolicy } from '../domain/policy.ts';

/** What triage learned, handed to plan(). */
export interface Facts {
  entity: string;
  alertCount: number;
  maxSeverity: number;
  geo?: { country?: string; city?: string };
  previousIncidents: number;
  /** Earlier blocks of the entity that ran to expiry within the policy's offence memory. */
  priorOffences: number;
}

export type PlannedAction =
  | { kind: 'block'; address: string; durationMs: number; reason: string }
  | { kind: 'notify'; routes: PlaybookPolicy['notify'] };

export interface Playbook {
  readonly name: string;
  readonly title: (entity: string) => string;
  matches(alert: Alert): boolean;
  /** The incident's entity; alerts with the same entity join one incident. */
  entity(alert: Alert): string;
  plan(facts: Facts, policy: PlaybookPolicy): PlannedAction[];
}

export function incidentKey(playbook: Playbook, alert: Alert): string {
  return `${playbook.name}:${playbook.entity(alert)}`;
}
