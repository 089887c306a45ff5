import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BlockTarget } from './enforcementPoint.ts';

/** Key → expiry (epoch milliseconds). */
export type Entries = Map<string, number>;
type Change = (entries: Entries) => void;

/**
 * Keys with expiries in a JSON file replaced atomically (write, fsync, rename), so a crash leaves either the old list
 * or the new one, never half of one: the durable list behind a pulled feed. One writer per file (the worker that
 * enforces); readers may be anywhere. Changes that arrive while a write is under way share the next write, so a burst
 * of blocks costs one rewrite of the file rather than one each. Expired entries are never read, so every write prunes
 * them.
 */
export class ExpiringFile {
  private pending: { change: Change; done: (err?: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;

  constructor(readonly path: string) {}

  /** The unexpired entries. A missing file is an empty list; a malformed one is an error, never an empty list. */
  async entries(now = Date.now()): Promise<Entries> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    return new Map(parseEntries(text, this.path).filter(([, expiresAt]) => expiresAt > now));
  }

  /** Sets an entry's expiry, never shortening it: a shorter request must not cut an earlier, longer one short. */
  add(key: string, expiresAt: number): Promise<void> {
    return this.update((entries) => {
      entries.set(key, Math.max(expiresAt, entries.get(key) ?? 0));
    });
  }

  /** Removing an absent key succeeds, so a retried removal does too. */
  remove(key: string): Promise<void> {
    return this.update((entries) => {
      entries.delete(key);
    });
  }

  update(change: Change): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ change, done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.writing ??= this.drain();
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const entries = await this.entries();
        for (const { change } of batch) change(entries);
        await this.write(entries);
        for (const { done } of batch) done();
      } catch (err) {
        for (const { done } of batch) done(err);
      }
    }
    this.writing = undefined;
  }

  private async write(entries: Entries): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.${process.pid}.tmp`;
    const handle = await open(tmp, 'w', 0o640);
    try {
      await handle.writeFile(JSON.stringify({ entries: Object.fromEntries([...entries].sort()) }));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.path);
    const dir = await open(dirname(this.path), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}

/** A hand-edited or truncated file fails loudly: serving it as empty would lift every block at once. */
function parseEntries(text: string, path: string): [string, number][] {
  const entries: unknown = (JSON.parse(text) as { entries?: unknown } | null)?.entries;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw new Error(`${path}: no "entries" object`);
  return Object.entries(entries).map(([key, expiresAt]) => {
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) throw new Error(`${path}: the expiry of ${key} is not a number`);
    return [key, expiresAt];
  });
}

/** The IP feed's file (GET /v1/feeds/blocklist.txt): its keys are canonical addresses and ranges. */
export class EdlFile extends ExpiringFile {
  async read(now = Date.now()): Promise<BlockTarget[]> {
    return [...(await this.entries(now))].map(([address, expiresAt]) => ({ address, expiresAt }));
  }
}
