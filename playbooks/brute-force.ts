import type { Alert } from '../domain/alert.ts';
import type { Playbook } from './playbook.ts';

const AUTH_FAILURE_TYPES = new Set(['auth.failure', 'auth.bruteforce', 'authentication.failure', 'login.failure']);

export const bruteForce: Playbook = {
  name: 'brute-force',
  title: (entity) => `Brute force from ${entity}`,
  matches: (alert: Alert) => AUTH_FAILURE_TYPES.has(alert.type) && alert.sourceIp !== undefined,
  entity: (alert: Alert) => {
    if (alert.sourceIp === undefined) throw new Error('brute-force alerts carry a source IP');
    return alert.sourceIp;
  },
  plan: (facts, policy) => [
    { kind: 'block', address: facts.entity, durationMs: policy.blockDuration, reason: `${facts.alertCount} authentication failures` },
    { kind: 'notify', routes: policy.notify },
  ],
};
