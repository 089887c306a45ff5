import { open } from 'node:fs/promises';

/**
 * A JSON-lines file read incrementally: each call returns the whole lines appended since the last, so polling a
 * growing record (the `log` point's, the audit trail) costs only its new bytes.
 */
export function jsonLinesTail(path: string) {
  let offset = 0;
  let partial = '';
  return {
    async newLines(): Promise<string[]> {
      const handle = await open(path, 'r').catch(() => undefined);
      if (!handle) return [];
      try {
        const { size } = await handle.stat();
        if (size <= offset) return [];
        const buffer = Buffer.alloc(size - offset);
        await handle.read(buffer, 0, buffer.length, offset);
        offset = size;
        const lines = (partial + buffer.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        return lines.filter(Boolean);
      } finally {
        await handle.close();
      }
    },
    /** Skips what the file holds now; a line being written then is skipped whole by its reader's parse. */
    async fromNow(): Promise<void> {
      const handle = await open(path, 'r').catch(() => undefined);
      if (!handle) return;
      offset = (await handle.stat()).size;
      partial = '';
      await handle.close();
    },
  };
}
