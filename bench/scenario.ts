import type { SummaryPart } from './summary.ts';

/** What every scenario of `npm run bench` returns; run.ts adds the machine and writes the JSON. */
export interface ScenarioResult {
  name: string;
  parameters: Record<string, unknown>;
  figures: Record<string, unknown>;
  /** Headline figures, each a ratio of two measures taken in the same run. */
  ratios: Record<string, number | null>;
  /** Correctness checks that are part of the result; a false one makes the harness exit non-zero. */
  checks?: Record<string, boolean>;
  notes?: string[];
  /** This scenario's share of the run's top-level summary (summary.ts). */
  summary?: SummaryPart;
}

export interface BenchContext {
  quick: boolean;
  /** A directory of the run's own, removed at the end. */
  scratch: string;
  /** Progress for people, on stderr. */
  log(message: string): void;
}

export interface Scenario {
  name: string;
  run(ctx: BenchContext): Promise<ScenarioResult>;
}
