import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { EdlFile } from '../../activities/enforce/edlFile.ts';

/**
 * The `log` point's own record (<dataDir>/dry-run.jsonl), read incrementally: a block counts as reached once the point
 * wrote it, not once a workflow says so.
 */
export function logPointRecords(dataDir: string) {
  const path = join(dataDir, 'dry-run.jsonl');
  const blockedAt = new Map<string, number>();
  let offset = 0;
  let partial = '';
  return {
    /** Reads what the point appended since the last call. */
    async refresh(): Promise<void> {
      const handle = await open(path, 'r').catch(() => undefined);
      if (!handle) return;
      try {
        const { size } = await handle.stat();
        if (size <= offset) return;
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        offset = size;
        const lines = (partial + buffer.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines.filter(Boolean)) {
          const record = JSON.parse(line) as { at: string; action: string; address: string };
          if (record.action === 'would_block' && !blockedAt.has(record.address)) blockedAt.set(record.address, Date.parse(record.at));
        }
      } finally {
        await handle.close();
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
