import { mkdir } from 'node:fs/promises';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import type { Rate } from '../summary.ts';
import { ipv4Pool } from '../support/addresses.ts';
import { ensureFail2ban, type Fail2banHarness, startFail2ban } from '../support/fail2ban.ts';
import { callApi } from '../support/http.ts';
import { type KernelWatch, watchKernel } from '../support/kernelWatch.ts';
import { createNamespace, isRoot, type Namespace, nftSetMembers } from '../support/namespace.ts';
import { alternate, type RoundRecord, type Side } from '../support/rounds.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';

const SETTLE_MS = 60_000;
const RATES = [1, 10, 50] as const;
const now = () => performance.timeOrigin + performance.now();

interface Round {
  latencies: number[];
  missing: number;
}

/**
 * Fires one detection per address at `rate` a second (on a schedule, not waiting for answers) and waits for the
 * kernel to report each address added to the side's set. An address never blocked stays in the percentiles with the
 * whole time it was waited for, and is counted as missing, so a side that fails cannot look fast.
 */
async function measureRound(rate: number, addresses: readonly string[], fire: (ip: string) => Promise<number>, watch: KernelWatch, table: string): Promise<Round> {
  const start = now();
  const latencies = await Promise.all(addresses.map(async (ip, i) => {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const firedAt = await fire(ip);
    const seenAt = await watch.waitFor(table, ip, Math.max(0, firedAt + SETTLE_MS - now()));
    return { ms: (seenAt ?? now()) - firedAt, seen: seenAt !== undefined };
  }));
  return { latencies: latencies.map((l) => l.ms), missing: latencies.filter((l) => !l.seen).length };
}

interface Contender {
  name: 'riposte' | 'fail2ban';
  table: string;
  fire(ip: string): Promise<number>;
  watch: KernelWatch;
  /** What its set holds now, listed once at the end: the kernel's own word, not the monitor's. */
  members(): Promise<Set<string>>;
}

