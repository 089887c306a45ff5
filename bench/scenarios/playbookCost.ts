import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { BENCH_API_KEY, type Stack, startStack } from '../support/stack.ts';
import { withLoad } from '../support/load.ts';
import { logPointRecords } from '../support/points.ts';
import { ratio } from '../support/stats.ts';
import { statusQuery } from '../../workflows/messages.ts';

const { EventType } = proto.temporal.api.enums.v1;

/** One alert per incident, for each playbook that starts incidents straight from an alert. */
const ALERTS: Record<string, (i: number) => Record<string, unknown>> = {
  'brute-force': (i) => ({ type: 'auth.failure', sourceIp: ipv6At(7, i) }),
  phishing: (i) => ({ type: 'phishing.click', user: `user${i}@example.org`, url: `http://login${i}.evil.example/x`, sourceIp: ipv6At(8, i) }),
  'lateral-movement': (i) => ({ type: 'process.lateral_movement', host: `ws-${i}.corp.example` }),
  'account-compromise': (i) => ({ type: 'account.compromise', user: `victim${i}@example.org` }),
};

/** Where each playbook's response ends in this policy: what the count covers. */
const SETTLED = new Set(['contained', 'responded', 'awaiting_approval', 'observed', 'failed']);

interface Cost {
  workflowTasks: number;
  activityTasks: number;
  localActivities: number;
}

/** Workflow tasks, activity tasks and local activities of one history: what the server and the worker pay for. */
async function costOf(client: Client, workflowId: string, runId?: string): Promise<Cost> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const count = (type: number) => (history.events ?? []).filter((e) => e.eventType === type).length;
  return {
    workflowTasks: count(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
    activityTasks: count(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
    localActivities: count(EventType.EVENT_TYPE_MARKER_RECORDED),
  };
}

const add = (a: Cost, b: Cost): Cost => ({ workflowTasks: a.workflowTasks + b.workflowTasks, activityTasks: a.activityTasks + b.activityTasks, localActivities: a.localActivities + b.localActivities });
const per = (total: Cost, n: number): Cost => ({ workflowTasks: total.workflowTasks / n, activityTasks: total.activityTasks / n, localActivities: total.localActivities / n });
const ZERO: Cost = { workflowTasks: 0, activityTasks: 0, localActivities: 0 };

/**
 * What the block shards spent, every run of every shard: blocks share their shard's history, so brute force's blocks
 * are charged the whole of it once each has reached the point, and nothing else ran on the shards meanwhile.
 */
async function shardsCost(stack: Stack, addresses: readonly string[]): Promise<{ cost: Cost; reached: number }> {
  const records = logPointRecords(stack.dataDir);
  const deadline = Date.now() + 60_000;
  for (;;) {
    await records.refresh();
    if (records.count(addresses) === addresses.length || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  let cost = ZERO;
  for await (const run of stack.client.workflow.list({ query: 'WorkflowType = "blockShardWorkflow"' })) cost = add(cost, await costOf(stack.client, run.workflowId, run.runId));
  return { cost, reached: records.count(addresses) };
}

async function settle(stack: Stack, id: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const state = await stack.client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
    if (state && SETTLED.has(state.status)) return;
    if (Date.now() > deadline) throw new Error(`${id} did not settle: ${state?.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Each playbook's incidents one at a time, each settled before the next. */
async function measureCosts(ctx: BenchContext, stack: Stack, incidents: number): Promise<{ costs: Record<string, Cost>; blocksReached: number }> {
  const costs: Record<string, Cost> = {};
  let blocksReached = 0;
  for (const [playbook, alertOf] of Object.entries(ALERTS)) {
    let total: Cost = ZERO;
    for (let i = 0; i < incidents; i += 1) {
      const res = await fetch(`${stack.apiUrl}/v1/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY },
        body: JSON.stringify({ id: `${playbook}-${i}`, source: 'generic', ...alertOf(i) }),
      });
      const { incidents: [started] } = await res.json() as { incidents: { id: string }[] };
      await settle(stack, started!.id);
      total = add(total, await costOf(stack.client, started!.id));
    }
    if (playbook === 'brute-force') {
      const shards = await shardsCost(stack, Array.from({ length: incidents }, (_, i) => String(alertOf(i).sourceIp)));
      blocksReached = shards.reached;
      total = add(total, shards.cost);
    }
    costs[playbook] = per(total, incidents);
    ctx.log(`${playbook}: ${JSON.stringify(costs[playbook])}`);
  }
  return { costs, blocksReached };
}

/**
 * What one incident costs the engine, per playbook, until its response has settled: the incident's workflow tasks and
 * activity tasks, plus, for brute force, its share of the block shards' (a block is part of that response). The other playbooks
 * run with no adapters configured, so their actions record `skipped` after the same activity call a real one makes.
 */
export const playbookCost: Scenario = {
  name: 'playbook-cost',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const incidents = ctx.quick ? 5 : 30;
    const stack = await startStack(`${ctx.scratch}/playbook-cost`, {
      policy: {
        playbooks: Object.fromEntries(Object.keys(ALERTS).map((name) => [name, { mode: 'auto', blockDuration: '1h', reviewWindow: '1h', notify: [] }])),
        enforcement: { points: ['log'] },
      },
    });
    try {
      const { value: { costs, blocksReached }, load } = await withLoad(() => measureCosts(ctx, stack, incidents));
      const base = costs['brute-force']!;
      const ratios = Object.fromEntries(Object.keys(ALERTS).filter((p) => p !== 'brute-force').map((p) => [`${p}/brute-force workflow tasks`, ratio(costs[p]!.workflowTasks, base.workflowTasks)]));
      return {
        name: 'playbook-cost',
        parameters: { incidentsPerPlaybook: incidents, mode: 'auto (account compromise and isolation still wait for approval: counted up to that point)', point: 'log' },
        figures: { perIncident: costs, load },
        ratios,
        checks: {
          'every brute-force block reached the log point': blocksReached === incidents,
          ...Object.fromEntries(Object.keys(ALERTS).filter((p) => p !== 'brute-force').map((p) => [`${p} costs no more workflow tasks than brute force`, costs[p]!.workflowTasks <= base.workflowTasks])),
        },
      };
    } finally {
      await stack.stop();
    }
  },
};
