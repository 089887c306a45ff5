import type { Alert, AlertSummary } from '../domain/alert.ts';
import type { EntityKind } from '../domain/entity.ts';
import type { PlaybookPolicy } from '../domain/policy.ts';
import type { Reputation } from '../domain/reputation.ts';

/** What triage learned, handed to plan(). */
export interface Facts {
  entity: string;
  alertCount: number;
  maxSeverity: number;
  /** The first alerts and the latest: the fields a plan needs (URL, user, address), canonical. */
  samples: readonly AlertSummary[];
  geo?: { country?: string; city?: string };
  previousIncidents: number;
  /** Earlier blocks of the entity that ran to expiry within the policy's offence memory (addresses only). */
  priorOffences: number;
  /** What the reputation providers said of an address; absent when none answered. */
  reputation?: Reputation;
  /** What a person asked for, for an incident started by hand. */
  request?: { durationMs: number; reason: string };
}

/**
 * One action of a plan: a kind from domain/actions/ and its parameters, which the kind's schema checks before anything
 * acts. `mustApprove` makes it wait for a person in every mode, with that reason. `autoBecause` lets it run at once in
 * approve mode, for that reason (the policy's `autoWhen` met by the facts); observe mode and `mustApprove` still win.
 */
export interface PlannedAction {
  kind: string;
  params: Record<string, unknown>;
  mustApprove?: string;
  autoBecause?: string;
}

export interface Playbook {
  readonly name: string;
  readonly entityKind: EntityKind;
  /** One line for the README and `riposte simulate`: the alerts it takes and what it does. */
  readonly summary: string;
  readonly title: (entity: string) => string;
  /** Its alerts go to the entity's login history (workflows/logins.ts), which raises the incident when it finds one. */
  readonly viaLoginHistory?: true;
  /** Closes once its response is over, with no review window: nothing to attach to it later, no verdict to give. */
  readonly noReview?: true;
  matches(alert: Alert): boolean;
  /** The incident's entity, canonical; alerts with the same entity join one incident. */
  entity(alert: Alert): string;
  plan(facts: Facts, policy: PlaybookPolicy): PlannedAction[];
}

export function incidentKey(playbook: Playbook, alert: Alert): string {
  return `${playbook.name}:${playbook.entity(alert)}`;
}
