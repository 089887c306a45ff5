import { z } from 'zod';
import { hostField } from '../addressFields.ts';
import { protectedBy } from '../protect.ts';
import { type ActionKind, onEvery } from './action.ts';

const params = z.object({
  host: hostField,
  tag: z.string().regex(/^[a-z0-9][a-z0-9:._-]{0,63}$/, 'a lower-case tag such as riposte:risky').default('riposte:risky'),
}).strict();
type TagHostParams = z.output<typeof params>;

const NONE = 'no asset tracker is configured (RIPOSTE_ASSET_URL)';

export const tagHost: ActionKind<TagHostParams> = {
  name: 'tag_host',
  params,
  containment: true,
  breaker: false,
  holds: false,
  target: (p) => p.host,
  describe: (p) => `tag the host ${p.host} ${p.tag}`,
  refusal: (p, guard) => {
    const rule = protectedBy('host', p.host, guard.protect);
    return rule ? `${p.host} is protected by ${rule}` : undefined;
  },
  idempotencyKey: (incidentId, p) => `${incidentId}|tag_host|${p.host}|${p.tag}`,
  apply: (ports, p, incident) => onEvery(ports.assets, NONE, (tracker) => tracker.tag(p.host, p.tag, `Riposte incident ${incident.id}`)),
  revert: (ports, p, incident, _applied, by) => onEvery(ports.assets, NONE, (tracker) => tracker.untag(p.host, p.tag, `Riposte: false positive on ${incident.id}, by ${by}`)),
};
