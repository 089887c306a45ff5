import type { Alert } from '../domain/alert.ts';
import { canonicalEntity } from '../domain/entity.ts';
import { accountCompromise } from './account-compromise.ts';
import { bruteForce } from './brute-force.ts';
import { impossibleTravel } from './impossible-travel.ts';
import { lateralMovement } from './lateral-movement.ts';
import { manualBlock } from './manual-block.ts';
import { phishing } from './phishing.ts';
import type { Playbook } from './playbook.ts';

export const playbooks: readonly Playbook[] = [bruteForce, impossibleTravel, phishing, lateralMovement, accountCompromise, manualBlock];

export function findPlaybook(alert: Alert): Playbook | undefined {
  return playbooks.find((playbook) => playbook.matches(alert));
}

export function playbookByName(name: string): Playbook | undefined {
  return playbooks.find((playbook) => playbook.name === name);
}

/**
 * The incident id a text names, `<playbook>:<canonical entity>` with the entity of the playbook's kind, however it was
 * spelled (`phishing:Alice@Example.org` → `phishing:alice@example.org`); undefined when it names none. What the API
 * and Slack resolve before touching a workflow, so no other workflow (a block, the control) can be reached.
 */
export function canonicalIncidentId(value: string): string | undefined {
  const colon = value.indexOf(':');
  const playbook = colon < 0 ? undefined : playbookByName(value.slice(0, colon));
  if (!playbook) return undefined;
  try {
    return `${playbook.name}:${canonicalEntity(playbook.entityKind, value.slice(colon + 1))}`;
  } catch {
    return undefined;
  }
}

/** Whether a text is an incident id exactly as its workflow is named. */
export const isIncidentId = (value: string): boolean => canonicalIncidentId(value) === value;
