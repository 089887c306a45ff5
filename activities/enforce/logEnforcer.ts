import { z } from 'zod';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BlockTarget, EnforcementPoint } from './enforcementPoint.ts';
import { enforcementPointDefinition } from './pointDefinition.ts';

interface LogLine {
  action: 'would_block' | 'would_unblock';
  address: string;
  expiresAt?: number;
}

/** Dry run: records what would have been enforced, as JSON lines, and enforces nothing. */
export function createLogEnforcer({ path }: { path: string }): EnforcementPoint {
  async function write(line: LogLine): Promise<void> {
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, `${JSON.stringify({ at: new Date().toISOString(), point: 'log', ...line })}\n`);
  }
  return {
    name: 'log',
    apply: ({ address, expiresAt }: BlockTarget) => write({ action: 'would_block', address, expiresAt }),
    remove: (address: string) => write({ action: 'would_unblock', address }),
    async list() {
      let text = '';
      try {
        text = await readFile(path, 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      const active = new Map<string, number>();
      for (const line of text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as LogLine)) {
        if (line.action === 'would_block') active.set(line.address, line.expiresAt ?? 0);
        else active.delete(line.address);
      }
      const now = Date.now();
      return [...active].filter(([, expiresAt]) => expiresAt > now).map(([address, expiresAt]) => ({ address, expiresAt }));
    },
  };
}

export const logPoint = enforcementPointDefinition({
  name: 'log',
  description: 'dry run: what would be blocked, as JSON lines in the data directory',
  settings: z.object({}),
  create: (_settings, { paths }) => createLogEnforcer({ path: paths.dryRunLog }),
});
