/**
 * The policy's enforcement.maxActionsPerSecond for one enforcement worker process: blocks applied or removed, counted
 * one by one whatever the batch they travel in. A call takes what has accrued (at most one second's worth), waiting
 * for one action's worth when nothing has; the rest is left for its lane's next call.
 */
export function createEnforcementRate(perSecond: number, now: () => number = Date.now) {
  const perMs = perSecond / 1000;
  const capacity = Math.max(1, perSecond);
  let available = capacity;
  let at = now();
  return {
    /** Takes up to `wanted` actions; resolves with how many were granted, once they may start. */
    async take(wanted: number): Promise<number> {
      if (wanted <= 0) return 0;
      const t = now();
      available = Math.min(capacity, available + (t - at) * perMs);
      at = t;
      const granted = Math.max(1, Math.min(wanted, Math.floor(available)));
      available -= granted;
      // Spent ahead of time, the balance goes negative, and this call (and the ones after it) wait for it.
      if (available < 0) await new Promise((resolve) => setTimeout(resolve, -available / perMs));
      return granted;
    },
  };
}

export type EnforcementRate = ReturnType<typeof createEnforcementRate>;
