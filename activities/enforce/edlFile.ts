import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BlockTarget } from './enforcementPoint.ts';

/**
 * The durable list behind the pulled feed: a JSON file replaced atomically (write, fsync, rename), so a crash
 * leaves either the old list or the new one, never half of one. One writer per file: the enforcement worker.
 */
export class EdlFile {
  private queue: Promise<unknown> = Promise.resolve();

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

  update(change: (entries: Map<string, number>) => void): Promise<void> {
    const next = this.queue.then(async () => {
      const entries = new Map((await this.read()).map((t) => [t.address, t.expiresAt]));
      change(entries);
      await this.write(entries);
    });
    this.queue = next.catch(() => undefined);
    return next;
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
