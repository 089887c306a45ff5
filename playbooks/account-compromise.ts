import type { Alert } from '../domain/alert.ts';
import type { Playbook } from './playbook.ts';

export const accountCompromise: Playbook = {
  name: 'account-compromise',
  entityKind: 'user',
  summary: 'An account is believed compromised: disable it once a person (two, by default) approves, and open a ticket.',
  title: (entity) => `Account compromise: ${entity}`,
  matches: (alert: Alert) => alert.type === 'account.compromise' && alert.user !== undefined,
  entity: (alert: Alert) => {
    if (alert.user === undefined) throw new Error('account-compromise alerts carry a user');
    return alert.user;
  },
  plan: (facts) => {
    const addresses = [...new Set(facts.samples.flatMap((s) => (s.sourceIp ? [s.sourceIp] : [])))];
    return [
      // Locking out the wrong person is the failure users fear here, so this waits for approval whatever the mode.
      { kind: 'disable_user', params: { user: facts.entity }, mustApprove: 'disabling an account always needs a person' },
      {
        kind: 'open_ticket',
        params: { observables: [{ kind: 'user', value: facts.entity }, ...addresses.map((value) => ({ kind: 'ip', value }))], tags: ['account-compromise'] },
      },
    ];
  },
};
