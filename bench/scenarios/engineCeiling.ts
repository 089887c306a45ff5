import proto from '@temporalio/proto';
import type { Client } from '@temporalio/client';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { postAlert } from '../support/http.ts';
import { logPointRecords } from '../support/points.ts';
import { alternate, type RoundRecord, sideValues } from '../support/rounds.ts';
import { runConcurrently, spawnRiposte, type Stack, startStack } from '../support/stack.ts';
import { ratio } from '../support/stats.ts';
import { CEILING_TASK_QUEUE } from '../ceiling/taskQueue.ts';

const CONCURRENCY = 32;
const CONTAIN_TIMEOUT_MS = 600_000;

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

interface RoundValue {
  perSecond: number;
  /** Riposte's side: containments whose block the `log` point recorded, of those asked for. */
  reached?: number;
}

/** The engine's ceiling: minimal workflows (a start, one local activity, one activity, a completion), each awaited. */
async function ceilingRound(stack: Stack, id: string, count: number): Promise<RoundValue> {
  const run = await runConcurrently(count, CONCURRENCY, async (i) => {
    await stack.client.workflow.execute('minimalWorkflow', { taskQueue: CEILING_TASK_QUEUE, workflowId: `ceiling-${id}-${i}`, args: [i] });
  });
  if (run.failures > 0) throw new Error(`${run.failures} minimal workflows failed`);
  return { perSecond: perSecond(count, run.elapsedMs) };
}

/**
 * Riposte's: alerts for new addresses in auto mode, each counted once the `log` point has recorded its block, so a
 * containment whose block never reached the point is not counted, and the round's rate falls with it.
 */
async function containRound(stack: Stack, records: ReturnType<typeof logPointRecords>, run: number, count: number): Promise<RoundValue> {
  const addresses = Array.from({ length: count }, (_, i) => ipv6At(run, i));
  const started = performance.now();
  const posted = await runConcurrently(count, CONCURRENCY, (i) => postAlert(stack.apiUrl, { hostname: 'web01', ip: addresses[i] }));
  if (posted.failures > 0) throw new Error(`${posted.failures} alerts refused`);
  const deadline = performance.now() + CONTAIN_TIMEOUT_MS;
  let reached = 0;
  for (;;) {
    await records.refresh();
    reached = records.count(addresses);
    if (reached === count || performance.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return { perSecond: reached === count ? perSecond(count, performance.now() - started) : 0, reached };
}

/**
 * Sustained containments per second against the engine's own ceiling on the same server, in alternating rounds
 * (ceiling, Riposte, ceiling, Riposte…) so a change in the machine's load falls on both sides; each round carries
 * the load it ran under. Then the same again with a second worker process, for the curve issue 8 asks for where two
 * cores cannot reach the goal.
 */
export const engineCeiling: Scenario = {
  name: 'engine-ceiling',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const rounds = ctx.quick ? 2 : 4;
    const roundsWithTwo = ctx.quick ? 1 : 2;
    const perRound = ctx.quick ? 100 : 400;
    const stack = await startStack(`${ctx.scratch}/engine-ceiling`, {
      policy: { playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1h', notify: [] } }, enforcement: { points: ['log'] } },
    });
    const ceilingWorker = spawnRiposte('bench/ceiling/worker.ts', { TEMPORAL_ADDRESS: stack.temporalAddress });
    try {
      await pollersOn(stack.client, CEILING_TASK_QUEUE);
      const records = logPointRecords(stack.dataDir);
      let runs = 20;
      const phase = (workers: number, count: number) => alternate<RoundValue>(count, [
        { name: 'ceiling', run: (round) => ceilingRound(stack, `${workers}w-${round}`, perRound) },
        { name: 'riposte', run: () => containRound(stack, records, (runs += 1), perRound) },
      ], { log: (m) => ctx.log(`engine-ceiling (${workers} worker${workers > 1 ? 's' : ''}) ${m}`), describe: (v) => `${v.perSecond}/s` });
      const one = await phase(1, rounds);
      await stack.addWorker();
      const two = await phase(2, roundsWithTwo);
      const figuresOf = (records: RoundRecord<RoundValue>[]) => {
        const ceiling = sideValues(records, 'ceiling').map((v) => v.perSecond);
        const riposte = sideValues(records, 'riposte').map((v) => v.perSecond);
        return { ceilingPerSecond: ceiling, containmentsPerSecond: riposte, medianCeiling: median(ceiling), medianContainments: median(riposte), rounds: records };
      };
      const oneWorker = figuresOf(one);
      const twoWorkers = figuresOf(two);
      const reachedAll = [...one, ...two].filter((r) => r.side === 'riposte').every((r) => r.value.reached === perRound);
      const headline = ratio(oneWorker.medianContainments, oneWorker.medianCeiling);
      return {
        name: 'engine-ceiling',
        parameters: {
          rounds, roundsWithTwoWorkers: roundsWithTwo, perRound, concurrency: CONCURRENCY,
          minimalWorkflow: 'start, one local activity, one activity, complete (one ceiling worker process throughout)',
          riposte: 'brute-force in auto mode, the log point, counted when the point recorded the block',
          order: 'alternating rounds, ceiling first; then a second Riposte worker process and alternating rounds again',
        },
        figures: { oneWorker, twoWorkers },
        ratios: { 'containments/ceiling': headline, 'containments/ceiling with two workers': ratio(twoWorkers.medianContainments, twoWorkers.medianCeiling) },
        checks: { 'every containment reached the log point': reachedAll },
        summary: { containmentsPerEngineCeiling: headline },
      };
    } finally {
      ceilingWorker.child.kill('SIGTERM');
      await stack.stop();
    }
  },
};
