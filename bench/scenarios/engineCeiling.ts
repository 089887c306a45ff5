import { loadavg } from 'node:os';
import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { BENCH_API_KEY, runConcurrently, spawnRiposte, type Stack, startStack } from '../support/stack.ts';
import { ratio } from '../support/stats.ts';
import { CEILING_TASK_QUEUE } from '../ceiling/taskQueue.ts';

const CONCURRENCY = 32;

/** Work units per second, one decimal. */
const perSecond = (count: number, ms: number) => Math.round((count / ms) * 10_000) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function pollersOn(client: Client, name: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const described = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name }, taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW });
    if ((described.pollers ?? []).length > 0) return;
    if (Date.now() > deadline) throw new Error(`no worker polls ${name}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The engine's ceiling: minimal workflows (a start, one local activity, one activity, a completion), each awaited. */
async function ceilingRound(stack: Stack, round: number, count: number): Promise<number> {
  const run = await runConcurrently(count, CONCURRENCY, async (i) => {
    await stack.client.workflow.execute('minimalWorkflow', { taskQueue: CEILING_TASK_QUEUE, workflowId: `ceiling-${round}-${i}`, args: [i] });
  });
  if (run.failures > 0) throw new Error(`${run.failures} minimal workflows failed`);
  return perSecond(count, run.elapsedMs);
}

/** Riposte's: alerts for new addresses in auto mode, each counted once its block is active at the point. */
async function containRound(stack: Stack, round: number, count: number, before: number): Promise<number> {
  const started = performance.now();
  const posted = await runConcurrently(count, CONCURRENCY, async (i) => {
    const r = await fetch(`${stack.apiUrl}/v1/alerts/humio`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY }, body: JSON.stringify({ hostname: 'web01', ip: ipv6At(20 + round, i) }),
    });
    await r.arrayBuffer();
    if (r.status !== 202) throw new Error(`status ${r.status}`);
  });
  if (posted.failures > 0) throw new Error(`${posted.failures} alerts refused`);
  const deadline = Date.now() + 600_000;
  while ((await stack.client.workflow.count('WorkflowType = "blockWorkflow" AND RiposteStatus = "active"')).count < before + count) {
    if (Date.now() > deadline) throw new Error('containments did not finish within 10 minutes');
    await new Promise((r) => setTimeout(r, 200));
  }
  return perSecond(count, performance.now() - started);
}

/**
 * Sustained containments per second against the engine's own ceiling on the same server, in alternating rounds
 * (ceiling, Riposte, ceiling, Riposte…) so a change in the machine's load falls on both sides; the load average is
 * recorded before each round.
 */
export const engineCeiling: Scenario = {
  name: 'engine-ceiling',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rounds = ctx.quick ? 2 : 4;
    const perRound = ctx.quick ? 100 : 400;
    const stack = await startStack(`${ctx.scratch}/engine-ceiling`, {
      policy: { playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1h', notify: [] } }, enforcement: { points: ['log'] } },
    });
    const ceilingWorker = spawnRiposte('bench/ceiling/worker.ts', { TEMPORAL_ADDRESS: stack.temporalAddress });
    try {
      await pollersOn(stack.client, CEILING_TASK_QUEUE);
      const ceiling: number[] = [];
      const riposte: number[] = [];
      const load: { round: number; side: string; load1: number }[] = [];
      for (let round = 0; round < rounds; round += 1) {
        load.push({ round, side: 'ceiling', load1: loadavg()[0]! });
        ceiling.push(await ceilingRound(stack, round, perRound));
        load.push({ round, side: 'riposte', load1: loadavg()[0]! });
        riposte.push(await containRound(stack, round, perRound, round * perRound));
        ctx.log(`engine-ceiling round ${round}: ceiling ${ceiling.at(-1)}/s, riposte ${riposte.at(-1)}/s`);
      }
      return {
        name: 'engine-ceiling',
        parameters: { rounds, perRound, concurrency: CONCURRENCY, minimalWorkflow: 'start, one local activity, one activity, complete', riposte: 'brute-force in auto mode, the log point, counted when the block is active', order: 'alternating rounds, ceiling first' },
        figures: { ceilingPerSecond: ceiling, containmentsPerSecond: riposte, medianCeiling: median(ceiling), medianContainments: median(riposte), load },
        ratios: { 'containments/ceiling': ratio(median(riposte), median(ceiling)) },
      };
    } finally {
      ceilingWorker.child.kill('SIGTERM');
      await stack.stop();
    }
  },
};
