export function blockWorkflowId(address: string): string {
  return `block:${address}`;
}

export function offenceHistoryWorkflowId(address: string): string {
  return `offences:${address}`;
}

/** The one control workflow (kill switch, circuit breaker) of a deployment, named after its main task queue. */
export function controlWorkflowId(taskQueue: string): string {
  return `riposte-control:${taskQueue}`;
}

/** One user's recent sign-ins, for the impossible-travel playbook. */
export function loginHistoryWorkflowId(user: string): string {
  return `logins:${user}`;
}

/**
 * Every block lives in one of a fixed number of shard workflows, chosen by a hash of its canonical text, so a block is a
 * signal to a running workflow rather than a workflow of its own. Changing the count moves addresses between shards,
 * so it is fixed (docs/UPGRADES.md).
 */
export const BLOCK_SHARDS = 64;

export function blockShardOf(address: string): number {
  // FNV-1a: small, stable across processes and versions, and evenly spread over addresses that differ in a few digits.
  let hash = 0x811c9dc5;
  for (let i = 0; i < address.length; i += 1) {
    hash ^= address.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % BLOCK_SHARDS;
}

/** A deployment's shard (named after its main task queue, like the control workflow). */
export function blockShardWorkflowId(taskQueue: string, shard: number): string {
  return `riposte-blocks:${taskQueue}:${shard}`;
}
