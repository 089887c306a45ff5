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
 * Whether a text is an incident id, `<playbook>:<canonical entity>` with the entity of the playbook's kind: what the
 * API, the CLI and Slack accept before touching a workflow, so no other workflow (a block, the control) can be reached.
 */
export function isIncidentId(value: string): boolean {
  const colon = value.indexOf(':');
  const playbook = colon < 0 ? undefined : playbookByName(value.slice(0, colon));
  if (!playbook) return false;
  const entity = value.slice(colon + 1);
  try {
    return canonicalEntity(playbook.entityKind, entity) === entity;
  } catch {
    return false;
  }
}
