import { open } from 'node:fs/promises';

/**
 * When the nftables point finished applying an address, from the audit trail Riposte writes anyway: the `after`
 * record of a `block.apply` is made the moment `nft` returns, before it is fsynced. Read incrementally, so polling
 * costs only the new bytes. (An `nft monitor` cannot start within a minute with 100,000 elements present, and an
 * `nft get element` lookup reads the whole set, half a second each.)
 */
export function auditTail(path: string, point: string) {
  let offset = 0;
  let rest = '';
  const applied = new Map<string, number>();
  async function read(): Promise<void> {
    const file = await open(path, 'r').catch(() => undefined);
    if (!file) return;
    try {
      const { size } = await file.stat();
      if (size <= offset) return;
      const buffer = Buffer.alloc(size - offset);
      await file.read(buffer, 0, buffer.length, offset);
      offset = size;
      const lines = (rest + buffer.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"block.apply"') || !line.includes('"after"')) continue;
        let record: { phase: string; action: string; point?: string; target: string; result?: string; at: string };
        try {
          record = JSON.parse(line);
        } catch {
          // The tail of a line written before fromNow(): not one of the applies waited for.
          continue;
        }
        if (record.phase === 'after' && record.point === point && record.result === 'success') applied.set(record.target, Date.parse(record.at));
      }
    } finally {
      await file.close();
    }
  }
  return {
    /** Starts reading from the file's current end: what was applied before is not wanted, and may be 100 MB. */
    async fromNow(): Promise<void> {
      const file = await open(path, 'r').catch(() => undefined);
      if (!file) return;
      offset = (await file.stat()).size;
      rest = '';
      await file.close();
    },
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
