import type { Alert } from '../domain/alert.ts';
import type { PlannedAction, Playbook } from './playbook.ts';

export const impossibleTravel: Playbook = {
  name: 'impossible-travel',
  entityKind: 'user',
  summary: 'Two sign-ins of one user farther apart than anyone can travel in the time between them: tell the user\'s manager, open a ticket, and optionally disable the account behind approval.',
  title: (entity) => `Impossible travel: ${entity}`,
  // Every successful sign-in goes to the user's login history (workflows/logins.ts), which raises the incident itself.
  viaLoginHistory: true,
  matches: (alert: Alert) => alert.type === 'auth.success' && alert.user !== undefined && alert.sourceIp !== undefined && alert.occurredAt !== undefined,
  entity: (alert: Alert) => {
    if (alert.user === undefined) throw new Error('impossible-travel alerts carry a user');
    return alert.user;
  },
  plan: (facts, policy) => {
    const addresses = [...new Set(facts.samples.flatMap((s) => (s.sourceIp ? [s.sourceIp] : [])))];
    const actions: PlannedAction[] = [
      { kind: 'notify', params: { routes: policy.notify, managerOf: facts.entity, message: facts.samples.at(-1)?.detail } },
      { kind: 'open_ticket', params: { observables: [{ kind: 'user', value: facts.entity }, ...addresses.map((value) => ({ kind: 'ip', value }))], tags: ['impossible-travel'] } },
    ];
    if (policy.travel.disableUser) actions.push({ kind: 'disable_user', params: { user: facts.entity }, mustApprove: 'disabling an account always needs a person' });
    return actions;
  },
};
