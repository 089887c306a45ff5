import { type Namespace, nftSetMembers } from './namespace.ts';

export interface BulkArrival {
  /** From `startedAt` to the end of the first listing that held every wanted element; undefined if none did in time. */
  allInMs?: number;
  /** From `startedAt` to the start of the listing before it, which did not: the true time lies between the two. */
  notYetMs?: number;
  /** Wanted elements in the last listing. */
  present: number;
  polls: number;
  /** Time spent listing: the cost of observing, paid on the same machine. */
  listingMs: number;
}

/**
 * Lists a set until it holds every wanted element. A listing of 100,000 elements costs about a second of CPU, so
 * the next one waits twice as long as the last took: observing costs at most a third of one core, and the figure's
 * resolution is reported beside it rather than bought with more CPU.
 */
export async function pollUntilAll(ns: Namespace, set: { family: string; table: string; name: string }, wanted: ReadonlySet<string>, startedAt: number, timeoutMs: number): Promise<BulkArrival> {
  let polls = 0;
  let listingMs = 0;
  let notYetMs: number | undefined;
  let present = 0;
  const deadline = startedAt + timeoutMs;
  for (;;) {
    const t0 = performance.now();
    const members = await nftSetMembers(ns, set.family, set.table, set.name);
    const t1 = performance.now();
    polls += 1;
    listingMs += t1 - t0;
    present = 0;
    for (const address of wanted) if (members.has(address)) present += 1;
    if (present === wanted.size) return { allInMs: t1 - startedAt, notYetMs, present, polls, listingMs };
    notYetMs = t0 - startedAt;
    if (t1 > deadline) return { notYetMs, present, polls, listingMs };
    await new Promise((r) => setTimeout(r, Math.max(500, 2 * (t1 - t0))));
  }
}
