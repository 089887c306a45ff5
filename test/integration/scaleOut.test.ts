/**
 * Scale-out across processes: two worker processes and two API processes (workers/worker.ts, workers/api.ts) share one
 * Temporal server, one namespace and one task queue. 2,000 brute-force alerts for 500 addresses go alternately through
 * both APIs, each address's four split between them; both workers take work, exactly 500 incidents and 500 blocks
 * result, and each incident holds exactly the four alerts sent for its address.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { freePort } from '../../runtime/freePort.ts';
import { dataPaths } from '../../runtime/paths.ts';
import { reconcileScheduleId } from '../../runtime/reconcileSchedule.ts';
import type { IncidentState } from '../../domain/incident.ts';
import type { BlockView } from '../../workflows/messages.ts';
import { statusAttribute } from '../../workflows/searchAttributes.ts';
import { ENFORCEMENT_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import { isolatedNamespace } from '../support/namespace.ts';
import { inParallel } from '../support/parallel.ts';
import { type RiposteProcess, startRiposteProcess } from '../support/processes.ts';
import { eventually, suiteServer, TEST_API_KEY } from '../support/temporal.ts';

const ADDRESSES = 500;
const ALERTS_PER_ADDRESS = 4;
const IN_FLIGHT = 16;
/** A SIEM retries a 503; a bounded number of times here, so a Temporal that stays away fails the test. */
const MAX_ATTEMPTS = 10;
// The fourth alert of an address is the one that blocks it, so an alert lost on the way leaves its address unblocked.
const POLICY = `
enforcement: { points: [log], maxActionsPerSecond: 10000, reconcileEvery: 1h, notify: [] }
circuitBreaker: { maxNewBlocks: 1000000 }
playbooks:
  brute-force: { mode: auto, thresholds: { minAlerts: ${ALERTS_PER_ADDRESS} }, blockDuration: 1h, reviewWindow: 1h, notify: [] }
`;
const NETWORKS = ['192.0.2', '198.51.100', '203.0.113'];
const addresses = Array.from({ length: ADDRESSES }, (_, i) => `${NETWORKS[i % NETWORKS.length]}.${Math.floor(i / NETWORKS.length) + 1}`);
const alerts = Array.from({ length: ADDRESSES * ALERTS_PER_ADDRESS }, (_, i) => ({
  id: `scale-${i}`, source: 'generic', type: 'auth.failure', severity: 6, count: 1, sourceIp: addresses[Math.floor(i / ALERTS_PER_ADDRESS)]!,
}));
const sentIds = (ip: string) => alerts.filter((alert) => alert.sourceIp === ip).map((alert) => alert.id).sort();

const taskQueue = `test-scale-${randomBytes(4).toString('hex')}`;
let dir: string;
let connection: Connection;
let client: Client;
let namespace: string;
let workers: RiposteProcess[] = [];
let apis: { process: RiposteProcess; url: string }[] = [];
const workerDataDir = (i: number) => join(dir, `worker-${i}`);

async function call(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined, headers: response.headers };
}

async function pollerIdentities(queue: string, type: proto.temporal.api.enums.v1.TaskQueueType): Promise<Set<string>> {
  const described = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: queue }, taskQueueType: type });
  return new Set((described.pollers ?? []).map((poller) => poller.identity ?? ''));
}

/** The addresses one worker's `log` point recorded a block for: its own data directory, its own file. */
async function blockedBy(worker: number): Promise<Set<string>> {
  const text = await readFile(dataPaths({ dataDir: workerDataDir(worker) }).dryRunLog, 'utf8').catch(() => '');
  const lines = text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { action: string; address: string });
  return new Set(lines.filter((line) => line.action === 'would_block').map((line) => line.address));
}

async function allBlocks(url: string): Promise<BlockView[]> {
  const blocks: BlockView[] = [];
  let cursor: string | null = null;
  do {
    const page = await call(url, 'GET', `/v1/blocks?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    assert.equal(page.status, 200, JSON.stringify(page.json));
    blocks.push(...(page.json.blocks as BlockView[]));
    cursor = page.json.next;
  } while (cursor);
  return blocks;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-scale-'));
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, POLICY);
  connection = await Connection.connect({ address: suiteServer().address });
  namespace = await isolatedNamespace(connection, 'riposte-scale');
  client = new Client({ connection, namespace });
  const deployment = { TEMPORAL_ADDRESS: suiteServer().address, TEMPORAL_NAMESPACE: namespace, RIPOSTE_TASK_QUEUE: taskQueue, RIPOSTE_POLICY_FILE: policyFile };
  workers = [0, 1].map((i) => startRiposteProcess('workers/worker.ts', { ...deployment, RIPOSTE_DATA_DIR: workerDataDir(i) }));
  apis = await Promise.all([0, 1].map(async (i) => {
    const port = await freePort();
    const env = { ...deployment, RIPOSTE_DATA_DIR: join(dir, `api-${i}`), RIPOSTE_API_KEYS: TEST_API_KEY, RIPOSTE_API_PORT: String(port) };
    return { process: startRiposteProcess('workers/api.ts', env), url: `http://127.0.0.1:${port}` };
  }));
  await eventually('both APIs ready', async () => {
    const ready = await Promise.all(apis.map(({ url }) => fetch(`${url}/readyz`).then((r) => r.ok)));
    return ready.every(Boolean) || undefined;
  }, 120_000);
  const { TaskQueueType } = proto.temporal.api.enums.v1;
  // Each worker bundles its workflows first, for seconds: alerts sent before would all go to whichever polls first.
  await eventually('both workers polling', async () => {
    const main = await pollerIdentities(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
    const enforcement = await pollerIdentities(ENFORCEMENT_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
    return workers.every((w) => main.has(w.identity) && enforcement.has(w.identity)) || undefined;
  }, 5 * 60_000);
});

