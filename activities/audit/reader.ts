import { open } from 'node:fs/promises';
import { followLines } from './follow.ts';
import type { AuditPage, AuditQuery, AuditReader, AuditRecord } from './record.ts';

export interface JsonlReaderOptions {
  /** At most this much of the file is read per query, from its end. */
  maxScanBytes?: number;
  chunkBytes?: number;
}

/**
 * Records are appended in the order they are made, so `since` lets the scan stop early. Clocks step and writers batch,
 * so the scan goes on this far past the first older record before it stops.
 */
const ORDER_SLACK_MS = 60_000;

/** Reads the JSON-lines audit file backwards from its end: the newest matching records, bounded in bytes and count. */
export function createJsonlAuditReader(path: string, options: JsonlReaderOptions = {}): AuditReader {
  const maxScanBytes = options.maxScanBytes ?? 64 * 1024 * 1024;
  const chunkBytes = options.chunkBytes ?? 256 * 1024;
  return {
    async query({ incident, since, limit }: AuditQuery): Promise<AuditPage> {
      const newestFirst: AuditRecord[] = [];
      let truncated = false;
      for await (const { line, exhausted } of linesBackwards(path, chunkBytes, maxScanBytes)) {
        if (exhausted) {
          truncated = true;
          break;
        }
        const record = parse(line);
        if (!record) continue;
        const at = Date.parse(record.at);
        if (since !== undefined && at < since) {
          if (at < since - ORDER_SLACK_MS) break;
          continue;
        }
        if (incident !== undefined && record.trigger?.incidentId !== incident) continue;
        if (newestFirst.length === limit) {
          truncated = true;
          break;
        }
        newestFirst.push(record);
      }
      return { records: newestFirst.reverse(), truncated };
    },

    // A report reads its whole window, however far back: the window (at most a year) bounds it, not maxScanBytes.
    async *between({ since, until }) {
      for await (const { line } of linesBackwards(path, chunkBytes, Number.POSITIVE_INFINITY)) {
        const record = parse(line);
        if (!record) continue;
        const at = Date.parse(record.at);
        if (at < since) {
          if (at < since - ORDER_SLACK_MS) return;
          continue;
        }
        if (at < until) yield record;
      }
    },

    follow(onRecord) {
      return followLines(path, (line) => {
        const record = parse(line);
        if (record) onRecord(record);
      });
    },
  };
}

function parse(line: string): AuditRecord | undefined {
  if (!line) return undefined;
  try {
    const record = JSON.parse(line) as AuditRecord;
    return typeof record?.id === 'string' && typeof record.at === 'string' ? record : undefined;
  } catch {
    return undefined; // a torn line from a crash mid-write
  }
}

/** Complete lines from the end of the file to its start; `exhausted` once `maxBytes` were read before the start. */
async function* linesBackwards(path: string, chunkBytes: number, maxBytes: number): AsyncGenerator<{ line: string; exhausted?: boolean }> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  try {
    let position = (await handle.stat()).size;
    const end = position;
    let carry = Buffer.alloc(0);
    while (position > 0) {
      if (end - position >= maxBytes) {
        yield { line: '', exhausted: true };
        return;
      }
      const size = Math.min(chunkBytes, position);
      position -= size;
      const chunk = Buffer.alloc(size);
      await handle.read(chunk, 0, size, position);
      let buffer = Buffer.concat([chunk, carry]);
      // Every newline but the first in the buffer closes a complete line; what precedes the first may continue earlier.
      let cut = buffer.lastIndexOf(0x0a);
      let tail = buffer.length;
      while (cut >= 0) {
        const line = buffer.subarray(cut + 1, tail).toString('utf8');
        if (line) yield { line };
        tail = cut;
        cut = tail > 0 ? buffer.lastIndexOf(0x0a, tail - 1) : -1;
      }
      buffer = buffer.subarray(0, tail);
      carry = Buffer.from(buffer);
    }
    if (carry.length > 0) yield { line: carry.toString('utf8') };
  } finally {
    await handle.close();
  }
}
