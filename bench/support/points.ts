import { join } from 'node:path';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { jsonLinesTail } from './jsonLinesTail.ts';

/**
 * The `log` point's own record (<dataDir>/dry-run.jsonl), read incrementally: a block counts as reached once the point
 * wrote it, not once a workflow says so.
 */
export function logPointRecords(dataDir: string) {
  const path = join(dataDir, 'dry-run.jsonl');
  const blockedAt = new Map<string, number>();
  const tail = jsonLinesTail(path);
  return {
    /** Reads what the point appended since the last call. */
    async refresh(): Promise<void> {
      for (const line of await tail.newLines()) {
        const record = JSON.parse(line) as { at: string; action: string; address: string };
        if (record.action === 'would_block' && !blockedAt.has(record.address)) blockedAt.set(record.address, Date.parse(record.at));
      }
    },
    /** When the point first recorded blocking `address` (its record has millisecond resolution). */
    blockedAt: (address: string) => blockedAt.get(address),
    count: (addresses: Iterable<string>) => {
      let n = 0;
      for (const address of addresses) if (blockedAt.has(address)) n += 1;
      return n;
    },
  };
}

/** Addresses the EDL point holds now (<dataDir>/edl-blocklist.json), expired ones left out. */
export async function edlAddresses(dataDir: string): Promise<Set<string>> {
  return new Set((await new EdlFile(join(dataDir, 'edl-blocklist.json')).read()).map((t) => t.address));
}
