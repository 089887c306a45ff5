import type { EdlFile } from './edlFile.ts';
import type { EnforcementPoint } from './enforcementPoint.ts';

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
