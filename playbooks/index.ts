import type { Alert } from '../domain/alert.ts';
import { canonicalIp } from '../domain/ip.ts';
import { bruteForce } from './brute-force.ts';
import type { Playbook } from './playbook.ts';

export const playbooks: readonly Playbook[] = [bruteForce];

export function findPlaybook(alert: Alert): Playbook | undefined {
  return playbooks.find((playbook) => playbook.matches(alert));
}

export function playbookByName(name: string): Playbook | undefined {
  return playbooks.find((playbook) => playbook.name === name);
}

/** Whether a text is an incident id, `<playbook>:<canonical ip>`: what the API and Slack accept before touching a workflow. */
export function isIncidentId(value: string): boolean {
  const colon = value.indexOf(':');
  if (colon < 0 || !playbookByName(value.slice(0, colon))) return false;
  try {
    return canonicalIp(value.slice(colon + 1)).address === value.slice(colon + 1);
  } catch {
    return false;
  }
}
