import type { Alert } from '../domain/alert.ts';
import { bruteForce } from './brute-force.ts';
import type { Playbook } from './playbook.ts';

export const playbooks: readonly Playbook[] = [bruteForce];

export function findPlaybook(alert: Alert): Playbook | undefined {
  return playbooks.find((playbook) => playbook.matches(alert));
}

export function playbookByName(name: string): Playbook | undefined {
  return playbooks.find((playbook) => playbook.name === name);
}
