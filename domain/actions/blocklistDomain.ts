import { z } from 'zod';
import { domainField, urlField } from '../addressFields.ts';
import { formatDuration } from '../duration.ts';
import { protectedBy } from '../protect.ts';
import type { ActionKind } from './action.ts';

const params = z.union([
  z.object({ domain: domainField, durationMs: z.number().int().positive() }).strict(),
  z.object({ url: urlField, durationMs: z.number().int().positive() }).strict(),
]);
type BlocklistDomainParams = z.output<typeof params>;

const entryOf = (p: BlocklistDomainParams) => ('domain' in p ? p.domain : p.url);
const NONE = 'no domain feed is configured on this worker';

export const blocklistDomain: ActionKind<BlocklistDomainParams> = {
  name: 'blocklist_domain',
  params,
  containment: true,
  breaker: true,
  holds: true,
  target: entryOf,
  describe: (p) => `put ${entryOf(p)} on the domain feed for ${formatDuration(p.durationMs)}`,
  refusal: (p, guard) => {
    const rule = 'domain' in p ? protectedBy('domain', p.domain, guard.protect) : protectedBy('url', p.url, guard.protect);
    return rule ? `${entryOf(p)} is protected by ${rule}` : undefined;
  },
  idempotencyKey: (incidentId, p) => `${incidentId}|blocklist_domain|${entryOf(p)}`,
  async apply(ports, p) {
    if (!ports.domainFeed) return { outcome: 'skipped', detail: NONE };
    const expiresAt = Date.now() + p.durationMs;
    await ports.domainFeed.add(entryOf(p), expiresAt);
    return { outcome: 'done', detail: `${entryOf(p)} on the domain feed until ${new Date(expiresAt).toISOString()}` };
  },
  async revert(ports, p) {
    if (!ports.domainFeed) return { outcome: 'skipped', detail: NONE };
    await ports.domainFeed.remove(entryOf(p));
    return { outcome: 'done', detail: `${entryOf(p)} removed from the domain feed` };
  },
};