after(async () => {
  await Promise.all([...workers, ...apis.map((api) => api.process)].map((p) => p.stop()));
  await client?.schedule.getHandle(reconcileScheduleId(taskQueue)).delete().catch(() => undefined);
  await connection?.close();
  await rm(dir, { recursive: true, force: true });
});

test(`two workers and two APIs: ${alerts.length} alerts for ${ADDRESSES} addresses, every one counted once`, { timeout: 25 * 60_000 }, async (t) => {
  let retried = 0;
  // Alert i goes to API i % 2: an address's four alerts are sent back to back, two through each API.
  await inParallel(alerts, IN_FLIGHT, async (alert, i) => {
    const { url } = apis[i % apis.length]!;
    for (let attempt = 1; ; attempt += 1) {
      const answer = await call(url, 'POST', '/v1/alerts', alert);
      if (answer.status === 503 && attempt < MAX_ATTEMPTS) {
        retried += 1;
        const seconds = Math.min(Number(answer.headers.get('retry-after')) || 1, 5);
        await new Promise((r) => setTimeout(r, seconds * 1000));
        continue;
      }
      assert.equal(answer.status, 202, `${alert.id}: ${JSON.stringify(answer.json)}`);
      assert.equal(answer.json.accepted, 1);
      return;
    }
  });
  t.diagnostic(`${alerts.length} alerts accepted, ${retried} 503 answer(s) retried`);

  const incidents = `WorkflowType = "incidentWorkflow" AND TaskQueue = "${taskQueue}"`;
  await eventually('every incident contained', async () => {
    const { count } = await client.workflow.count(`${incidents} AND ${statusAttribute.name} = "contained"`);
    return count >= ADDRESSES || undefined;
  }, 20 * 60_000);
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query: incidents, pageSize: 1000 })) ids.push(execution.workflowId);
  assert.deepEqual(ids.sort(), addresses.map((ip) => `brute-force:${ip}`).sort(), 'one incident per address, one run each');

  const blocks = await eventually('every block applied at the log point', async () => {
    const listed = await allBlocks(apis[1]!.url);
    return listed.length >= ADDRESSES && listed.every((b) => b.points.log?.state === 'applied') ? listed : undefined;
  }, 5 * 60_000);
  assert.deepEqual(blocks.map((b) => b.address).sort(), [...addresses].sort(), 'one block per address');
  assert.ok(blocks.every((b) => b.state === 'active' && b.leases.length === 1 && b.leases[0]!.requester === `brute-force:${b.address}`), 'each held by its own incident alone');

  let counted = 0;
  await inParallel(addresses, 8, async (ip, i) => {
    const answer = await call(apis[i % apis.length]!.url, 'GET', `/v1/incidents/${encodeURIComponent(`brute-force:${ip}`)}`);
    const state = answer.json as IncidentState;
    assert.equal(state.alertsReceived, ALERTS_PER_ADDRESS, `${ip}: alerts received`);
    assert.equal(state.alertCount, ALERTS_PER_ADDRESS, `${ip}: alert count`);
    assert.deepEqual(state.sampleAlerts.map((alert) => alert.id).sort(), sentIds(ip), `${ip}: the alerts sent for it`);
    counted += state.alertsReceived;
  });
  assert.equal(counted, alerts.length);

  // Who completed each incident's workflow tasks, from its history: both workers, and no one else.
  const tasksBy = new Map<string, number>();
  await inParallel(addresses, 8, async (ip) => {
    const history = await client.workflow.getHandle(`brute-force:${ip}`).fetchHistory();
    for (const event of history.events ?? []) {
      const identity = event.workflowTaskCompletedEventAttributes?.identity;
      if (identity) tasksBy.set(identity, (tasksBy.get(identity) ?? 0) + 1);
    }
  });
  t.diagnostic(`incident workflow tasks per worker: ${JSON.stringify(Object.fromEntries(tasksBy))}`);
  assert.deepEqual([...tasksBy.keys()].sort(), workers.map((w) => w.identity).sort());

  const enforced = await Promise.all(workers.map((_, i) => blockedBy(i)));
  t.diagnostic(`blocks recorded per worker's log point: ${enforced.map((set) => set.size).join(', ')}`);
  assert.ok(enforced.every((set) => set.size > 0), 'both enforcement workers applied blocks');
  assert.deepEqual(new Set(enforced.flatMap((set) => [...set])), new Set(addresses));
});
