import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Namespace } from './namespace.ts';

const now = () => performance.timeOrigin + performance.now();
const PROBE_TABLE = 'benchwatch';

export interface KernelWatch {
  /** When `address` was first added to a set of `table` (epoch ms with sub-ms precision). */
  addedAt(table: string, address: string): number | undefined;
  /** Resolves with that time, or undefined once `timeoutMs` pass without it. */
  waitFor(table: string, address: string, timeoutMs: number): Promise<number | undefined>;
  /** Element events seen so far: what the watch cost to read. */
  events(): number;
  stop(): Promise<void>;
}

/**
 * One `nft monitor elements` in a namespace: the kernel tells it each element added, so both sides of a comparison are
 * observed the same way and neither pays a polling loop out of its CPU. Only for trickles: with a bulk load of tens of
 * thousands of elements the notifications slow the writer several times over and the monitor drops events, so bulk
 * loads are observed by listing instead (kernelPoll.ts).
 */
export async function watchKernel(ns: Namespace): Promise<KernelWatch> {
  const child = spawn('nsenter', [`--net=/run/netns/${ns.name}`, '--', 'nft', 'monitor', 'elements'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-2000);
  });
  const added = new Map<string, number>();
  const waiters = new Map<string, ((at: number) => void)[]>();
  let events = 0;
  const lines = createInterface({ input: child.stdout! });
  lines.on('line', (line) => {
    const t = now();
    const match = /^add element \S+ (\S+) \S+ \{ (.*) \}$/.exec(line);
    if (!match) return;
    for (const element of match[2]!.split(', ')) {
      events += 1;
      const key = `${match[1]} ${element.split(' ')[0]}`;
      if (added.has(key)) continue;
      added.set(key, t);
      for (const wake of waiters.get(key) ?? []) wake(t);
      waiters.delete(key);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const watch: KernelWatch = {
    addedAt: (table, address) => added.get(`${table} ${address}`),
    waitFor(table, address, timeoutMs) {
      const key = `${table} ${address}`;
      const seen = added.get(key);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        waiters.set(key, [...(waiters.get(key) ?? []), (at) => {
          clearTimeout(timer);
          resolve(at);
        }]);
      });
    },
    events: () => events,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
  // The monitor subscribes some time after it starts; an element added before then would never be seen.
  const probe = '192.0.2.255';
  const START_WITHIN_MS = 60_000;
  await ns.run(['nft', 'add', 'table', 'inet', PROBE_TABLE]);
  await ns.run(['nft', 'add', 'set', 'inet', PROBE_TABLE, 'probe', '{ type ipv4_addr; }']);
  // With 100,000 elements present the monitor reads the whole ruleset before it reports anything: a minute, not 10 s.
  const deadline = Date.now() + START_WITHIN_MS;
  while (watch.addedAt(PROBE_TABLE, probe) === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await watch.stop();
      throw new Error(`nft monitor in ${ns.name} did not start: ${stderr.trim() || `no event within ${START_WITHIN_MS / 1000} s`}`);
    }
    await ns.run(['nft', 'add', 'element', 'inet', PROBE_TABLE, 'probe', `{ ${probe} }`]).catch(() => undefined);
    await ns.run(['nft', 'delete', 'element', 'inet', PROBE_TABLE, 'probe', `{ ${probe} }`]).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
  }
  await ns.run(['nft', 'delete', 'table', 'inet', PROBE_TABLE]);
  return watch;
}
