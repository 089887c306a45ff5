import type { AdmissionResult, BlockAdmission, BreakerState } from '../control.ts';

/** The breaker as a run carries it to the next: the times of the recent new blocks, not just their count. */
export interface BreakerCarry {
  tripped: boolean;
  at?: string;
  by?: string;
  blockTimes: number[];
}

/** Recent admissions by key, oldest first, with when they were decided. */
export type RememberedAdmissions = [key: string, at: number, result: AdmissionResult][];

/** How long, and how many, admissions are remembered for their retries: far beyond any activity's retry schedule. */
const ADMISSION_MEMORY_MS = 30 * 60_000;
const MAX_REMEMBERED_ADMISSIONS = 5_000;

/**
 * The mass-block circuit breaker: admits new blocks in order, each on the count the ones before it left, and answers a
 * retried admission (same key) with its first answer, so a block is never counted twice.
 */
export function breakerOf(breaker: BreakerCarry, carried: RememberedAdmissions = []) {
  const admissions = new Map(carried.map(([key, at, result]) => [key, { at, result }]));

  const decide = ({ automatic, maxNewBlocks, windowMs }: BlockAdmission): AdmissionResult => {
    const now = Date.now();
    breaker.blockTimes = breaker.blockTimes.filter((at) => at > now - windowMs);
    if (automatic && (breaker.tripped || breaker.blockTimes.length >= maxNewBlocks)) {
      const justTripped = !breaker.tripped;
      if (justTripped) Object.assign(breaker, { tripped: true, at: new Date(now).toISOString(), by: 'automation' });
      return { admitted: false, justTripped };
    }
    breaker.blockTimes.push(now);
    // Only the newest N+1 times can matter to the next decision, so the state stays bounded under a storm.
    if (breaker.blockTimes.length > maxNewBlocks + 1) breaker.blockTimes.splice(0, breaker.blockTimes.length - maxNewBlocks - 1);
    return { admitted: true, justTripped: false };
  };

  const remembered = (admission: BlockAdmission): AdmissionResult => {
    if (admission.key === undefined) return decide(admission);
    const earlier = admissions.get(admission.key);
    // The first answer went unread (that is why the call came again), so it is given as it was, justTripped included.
    if (earlier) return earlier.result;
    const result = decide(admission);
    const now = Date.now();
    admissions.set(admission.key, { at: now, result });
    for (const [old, { at }] of admissions) {
      if (admissions.size <= MAX_REMEMBERED_ADMISSIONS && at > now - ADMISSION_MEMORY_MS) break;
      admissions.delete(old);
    }
    return result;
  };

  return {
    admit: (batch: readonly BlockAdmission[]): AdmissionResult[] => batch.map(remembered),
    reset(by: string): void {
      Object.assign(breaker, { tripped: false, blockTimes: [], at: new Date().toISOString(), by });
    },
    view: (): BreakerState => ({ tripped: breaker.tripped, recentBlocks: breaker.blockTimes.length, at: breaker.at, by: breaker.by }),
    carry: (): { breaker: BreakerCarry; admissions: RememberedAdmissions } => ({
      breaker,
      admissions: [...admissions].map(([key, { at, result }]) => [key, at, result]),
    }),
  };
}
