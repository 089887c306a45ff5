import { z } from 'zod';
import { EdlFile } from './edlFile.ts';
import type { EnforcementPoint } from './enforcementPoint.ts';
import { enforcementPointDefinition } from './pointDefinition.ts';

/** Firewalls that pull an External Dynamic List read this point through GET /v1/feeds/blocklist.txt. */
export function createEdlEnforcer(file: EdlFile): EnforcementPoint {
  return {
    name: 'edl',
    apply: ({ address, expiresAt }) => file.update((entries) => {
      entries.set(address, Math.max(expiresAt, entries.get(address) ?? 0));
    }),
    remove: (address) => file.update((entries) => {
      entries.delete(address);
    }),
    list: () => file.read(),
  };
}

export const edlPoint = enforcementPointDefinition({
  name: 'edl',
  description: 'the External Dynamic List that firewalls pull from GET /v1/feeds/blocklist.txt',
  settings: z.object({}),
  create: (_settings, { paths }) => createEdlEnforcer(new EdlFile(paths.edlFile)),
});
