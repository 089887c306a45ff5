import { mkdir } from 'node:fs/promises';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv4Pool } from '../support/addresses.ts';
import { ensureFail2ban, startFail2ban } from '../support/fail2ban.ts';
import { createNamespace, isRoot, nftSetMembers } from '../support/namespace.ts';
import { BENCH_API_KEY, startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';

const POLL_MS = 10;
const SETTLE_MS = 60_000;
const now = () => performance.timeOrigin + performance.now();

/**
 * Fires one detection per address at `rate` per second (on a schedule, not waiting for answers), and polls the nft
 * set every POLL_MS until each address is present. Both tools are measured the same way, so the ratio is fair. An
 * address never blocked stays in the percentiles with the time it was waited for, and is counted as `missing`.
 */
async function measure(rate: number, addresses: string[], fire: (ip: string) => Promise<number>, members: () => Promise<Set<string>>): Promise<{ latencies: number[]; missing: number }> {
  const firedAt = new Map<string, number>();
  const seenAt = new Map<string, number>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const present = await members();
      const t = now();
      for (const ip of firedAt.keys()) if (!seenAt.has(ip) && present.has(ip)) seenAt.set(ip, t);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  })();
  const start = now();
  await Promise.all(addresses.map(async (ip, i) => {
    const wait = start + (i * 1000) / rate - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    firedAt.set(ip, await fire(ip));
  }));
  const deadline = now() + SETTLE_MS;
  while (seenAt.size < addresses.length && now() < deadline) await new Promise((r) => setTimeout(r, 50));
  polling = false;
  await poller;
  const end = now();
  // An address never seen counts with the whole time it was waited for, so a tool that fails cannot look fast.
  const latencies = addresses.map((ip) => (seenAt.get(ip) ?? end) - (firedAt.get(ip) ?? start));
  return { latencies, missing: addresses.length - seenAt.size };
}

export const timeToContain: Scenario = {
  name: 'time-to-contain',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rates = [1, 10, 50];
    const seconds = ctx.quick ? 2 : 12;
    const parameters = { rates, secondsPerRate: seconds, pollMs: POLL_MS, riposte: 'auto mode, nftables point only, HTTP POST → element in blocked4', fail2ban: 'last failed-login line written → element in its set' };
    // Without root there is no comparison to make: that is a failed run, not a passed one.
    if (!isRoot()) return { name: 'time-to-contain', parameters, figures: {}, ratios: {}, checks: { measured: false }, notes: ['not measured: needs root for network namespaces and nftables'] };

    const pool = ipv4Pool();
    const batches = rates.map((rate, i) => pool.slice(rates.slice(0, i).reduce((n, r) => n + r * seconds, 0), rates.slice(0, i + 1).reduce((n, r) => n + r * seconds, 0)));
    if (batches.at(-1)!.length < rates.at(-1)! * seconds) throw new Error('not enough documentation addresses for these rates');
    // One unmeasured detection first warms each tool (caches, the nft table, first connections).
    const warmup = pool.at(-1)!;

    const riposteNs = await createNamespace('rip-bench');
    const f2bNs = await createNamespace('f2b-bench');
    const notes: string[] = [];
    const figures: Record<string, unknown> = {};
    const ratios: Record<string, number | null> = {};
    try {
      const stack = await startStack(`${ctx.scratch}/time-to-contain`, {
        policy: { playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1h', notify: [] } }, enforcement: { points: ['nftables'] } },
        env: { RIPOSTE_NFT_NETNS: riposteNs.name },
      });
      try {
        const post = async (ip: string) => {
          const t = now();
          const r = await fetch(`${stack.apiUrl}/v1/alerts/humio`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY }, body: JSON.stringify({ hostname: 'web01', ip, count: 12 }) });
          await r.arrayBuffer();
          return t;
        };
        const members = () => nftSetMembers(riposteNs, 'inet', 'riposte', 'blocked4');
        await measure(1, [warmup], post, members);
        for (const [i, rate] of rates.entries()) {
          ctx.log(`time-to-contain: riposte at ${rate}/s`);
          const result = await measure(rate, batches[i]!, post, members);
          figures[`riposte@${rate}/s`] = { ms: summary(result.latencies), missing: result.missing };
        }
      } finally {
        await stack.stop();
      }

      const unavailable = await ensureFail2ban(ctx.log);
      if (unavailable) {
        notes.push(`fail2ban not measured: ${unavailable}`);
      } else {
        const dir = `${ctx.scratch}/fail2ban`;
        await mkdir(dir, { recursive: true });
        const f2b = await startFail2ban({ netns: f2bNs.name, dir, log: ctx.log });
        try {
          figures.fail2ban = { version: f2b.version, backend: f2b.backend, settings: f2b.settings };
          await measure(1, [warmup], (ip) => f2b.failLogins(ip, f2b.maxretry), () => f2b.bannedNow());
          for (const [i, rate] of rates.entries()) {
            ctx.log(`time-to-contain: fail2ban at ${rate}/s`);
            const result = await measure(rate, batches[i]!, (ip) => f2b.failLogins(ip, f2b.maxretry), () => f2b.bannedNow());
            figures[`fail2ban@${rate}/s`] = { ms: summary(result.latencies), missing: result.missing };
          }
        } finally {
          await f2b.stop();
        }
        for (const rate of rates) {
          const r = (figures[`riposte@${rate}/s`] as { ms: ReturnType<typeof summary> }).ms;
          const f = (figures[`fail2ban@${rate}/s`] as { ms: ReturnType<typeof summary> }).ms;
          for (const p of ['p50', 'p95', 'p99'] as const) ratios[`riposte/fail2ban@${rate}/s ${p}`] = ratio(r[p], f[p]);
        }
      }
    } finally {
      await riposteNs.remove();
      await f2bNs.remove();
    }
    const missing = Object.values(figures).some((f) => (f as { missing?: number }).missing);
    return { name: 'time-to-contain', parameters, figures, ratios, checks: { everyAddressBlocked: !missing, fail2banMeasured: notes.length === 0 }, notes };
  },
};
