/** Polls a count until it reaches `wanted` or `timeoutMs` pass; the last count either way, for the check to judge. */
export async function eventuallyCount(count: () => Promise<number>, wanted: number, timeoutMs = 30_000, everyMs = 200): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await count();
    if (n >= wanted || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
