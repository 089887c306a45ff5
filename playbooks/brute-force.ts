import type { Alert } from '../domain/alert.ts';
import { canonicalCidr } from '../domain/ip.ts';
import { blockDurationFor } from '../domain/policy.ts';
import { autoWhenMet } from '../domain/reputation.ts';
import type { Playbook } from './playbook.ts';

const AUTH_FAILURE_TYPES = new Set(['auth.failure', 'auth.bruteforce', 'authentication.failure', 'login.failure']);

export const bruteForce: Playbook = {
  name: 'brute-force',
  entityKind: 'address',
  summary: 'Repeated authentication failures from one address: block the address (or its prefix) for a time that grows with each offence.',
  title: (entity) => `Brute force from ${entity}`,
  matches: (alert: Alert) => AUTH_FAILURE_TYPES.has(alert.type) && alert.sourceIp !== undefined,
  entity: (alert: Alert) => {
    if (alert.sourceIp === undefined) throw new Error('brute-force alerts carry a source IP');
    return alert.sourceIp;
  },
  plan: (facts, policy) => {
    const autoBecause = autoWhenMet(policy.autoWhen, facts.reputation);
    return [{
      kind: 'block',
      params: {
        // The entity, or the network around it when the policy blocks whole prefixes (IPv6 attackers rotate within a /64).
        address: canonicalCidr(`${facts.entity}/${facts.entity.includes(':') ? policy.blockPrefix.ipv6 : policy.blockPrefix.ipv4}`).text,
        durationMs: blockDurationFor(policy, facts.priorOffences),
        reason: `${facts.alertCount} authentication failures${facts.priorOffences > 0 ? `, offence ${facts.priorOffences + 1}` : ''}`,
      },
      ...(autoBecause ? { autoBecause } : {}),
    }];
  },
};
