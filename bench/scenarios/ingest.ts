import { addToBatch, EMPTY_BATCH } from '../../domain/alert.ts';
import type { IncidentInput } from '../../domain/incident.ts';
import { policySchema } from '../../domain/policy.ts';
import { alertsSignal } from '../../workflows/messages.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { BENCH_API_KEY, runConcurrently, type Stack, startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';
import { join } from 'node:path';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { blockWorkflowId } from '../../workflows/ids.ts';
import { statusQuery } from '../../workflows/messages.ts';

const CONCURRENCY = 32;

function postAlert(stack: Stack, body: unknown): Promise<void> {
  return fetch(`${stack.apiUrl}/v1/alerts/humio`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY },
    body: JSON.stringify(body),
  }).then(async (r) => {
    await r.arrayBuffer();
    if (r.status !== 202) throw new Error(`status ${r.status}`);
  });
}

/** The engine's own rate: signal-with-start from this process, same concurrency, no API in between. */
async function rawSignalWithStart(stack: Stack, count: number, workflowIdOf: (i: number) => string, taskQueue = 'bench-raw-nobody-polls') {
  const policy = { ...policySchema.parse({ playbooks: { 'brute-force': { notify: [] } }, enforcement: { points: ['edl'] } }), version: 'bench' };
  const summaryOf = (i: number) => ({ id: `raw-${i}`, source: 'humio' as const, type: 'auth.failure', severity: 5, count: 1, receivedAt: new Date().toISOString() });
  return runConcurrently(count, CONCURRENCY, async (i) => {
    const input: IncidentInput = { playbook: 'brute-force', entity: '192.0.2.1', policy, links: {} };
    await stack.client.workflow.signalWithStart('incidentWorkflow', {
      workflowId: workflowIdOf(i),
      taskQueue,
      args: [input],
      signal: alertsSignal,
      signalArgs: [addToBatch(EMPTY_BATCH, [summaryOf(i)])],
    });
  });
}

/** Polls a count until it reaches `wanted` or 30 s pass; the last count either way. */
async function eventuallyCount(count: () => Promise<number>, wanted: number): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const n = await count();
    if (n >= wanted || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 200));
  }
}

function rate(count: number, elapsedMs: number): number {
  return Math.round((count / elapsedMs) * 1000 * 10) / 10;
}

export const ingestDistinct: Scenario = {
  name: 'ingest-distinct',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const count = ctx.quick ? 500 : 10_000;
    // No worker: both sides measure durable acceptance alone, against the same server.
    const stack = await startStack(`${ctx.scratch}/ingest-distinct`, { policy: {}, worker: false });
    try {
      ctx.log(`ingest-distinct: ${count} alerts, each for a new address, ${CONCURRENCY} at a time`);
      const api = await runConcurrently(count, CONCURRENCY, (i) => postAlert(stack, { hostname: 'web01', ip: ipv6At(1, i) }));
      const raw = await rawSignalWithStart(stack, count, (i) => `raw-distinct:${i}`);
      const apiRate = rate(count - api.failures, api.elapsedMs);
      const rawRate = rate(count - raw.failures, raw.elapsedMs);
      return {
        name: 'ingest-distinct',
        parameters: { alerts: count, concurrency: CONCURRENCY, worker: false, server: 'temporal dev server, SQLite file' },
        figures: { apiAlertsPerSecond: apiRate, rawSignalWithStartPerSecond: rawRate, apiLatencyMs: summary(api.latencies), rawLatencyMs: summary(raw.latencies), apiFailures: api.failures, rawFailures: raw.failures },
        ratios: { 'api/raw': ratio(apiRate, rawRate) },
        checks: { allAccepted: api.failures === 0 },
      };
    } finally {
      await stack.stop();
    }
  },
};

export const ingestStorm: Scenario = {
  name: 'ingest-storm',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const alerts = ctx.quick ? 2_000 : 20_000;
    const addresses = ctx.quick ? 20 : 200;
    const stack = await startStack(`${ctx.scratch}/ingest-storm`, {
      policy: { playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1h', notify: [] } }, enforcement: { points: ['edl'] } },
    });
    try {
      ctx.log(`ingest-storm: ${alerts} alerts for ${addresses} addresses, ${CONCURRENCY} at a time`);
      const ip = (i: number) => ipv6At(2, i % addresses);
      const api = await runConcurrently(alerts, CONCURRENCY, (i) => postAlert(stack, { hostname: 'web01', ip: ip(i), id: `storm-${i}` }));
      const apiRate = rate(alerts - api.failures, api.elapsedMs);

      ctx.log('ingest-storm: checking incidents, blocks and counts');
      const counted = await settle(stack, addresses, ip, alerts / addresses);
      const incidents = (await stack.client.workflow.count('WorkflowType = "incidentWorkflow" AND TaskQueue = "riposte"')).count;
      // What reached the enforcement point, not how many workflows exist: a block that failed everywhere is no block.
      const wanted = new Set(Array.from({ length: addresses }, (_, i) => ip(i)));
      const blocks = await eventuallyCount(async () => (await new EdlFile(join(stack.dataDir, 'edl-blocklist.json')).read()).filter((t) => wanted.has(t.address)).length, addresses);
      const signals = counted.batches;

      // The baseline does the same work the API made the worker do: signals to the same open incidents, which the
      // worker then processes, so both sides share the machine with the worker alike.
      ctx.log('ingest-storm: raw signal-with-start to the same incidents');
      const raw = await rawSignalWithStart(stack, alerts, (i) => `brute-force:${ip(i)}`, 'riposte');
      const rawRate = rate(alerts - raw.failures, raw.elapsedMs);
      return {
        name: 'ingest-storm',
        parameters: { alerts, addresses, concurrency: CONCURRENCY, coalesceWindowMs: 2, mode: 'auto', points: ['edl'] },
        figures: {
          apiAlertsPerSecond: apiRate,
          rawSignalWithStartPerSecond: rawRate,
          apiLatencyMs: summary(api.latencies),
          rawLatencyMs: summary(raw.latencies),
          incidents,
          blocks,
          sumOfCounts: counted.sum,
          signalsReceived: signals,
          alertsPerSignal: signals ? Math.round((alerts / signals) * 10) / 10 : null,
          failures: api.failures,
        },
        ratios: { 'api/raw': ratio(apiRate, rawRate) },
        checks: {
          allAccepted: api.failures === 0,
          [`exactly ${addresses} incidents`]: incidents === addresses,
          [`exactly ${addresses} addresses at the enforcement point`]: blocks === addresses,
          [`sum of counts = ${alerts}`]: counted.sum === alerts,
        },
      };
    } finally {
      await stack.stop();
    }
  },
};

/** Waits (bounded) until every incident has counted its alerts and been contained, then sums what they counted. */
async function settle(stack: Stack, addresses: number, ip: (i: number) => string, perAddress: number) {
  const deadline = Date.now() + 120_000;
  let sum = 0;
  let batches = 0;
  for (let i = 0; i < addresses; i += 1) {
    for (;;) {
      const state = await stack.client.workflow.getHandle(`brute-force:${ip(i)}`).query(statusQuery).catch(() => undefined);
      const blocked = await stack.client.workflow.getHandle(blockWorkflowId(ip(i))).describe().then(() => true, () => false);
      if ((state?.alertsReceived === perAddress && state.status === 'contained' && blocked) || Date.now() > deadline) {
        sum += state?.alertCount ?? 0;
        batches += state?.alertBatches ?? 0;
        break;
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { sum, batches };
}
