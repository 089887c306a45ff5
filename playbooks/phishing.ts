import type { Alert } from '../domain/alert.ts';
import { domainOfUrl } from '../domain/entity.ts';
import { isCanonicalIp } from '../domain/ip.ts';
import type { Facts, PlannedAction, Playbook } from './playbook.ts';

/** The latest alert that names a URL: the click the incident is about. */
const click = (facts: Facts) => [...facts.samples].reverse().find((s) => s.url !== undefined);

/** The clicked URL, its domain, the user and the address they clicked from: what the ticket's analyst starts from. */
function observables(facts: Facts, url: string | undefined) {
  const sample = click(facts);
  const domain = url ? domainOfUrl(url) : undefined;
  return [
    ...(url ? [{ kind: 'url' as const, value: url }] : []),
    ...(domain ? [{ kind: isCanonicalIp(domain) ? 'ip' as const : 'domain' as const, value: domain }] : []),
    { kind: 'user' as const, value: facts.entity },
    ...(sample?.sourceIp ? [{ kind: 'ip' as const, value: sample.sourceIp }] : []),
  ];
}

export const phishing: Playbook = {
  name: 'phishing',
  entityKind: 'user',
  summary: 'A user clicked a phishing link: open a case with the URL, domain, user and address, and optionally put the domain on the domain feed.',
  title: (entity) => `Phishing click by ${entity}`,
  matches: (alert: Alert) => alert.type === 'phishing.click' && alert.user !== undefined && alert.url !== undefined,
  entity: (alert: Alert) => {
    if (alert.user === undefined) throw new Error('phishing alerts carry a user');
    return alert.user;
  },
  plan: (facts, policy) => {
    const url = click(facts)?.url;
    const actions: PlannedAction[] = [{ kind: 'open_ticket', params: { observables: observables(facts, url), tags: ['phishing'] } }];
    const domain = url ? domainOfUrl(url) : undefined;
    if (policy.domainBlockDuration !== undefined && domain && !isCanonicalIp(domain)) {
      actions.push({ kind: 'blocklist_domain', params: { domain, durationMs: policy.domainBlockDuration } });
    }
    return actions;
  },
};
