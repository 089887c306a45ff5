import type { RoundRecord } from './rounds.ts';
import { runConcurrently } from './stack.ts';

export const CONCURRENCY = 32;

export interface IngestRound {
  sent: number;
  failures: number;
  elapsedMs: number;
  latencies: number[];
}

/** Sends `count` alerts with `send`, CONCURRENCY in flight. */
export async function ingestRound(count: number, send: (i: number) => Promise<void>): Promise<IngestRound> {
  const run = await runConcurrently(count, CONCURRENCY, send);
  return { sent: count, failures: run.failures, elapsedMs: run.elapsedMs, latencies: run.latencies };
}

export function describeRound(value: IngestRound): string {
  return `${Math.round(((value.sent - value.failures) / value.elapsedMs) * 10_000) / 10} alerts/s, ${value.failures} failed`;
}

/** Accepted alerts a second over all of a side's rounds, one decimal. */
export function sideRate(records: readonly RoundRecord<IngestRound>[], side: string): number {
  const mine = records.filter((r) => r.side === side);
  const accepted = mine.reduce((n, r) => n + r.value.sent - r.value.failures, 0);
  const ms = mine.reduce((n, r) => n + r.value.elapsedMs, 0);
  return ms > 0 ? Math.round((accepted / ms) * 10_000) / 10 : 0;
}

/** The rounds as the result file keeps them: rates and load, not every latency. */
export function roundsForFile(records: readonly RoundRecord<IngestRound>[]) {
  return records.map(({ round, side, value, load }) => ({ round, side, alertsPerSecond: Math.round(((value.sent - value.failures) / value.elapsedMs) * 10_000) / 10, failures: value.failures, load }));
}
