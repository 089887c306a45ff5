import { z } from 'zod';
import { hostField } from '../addressFields.ts';
import { protectedBy } from '../protect.ts';
import { type ActionKind, onChanged, onEvery } from './action.ts';

const params = z.object({ host: hostField }).strict();
type IsolateHostParams = z.output<typeof params>;

const NONE = 'no EDR is configured (FALCON_CLIENT_ID or DEFENDER_TENANT_ID)';

export const isolateHost: ActionKind<IsolateHostParams> = {
  name: 'isolate_host',
  params,
  containment: true,
  breaker: true,
  holds: true,
  approvalKey: 'isolate_host',
  target: (p) => p.host,
  describe: (p) => `isolate the host ${p.host}`,
  refusal: (p, guard) => {
    const rule = protectedBy('host', p.host, guard.protect);
    return rule ? `${p.host} is protected by ${rule}` : undefined;
  },
  idempotencyKey: (incidentId, p) => `${incidentId}|isolate_host|${p.host}`,
  apply: (ports, p, incident) => onEvery(ports.containment, NONE, (edr) => edr.isolate(p.host, `Riposte incident ${incident.id}`)),
  revert: (ports, p, incident, applied, by) => onChanged(ports.containment, applied, NONE, (edr) => edr.release(p.host, `Riposte: false positive on ${incident.id}, by ${by}`)),
};
