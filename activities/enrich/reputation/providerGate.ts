import type { Reputation, ReputationNote } from '../../../domain/reputation.ts';
import { RateLimited, type ReputationProvider } from './provider.ts';
import { TtlCache } from './ttlCache.ts';

export interface GateOptions {
  now?: () => number;
  /** Addresses each provider's cache holds. */
  maxEntries?: number;
}

export type GatedAnswer = { reputation: Reputation } | { note: ReputationNote };

/**
 * A provider behind its cache and its rate limit. An answer is kept for the provider's TTL. A 429 holds every lookup
 * back for as long as the provider asked (Retry-After, X-RateLimit-Reset); meanwhile lookups are skipped with a note,
 * never waited for, so an incident is not held up by a provider's quota. A failure is a note too.
 */
export function gateProvider(provider: ReputationProvider, { now = Date.now, maxEntries = 10_000 }: GateOptions = {}) {
  const cache = new TtlCache<Reputation>(maxEntries);
  let limitedUntil = 0;
  const note = (outcome: ReputationNote['outcome'], reason: string): GatedAnswer => ({ note: { provider: provider.name, outcome, reason } });
  return {
    name: provider.name,
    async lookup(address: string): Promise<GatedAnswer> {
      const cached = cache.get(address, now());
      if (cached) return { reputation: cached };
      if (now() < limitedUntil) return note('skipped', `rate limited until ${new Date(limitedUntil).toISOString()}`);
      try {
        const reputation = await provider.lookup(address);
        cache.set(address, reputation, now() + provider.ttlMs);
        return { reputation };
      } catch (err) {
        if (!(err instanceof RateLimited)) return note('failed', (err as Error).message);
        limitedUntil = Math.max(limitedUntil, now() + err.retryAfterMs);
        return note('skipped', `answered 429: rate limited until ${new Date(limitedUntil).toISOString()}`);
      }
    },
  };
}
