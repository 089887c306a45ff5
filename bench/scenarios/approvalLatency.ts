import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { BENCH_API_KEY, type Stack, startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';
import { statusQuery } from '../../workflows/messages.ts';

const now = () => performance.timeOrigin + performance.now();

async function call(stack: Stack, method: string, path: string, body?: unknown): Promise<Response> {
  const r = await fetch(`${stack.apiUrl}${path}`, { method, headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY }, body: body === undefined ? undefined : JSON.stringify(body) });
  await r.arrayBuffer();
  return r;
}

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/**
 * POST /approve → the enforcement call starts, seen as the `log` point's record (it writes when its apply begins).
 * Baseline in the same run: a bare Temporal signal round trip (signal, then a query that sees it) on the same server.
 */
export const approvalLatency: Scenario = {
  name: 'approval-latency',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const samples = ctx.quick ? 10 : 100;
    const stack = await startStack(`${ctx.scratch}/approval-latency`, {
      policy: { playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '1h', reviewWindow: '1h', notify: [] } }, enforcement: { points: ['log'] } },
    });
    const dryRun = join(stack.dataDir, 'dry-run.jsonl');
    const appliedAt = async (ip: string) => {
      const text = await readFile(dryRun, 'utf8').catch(() => '');
      const line = text.split('\n').find((l) => l.includes(`"${ip}"`) && l.includes('would_block'));
      return line ? Date.parse((JSON.parse(line) as { at: string }).at) : undefined;
    };
    try {
      const approvals: number[] = [];
      const signals: number[] = [];
      for (let i = 0; i <= samples; i += 1) {
        const ip = ipv6At(5, i);
        const id = `brute-force:${ip}`;
        await call(stack, 'POST', '/v1/alerts/humio', { hostname: 'web01', ip });
        await until('awaiting approval', async () => {
          const state = await stack.client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
          return state?.status === 'awaiting_approval' ? true : undefined;
        });
        const t0 = now();
        const r = await call(stack, 'POST', `/v1/incidents/${id}/approve`, {});
        if (r.status !== 202) throw new Error(`approve answered ${r.status}`);
        const started = await until('the enforcement call', () => appliedAt(ip));
        // The first sample warms caches and connections; it is not counted.
        if (i > 0) approvals.push(started - t0);

        const s0 = now();
        await stack.client.workflow.getHandle(id).signal('pause', { by: 'bench' });
        await until('the signal seen', async () => ((await stack.client.workflow.getHandle(id).query(statusQuery)).paused ? true : undefined));
        if (i > 0) signals.push(now() - s0);
      }
      const approval = summary(approvals);
      const signal = summary(signals);
      return {
        name: 'approval-latency',
        parameters: { samples, point: 'log (records when its apply starts)', clock: 'the log record has millisecond resolution' },
        figures: { approveToEnforcementMs: approval, rawSignalRoundTripMs: signal },
        ratios: { 'approval/rawSignal p50': ratio(approval.p50, signal.p50), 'approval/rawSignal p99': ratio(approval.p99, signal.p99) },
      };
    } finally {
      await stack.stop();
    }
  },
};
