/** The headline figures of a run, so a reader (and a check) finds them without parsing every scenario. */
export interface BenchSummary {
  containmentsPerEngineCeiling: number | null;
  /** Alert → kernel set p99 by rate (new addresses a second), addresses never blocked included. */
  containP99Ms: Record<Rate, number | null>;
  fail2banP99Ms: Record<Rate, number | null>;
  /** Null unless 100,000 blocks were held (a quick run holds fewer: its figures stay in the scenario). */
  blocks100k: { allInKernelMs: number | null; oneMoreP99Ms: number | null; feedP99Ms: number | null; workerRssMiB: number | null };
  approveToEnforceP99Ms: number | null;
}

export type Rate = '1' | '10' | '50';

/** What one scenario contributes; a figure no scenario gave stays null. */
export interface SummaryPart {
  containmentsPerEngineCeiling?: number | null;
  containP99Ms?: Partial<Record<Rate, number | null>>;
  fail2banP99Ms?: Partial<Record<Rate, number | null>>;
  blocks100k?: Partial<BenchSummary['blocks100k']>;
  approveToEnforceP99Ms?: number | null;
}

export function summarize(parts: readonly (SummaryPart | undefined)[]): BenchSummary {
  const byRate = (): Record<Rate, number | null> => ({ 1: null, 10: null, 50: null });
  const summary: BenchSummary = {
    containmentsPerEngineCeiling: null,
    containP99Ms: byRate(),
    fail2banP99Ms: byRate(),
    blocks100k: { allInKernelMs: null, oneMoreP99Ms: null, feedP99Ms: null, workerRssMiB: null },
    approveToEnforceP99Ms: null,
  };
  for (const part of parts) {
    if (!part) continue;
    summary.containmentsPerEngineCeiling = part.containmentsPerEngineCeiling ?? summary.containmentsPerEngineCeiling;
    summary.approveToEnforceP99Ms = part.approveToEnforceP99Ms ?? summary.approveToEnforceP99Ms;
    Object.assign(summary.containP99Ms, part.containP99Ms);
    Object.assign(summary.fail2banP99Ms, part.fail2banP99Ms);
    Object.assign(summary.blocks100k, part.blocks100k);
  }
  return summary;
}
