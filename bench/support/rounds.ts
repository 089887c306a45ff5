import { type LoadRecord, withLoad } from './load.ts';

export interface Side<T> {
  name: string;
  run(round: number): Promise<T>;
}

export interface RoundRecord<T> {
  round: number;
  side: string;
  value: T;
  load: LoadRecord;
}

/**
 * Runs the sides of a comparison in short alternating rounds (A B A B …), each with the load it ran under, so a
 * change in what else the machine does falls on both sides instead of on whichever ran second.
 */
export async function alternate<T>(rounds: number, sides: readonly Side<T>[], progress?: { log(message: string): void; describe(value: T): string }): Promise<RoundRecord<T>[]> {
  const records: RoundRecord<T>[] = [];
  for (let round = 0; round < rounds; round += 1) {
    for (const side of sides) {
      const { value, load } = await withLoad(() => side.run(round));
      records.push({ round, side: side.name, value, load });
      progress?.log(`round ${round} ${side.name}: ${progress.describe(value)} (load ${load.load1}, others ${load.otherCores} cores)`);
    }
  }
  return records;
}

/** The values of one side, in round order. */
export function sideValues<T>(records: readonly RoundRecord<T>[], side: string): T[] {
  return records.filter((r) => r.side === side).map((r) => r.value);
}

/** Times each side once per sample, the sides taking turns (A B A B …); ms per call, by side. */
export async function alternateSamples(samples: number, sides: Readonly<Record<string, (i: number) => Promise<void>>>): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
  for (let i = 0; i < samples; i += 1) {
    for (const [name, task] of Object.entries(sides)) {
      const t0 = performance.now();
      await task(i);
      out[name]!.push(performance.now() - t0);
    }
  }
  return out;
}
