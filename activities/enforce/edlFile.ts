import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BlockTarget } from './enforcementPoint.ts';

type Change = (entries: Map<string, number>) => void;

/**
 * The durable list behind the pulled feed: a JSON file replaced atomically (write, fsync, rename), so a crash
 * leaves either the old list or the new one, never half of one. One writer per file: the enforcement worker.
 * Changes that arrive while a write is under way share the next write, so a burst of blocks costs one rewrite of
 * the file rather than one each.
 */
export class EdlFile {
  private pending: { change: Change; done: (err?: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;

  constructor(readonly path: string) {}

  async read(now = Date.now()): Promise<BlockTarget[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries = (JSON.parse(text) as { entries: Record<string, number> }).entries;
    return Object.entries(entries)
      .filter(([, expiresAt]) => expiresAt > now)
      .map(([address, expiresAt]) => ({ address, expiresAt }));
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
        const entries = new Map((await this.read()).map((t) => [t.address, t.expiresAt]));
        for (const { change } of batch) change(entries);
        await this.write(entries);
        for (const { done } of batch) done();
      } catch (err) {
        for (const { done } of batch) done(err);
      }
    }
    this.writing = undefined;
  }

  private async write(entries: Map<string, number>): Promise<void> {
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
