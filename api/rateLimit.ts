/** A key's rate: `ratePerMinute` tokens a minute, at most `burst` (default: a minute's worth) saved up. */
export interface RateLimit {
  ratePerMinute: number;
  burst?: number;
}

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/**
 * Token buckets, one per key, in this process's memory: N API processes behind a load balancer let a key through
 * up to N times its rate. The map holds one entry per configured key, so it is bounded by the configuration.
 */
export function createRateLimiter(now: () => number = Date.now) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(id: string, limit: RateLimit): RateDecision {
      const capacity = limit.burst ?? limit.ratePerMinute;
      const perMs = limit.ratePerMinute / 60_000;
      const at = now();
      const bucket = buckets.get(id) ?? { tokens: capacity, at };
      bucket.tokens = Math.min(capacity, bucket.tokens + Math.max(0, at - bucket.at) * perMs);
      bucket.at = at;
      buckets.set(id, bucket);
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return { allowed: true };
      }
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
    },
  };
}
export type RateLimiter = ReturnType<typeof createRateLimiter>;
