/** A key's rate: `ratePerMinute` tokens a minute, at most `burst` (default: a minute's worth) saved up. */
export interface RateLimit {
  ratePerMinute: number;
  burst?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Token buckets, one per id, in this process's memory: N API processes behind a load balancer let an id through
 * up to N times its rate. Ids are configured keys (bounded by the configuration) or source addresses (bounded by
 * `maxIds`: past it, the id used least recently is forgotten, as if its bucket had refilled).
 */
export function createRateLimiter(now: () => number = Date.now, maxIds = Number.POSITIVE_INFINITY) {
  const buckets = new Map<string, { tokens: number; at: number }>();

  function refilled(id: string, limit: RateLimit): { tokens: number; at: number } | undefined {
    const bucket = buckets.get(id);
    if (!bucket) return undefined;
    const at = now();
    bucket.tokens = Math.min(capacityOf(limit), bucket.tokens + Math.max(0, at - bucket.at) * perMs(limit));
    bucket.at = at;
    return bucket;
  }

  function decision(tokens: number, limit: RateLimit): RateDecision {
    return tokens >= 1 ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / perMs(limit) / 1000)) };
  }

  return {
    /** Spends a token of `id`'s bucket when it has one. */
    take(id: string, limit: RateLimit): RateDecision {
      const bucket = refilled(id, limit) ?? { tokens: capacityOf(limit), at: now() };
      // Re-inserted, so the map's first entry is always the id used least recently.
      buckets.delete(id);
      if (buckets.size >= maxIds) buckets.delete(buckets.keys().next().value!);
      buckets.set(id, bucket);
      const answer = decision(bucket.tokens, limit);
      if (answer.allowed) bucket.tokens -= 1;
      return answer;
    },
    /** What `take` would answer now, spending nothing: an id never seen has a full bucket. */
    peek(id: string, limit: RateLimit): RateDecision {
      const bucket = refilled(id, limit);
      return bucket ? decision(bucket.tokens, limit) : { allowed: true };
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;

const capacityOf = (limit: RateLimit) => limit.burst ?? limit.ratePerMinute;
const perMs = (limit: RateLimit) => limit.ratePerMinute / 60_000;