function startRiposte(ctx: BenchContext, ns: Namespace): Promise<Stack> {
  return startStack(`${ctx.scratch}/time-to-contain`, {
    policy: { playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1h', notify: [] } }, enforcement: { points: ['nftables'] } },
    env: { RIPOSTE_NFT_NETNS: ns.name },
  });
}

function riposteContender(stack: Stack, ns: Namespace, watch: KernelWatch): Contender {
  const fire = async (ip: string) => {
    const t = now();
    await callApi(stack.apiUrl, 'POST', '/v1/alerts/humio', { hostname: 'web01', ip, count: 12 });
    return t;
  };
  return { name: 'riposte', table: 'riposte', fire, watch, members: () => nftSetMembers(ns, 'inet', 'riposte', 'blocked4') };
}

function fail2banContender(f2b: Fail2banHarness, watch: KernelWatch): Contender {
  return { name: 'fail2ban', table: 'f2b-table', fire: (ip) => f2b.failLogins(ip, f2b.maxretry), watch, members: () => f2b.bannedNow() };
}

/**
 * Alert → address in the kernel set, Riposte (auto mode, nftables point only) against fail2ban, both running at once
 * in namespaces of their own and taking turns in short rounds at each rate. Both are observed the same way: one
 * `nft monitor` per namespace, which costs neither side a polling loop.
 */
export const timeToContain: Scenario = {
  name: 'time-to-contain',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const seconds = ctx.quick ? 2 : 12;
    const rounds = 2;
    const parameters = {
      rates: RATES, secondsPerRate: seconds, roundsPerRate: rounds, secondsPerRound: seconds / rounds, order: 'riposte, fail2ban, riposte, fail2ban at each rate, both running throughout',
      observed: 'one `nft monitor elements` per namespace; the time is when the monitor reports the element added',
      riposte: 'auto mode, nftables point only: HTTP POST → element in blocked4 (its enforcer runs nft through `ip netns exec`)',
      fail2ban: 'last failed-login line written → element in its set (fail2ban runs inside its namespace)',
    };
    // Without root there is no comparison to make: that is a failed run, not a passed one.
    if (!isRoot()) return { name: 'time-to-contain', parameters, figures: {}, ratios: {}, checks: { measured: false, fail2banMeasured: false }, notes: ['not measured: needs root for network namespaces and nftables'] };

    const pool = ipv4Pool();
    const perRound = (rate: number) => (rate * seconds) / rounds;
    let next = 0;
    const batches = RATES.map((rate) => Array.from({ length: rounds }, () => pool.slice(next, (next += perRound(rate)))));
    if (next > pool.length - 1) throw new Error('not enough documentation addresses for these rates');
    const warmup = pool.at(-1)!;
    const notes: string[] = [];
    const namespaces: Namespace[] = [];
    const watches: KernelWatch[] = [];
    const contenders: Contender[] = [];
    let stack: Stack | undefined;
    let f2b: Fail2banHarness | undefined;
    const watchIn = async (prefix: string) => {
      const ns = await createNamespace(prefix);
      namespaces.push(ns);
      const watch = await watchKernel(ns);
      watches.push(watch);
      return { ns, watch };
    };
    try {
      const riposte = await watchIn('rip-bench');
      stack = await startRiposte(ctx, riposte.ns);
      contenders.push(riposteContender(stack, riposte.ns, riposte.watch));
      const unavailable = await ensureFail2ban(ctx.log);
      if (unavailable) notes.push(`fail2ban not measured: ${unavailable}`);
      else {
        const fail2ban = await watchIn('f2b-bench');
        const dir = `${ctx.scratch}/fail2ban`;
        await mkdir(dir, { recursive: true });
        f2b = await startFail2ban({ netns: fail2ban.ns.name, dir, log: ctx.log });
        contenders.push(fail2banContender(f2b, fail2ban.watch));
      }
      // One unmeasured detection first warms each side (caches, the nft table, first connections).
      for (const c of contenders) await measureRound(1, [warmup], c.fire, c.watch, c.table);

      const records = new Map<number, RoundRecord<Round>[]>();
      for (const [i, rate] of RATES.entries()) {
        const sides: Side<Round>[] = contenders.map((c) => ({ name: c.name, run: (round) => measureRound(rate, batches[i]![round]!, c.fire, c.watch, c.table) }));
        records.set(rate, await alternate(rounds, sides, { log: (m) => ctx.log(`time-to-contain ${rate}/s ${m}`), describe: (r) => `p99 ${summary(r.latencies).p99} ms, ${r.missing} missing` }));
      }
      const inKernel = Object.fromEntries(await Promise.all(contenders.map(async (c) => {
        const members = await c.members();
        return [c.name, batches.flat(2).filter((ip) => members.has(ip)).length] as const;
      })));

      const figures: Record<string, unknown> = { addresses: batches.flat(2).length, inKernelAtEnd: inKernel, monitorEvents: Object.fromEntries(contenders.map((c) => [c.name, c.watch.events()])) };
      if (f2b) figures.fail2ban = { version: f2b.version, backend: f2b.backend, settings: f2b.settings };
      const ratios: Record<string, number | null> = {};
      const p99 = { riposte: {} as Record<Rate, number | null>, fail2ban: {} as Record<Rate, number | null> };
      for (const rate of RATES) {
        const byRound = records.get(rate)!;
        for (const c of contenders) {
          const mine = byRound.filter((r) => r.side === c.name);
          const ms = summary(mine.flatMap((r) => r.value.latencies));
          figures[`${c.name}@${rate}/s`] = { ms, missing: mine.reduce((n, r) => n + r.value.missing, 0), rounds: mine.map((r) => ({ round: r.round, ms: summary(r.value.latencies), missing: r.value.missing, load: r.load })) };
          p99[c.name][String(rate) as Rate] = ms.p99;
        }
        if (!f2b) continue;
        const r = (figures[`riposte@${rate}/s`] as { ms: ReturnType<typeof summary> }).ms;
        const f = (figures[`fail2ban@${rate}/s`] as { ms: ReturnType<typeof summary> }).ms;
        for (const p of ['p50', 'p95', 'p99'] as const) ratios[`riposte/fail2ban@${rate}/s ${p}`] = ratio(r[p], f[p]);
      }
      const missing = contenders.some((c) => RATES.some((rate) => (figures[`${c.name}@${rate}/s`] as { missing: number }).missing > 0));
      const total = batches.flat(2).length;
      return {
        name: 'time-to-contain',
        parameters,
        figures,
        ratios,
        checks: {
          measured: true,
          fail2banMeasured: f2b !== undefined,
          'every address seen added': !missing,
          'riposte: every address in the kernel set at the end': inKernel.riposte === total,
          ...(f2b ? { 'fail2ban: every address in the kernel set at the end': inKernel.fail2ban === total } : {}),
        },
        notes,
        summary: { containP99Ms: p99.riposte, ...(f2b ? { fail2banP99Ms: p99.fail2ban } : {}) },
      };
    } finally {
      await Promise.all(watches.map((w) => w.stop()));
      await f2b?.stop();
      await stack?.stop();
      for (const ns of namespaces) await ns.remove();
    }
  },
};
