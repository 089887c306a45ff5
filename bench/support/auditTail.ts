import { jsonLinesTail } from './jsonLinesTail.ts';

/**
 * When the nftables point finished applying an address, from the audit trail Riposte writes anyway: the `after`
 * record of a `block.apply` is made the moment `nft` returns, before it is fsynced. (An `nft monitor` cannot start
 * within a minute with 100,000 elements present, and an `nft get element` lookup reads the whole set, half a second
 * each.)
 */
export function auditTail(path: string, point: string) {
  const tail = jsonLinesTail(path);
  const applied = new Map<string, number>();
  async function read(): Promise<void> {
    for (const line of await tail.newLines()) {
      if (!line.includes('"block.apply"') || !line.includes('"after"')) continue;
      let record: { phase: string; point?: string; target: string; result?: string; at: string };
      try {
        record = JSON.parse(line);
      } catch {
        // The tail of a line written before fromNow(): not one of the applies waited for.
        continue;
      }
      if (record.phase === 'after' && record.point === point && record.result === 'success') applied.set(record.target, Date.parse(record.at));
    }
  }
  return {
    /** Starts reading from the file's current end: what was applied before is not wanted, and may be 100 MB. */
    fromNow: () => tail.fromNow(),
    /** Epoch ms when the point applied the address, polling every few ms; undefined after `timeoutMs`. */
    async appliedAt(address: string, timeoutMs: number): Promise<number | undefined> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await read();
        const at = applied.get(address);
        if (at !== undefined || Date.now() > deadline) return at;
        await new Promise((r) => setTimeout(r, 5));
      }
    },
  };
}
