import type { Namespace } from './namespace.ts';

export const RAW_TABLE = 'rawbench';

/**
 * The kernel's own floor for a bulk load: one `nft -f` transaction adding every element to a fresh set, one
 * statement, against the same namespace. The table is deleted afterwards so only Riposte's elements stay.
 */
export async function rawBulkLoadMs(ns: Namespace, addresses: readonly string[], timeoutSeconds: number): Promise<number> {
  const text = [
    `add table inet ${RAW_TABLE}`,
    `add set inet ${RAW_TABLE} bulk6 { type ipv6_addr; flags timeout; }`,
    `add element inet ${RAW_TABLE} bulk6 { ${addresses.map((a) => `${a} timeout ${timeoutSeconds}s`).join(', ')} }`,
    '',
  ].join('\n');
  const t0 = performance.now();
  await ns.runWithInput(['nft', '-f', '-'], text);
  const ms = performance.now() - t0;
  await ns.run(['nft', 'delete', 'table', 'inet', RAW_TABLE]);
  return ms;
}

/** A set for single raw adds, beside Riposte's table in the same namespace. */
export async function rawSingleSet(ns: Namespace): Promise<(address: string, timeoutSeconds: number) => Promise<void>> {
  await ns.run(['nft', 'add', 'table', 'inet', RAW_TABLE]);
  await ns.run(['nft', 'add', 'set', 'inet', RAW_TABLE, 'single6', '{ type ipv6_addr; flags timeout; }']);
  // Through `ip netns exec`, as Riposte's enforcer runs nft: the same process start on both sides.
  return async (address, timeoutSeconds) => {
    await ns.run(['nft', 'add', 'element', 'inet', RAW_TABLE, 'single6', `{ ${address} timeout ${timeoutSeconds}s }`]);
  };
}
