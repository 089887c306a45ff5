import { setImmediate } from 'node:timers';

/** A call waiting for a group commit: settled by the batch that carries it. */
export interface Pending {
  resolve(): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions<Op extends Pending> {
  /** The most calls one batch carries. */
  maxBatch?: number;
  /** Runs before each batch (a point's table or sets put in place); its failure rejects that batch's calls. */
  prepare?: () => Promise<unknown>;
  /** Carries a batch out, settling each call itself; a fault of its own rejects every call of the batch. */
  commit(ops: Op[]): Promise<void>;
}

/**
 * Calls that arrive while a batch is under way wait and share the next one, so a burst costs one firewall transaction
 * or one API round trip rather than one per block. Starting on the next turn of the event loop lets calls that arrive
 * together share the first batch too. Calls keep their order, within a batch and across batches.
 */
export function groupCommit<Op extends Pending>({ maxBatch = Number.POSITIVE_INFINITY, prepare, commit }: GroupCommitOptions<Op>): (call: Omit<Op, keyof Pending>) => Promise<void> {
  const pending: Op[] = [];
  let draining = false;

  async function drain(): Promise<void> {
    try {
      while (pending.length > 0) {
        const ops = pending.splice(0, maxBatch);
        try {
          await prepare?.();
        } catch (err) {
          for (const op of ops) op.reject(err);
          continue;
        }
        await commit(ops).catch((err: unknown) => ops.forEach((op) => op.reject(err)));
      }
    } finally {
      draining = false;
    }
  }

  return (call) => new Promise<void>((resolve, reject) => {
    pending.push({ ...call, resolve, reject } as Op);
    if (draining) return;
    draining = true;
    setImmediate(() => void drain());
  });
}
