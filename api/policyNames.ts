import { enforcementPointDefinitions, enforcementPointNamed } from '../activities/enforce/registry.ts';
import type { PolicyDocument } from '../domain/policy.ts';
import { playbooks } from '../playbooks/index.ts';
import { alertSourceNamed, alertSources } from './sources/index.ts';

/**
 * What the policy's schema cannot check alone: that the playbooks, enforcement points and alert sources it names are
 * registered. Paths are the policy's own (`enforcement.points[1]`); both the policy file and POST /v1/simulate use it.
 */
export function unregisteredNames(policy: PolicyDocument): { path: (string | number)[]; message: string }[] {
  const known = playbooks.map((p) => p.name);
  return [
    ...Object.keys(policy.playbooks).filter((name) => !known.includes(name)).map((name) => ({ path: ['playbooks', name], message: `unknown playbook; known: ${known.join(', ')}` })),
    ...policy.enforcement.points.flatMap((name, i) => (enforcementPointNamed(name) ? [] : [{ path: ['enforcement', 'points', i], message: `unknown enforcement point ${name}; known: ${enforcementPointDefinitions.map((d) => d.name).join(', ')}` }])),
    ...Object.keys(policy.sources).filter((name) => !alertSourceNamed(name)).map((name) => ({ path: ['sources', name], message: `unknown alert source; known: ${alertSources.map((s) => s.name).join(', ')}` })),
  ];
}
