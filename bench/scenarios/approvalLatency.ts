import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { callApi, postAlert } from '../support/http.ts';
import { withLoad } from '../support/load.ts';
import { logPointRecords } from '../support/points.ts';
import { type Stack, startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';
import { pauseSignal, statusQuery } from '../../workflows/messages.ts';

const now = () => performance.timeOrigin + performance.now();

async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function awaitingApproval(stack: Stack, id: string): Promise<void> {
  await until(`${id} awaiting approval`, async () => {
    const state = await stack.client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
    return state?.status === 'awaiting_approval' ? true : undefined;
  });
}

/**
 * POST /approve → the enforcement call starts, seen in the `log` point's own record (it writes when its apply
 * begins). Baseline, alternating with it sample by sample: a bare Temporal signal round trip (a signal, then a query
 * that sees it) on the same server.
 */
export const approvalLatency: Scenario = {
  name: 'approval-latency',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const samples = ctx.quick ? 10 : 100;
    const stack = await startStack(`${ctx.scratch}/approval-latency`, {
      policy: { playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '1h', reviewWindow: '1h', notify: [] } }, enforcement: { points: ['log'] } },
    });
    const records = logPointRecords(stack.dataDir);
    const appliedAt = async (ip: string) => {
      await records.refresh();
      return records.blockedAt(ip);
    };
    try {
      const { value: [approvals, signals], load } = await withLoad(async () => {
        const approvals: number[] = [];
        const signals: number[] = [];
        for (let i = 0; i <= samples; i += 1) {
          const ip = ipv6At(5, i);
          const id = `brute-force:${ip}`;
          await postAlert(stack.apiUrl, { hostname: 'web01', ip });
          await awaitingApproval(stack, id);
          const t0 = now();
          const r = await callApi(stack.apiUrl, 'POST', `/v1/incidents/${id}/approve`, {});
          if (r.status !== 202) throw new Error(`approve answered ${r.status}: ${r.text.slice(0, 200)}`);
          const started = await until(`the enforcement call for ${ip}`, () => appliedAt(ip));
          // The first sample warms caches and connections; it is not counted.
          if (i > 0) approvals.push(started - t0);

          const s0 = now();
          await stack.client.workflow.getHandle(id).signal(pauseSignal, { by: 'bench' });
          await until('the signal seen', async () => ((await stack.client.workflow.getHandle(id).query(statusQuery)).paused ? true : undefined));
          if (i > 0) signals.push(now() - s0);
        }
        return [approvals, signals] as const;
      });
      const approval = summary(approvals);
      const signal = summary(signals);
      return {
        name: 'approval-latency',
        parameters: { samples, point: 'log (records when its apply starts)', clock: 'the log record has millisecond resolution', order: 'approval, signal round trip, approval, …' },
        figures: { approveToEnforcementMs: approval, rawSignalRoundTripMs: signal, load },
        ratios: { 'approval/rawSignal p50': ratio(approval.p50, signal.p50), 'approval/rawSignal p99': ratio(approval.p99, signal.p99) },
        checks: { 'every approved block reached the log point': approvals.length === samples },
        summary: { approveToEnforceP99Ms: approval.p99 },
      };
    } finally {
      await stack.stop();
    }
  },
};
