import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../../domain/duration.ts';
import { EdlFile, type FeedHold } from './edlFile.ts';
import type { EnforcementPoint } from './enforcementPoint.ts';
import { enforcementPointDefinition, type PointContext } from './pointDefinition.ts';
import type { OperatorNotice } from './pointServices.ts';

/** Firewalls that pull an External Dynamic List read this point through GET /v1/feeds/blocklist.txt. */
export function createEdlEnforcer(file: EdlFile): EnforcementPoint {
  return {
    name: 'edl',
    apply: ({ address, expiresAt }) => file.update((entries) => {
      entries.set(address, Math.max(expiresAt, entries.get(address) ?? 0));
    }),
    remove: (address) => file.update((entries) => {
      entries.delete(address);
    }),
    // Reconcile lists the point every cycle, which is when a hold whose notice failed is announced again.
    list: async () => {
      await file.announceHold();
      return file.live();
    },
  };
}

/** What the operators are told when the feed holds a shrink back. */
export function feedHeldNotice(hold: FeedHold): OperatorNotice {
  const total = hold.entries + hold.withheld;
  return {
    about: 'the blocklist feed',
    title: `The blocklist feed is held: it would drop ${hold.withheld} of ${total} entries at once`,
    message: `Since ${new Date(hold.since).toISOString()} the feed keeps serving ${hold.withheld} entries that were removed before their expiry `
      + `(for example ${hold.sample.slice(0, 5).join(', ')}), so the firewalls pulling it keep blocking them. Find out why they were removed; `
      + 'then release the hold (POST /v1/feeds/blocklist/release, admin), or it ends by itself when the list recovers.',
    status: 'held',
  };
}

const share = z.coerce.number().gt(0, 'a share above 0').max(1, 'a share of at most 1 (1 turns the guard off)');

export const edlPoint = enforcementPointDefinition({
  name: 'edl',
  description: 'the External Dynamic List that firewalls pull from GET /v1/feeds/blocklist.txt',
  settings: z.object({
    // A change that would drop more than this share of the feed's entries at once is held back.
    RIPOSTE_EDL_SHRINK_SHARE: share.default(0.5),
    // A feed smaller than this is never held.
    RIPOSTE_EDL_SHRINK_MIN_ENTRIES: z.coerce.number().int().min(1).default(20),
    // Removals this close together count as one shrink: the longest interval at which a firewall pulls.
    RIPOSTE_EDL_SHRINK_WINDOW: z.string().regex(DURATION_PATTERN, 'a duration such as 1h').transform(parseDuration).default(parseDuration('1h')),
  }),
  create: (settings, { paths, notifyOperators }: PointContext) => createEdlEnforcer(new EdlFile(paths.edlFile, {
    settings: { share: settings.RIPOSTE_EDL_SHRINK_SHARE, minEntries: settings.RIPOSTE_EDL_SHRINK_MIN_ENTRIES, windowMs: settings.RIPOSTE_EDL_SHRINK_WINDOW },
    onHeld: notifyOperators && ((hold) => notifyOperators(feedHeldNotice(hold))),
  })),
});
