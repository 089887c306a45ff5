import type { Alert } from '../domain/alert.ts';
import type { Playbook } from './playbook.ts';

const TYPES = new Set(['process.lateral_movement', 'malware.ransomware']);

export const lateralMovement: Playbook = {
  name: 'lateral-movement',
  entityKind: 'host',
  summary: 'Lateral movement or ransomware on a host: tag the host as risky at once, open a ticket, and isolate it once a person approves.',
  title: (entity) => `Lateral movement on ${entity}`,
  matches: (alert: Alert) => TYPES.has(alert.type) && alert.host !== undefined,
  entity: (alert: Alert) => {
    if (alert.host === undefined) throw new Error('lateral-movement alerts carry a host');
    return alert.host;
  },
  plan: (facts) => {
    const users = [...new Set(facts.samples.flatMap((s) => (s.user ? [s.user] : [])))];
    const addresses = [...new Set(facts.samples.flatMap((s) => (s.sourceIp ? [s.sourceIp] : [])))];
    return [
      { kind: 'tag_host', params: { host: facts.entity, tag: 'riposte:risky' } },
      {
        kind: 'open_ticket',
        params: {
          observables: [
            { kind: 'host', value: facts.entity },
            ...users.map((value) => ({ kind: 'user', value })),
            ...addresses.map((value) => ({ kind: 'ip', value })),
          ],
          tags: ['lateral-movement'],
        },
      },
      // Cutting a host off the network stops its owner's work too, so it waits for a person in every mode.
      { kind: 'isolate_host', params: { host: facts.entity }, mustApprove: 'isolating a host needs a person' },
    ];
  },
};
