/**
 * kill -9 of the worker in the middle of a wave: the real worker process (`workers/worker.ts`) dies while blocks are
 * being applied, a new one takes over, and in the end every block was applied exactly once, as the dry-run point's
 * own record of its calls shows, and every incident is contained.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, EMPTY_BATCH } from '../../domain/alert.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { loadPolicy } from '../../runtime/policyFile.ts';
import { reconcileScheduleId } from '../../runtime/reconcileSchedule.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { isolatedNamespace } from '../support/namespace.ts';
import { type RiposteProcess, startRiposteProcess } from '../support/processes.ts';
import { eventually, suiteServer } from '../support/temporal.ts';

const INCIDENTS = 200;
const POLICY = `
enforcement: { points: [log], maxActionsPerSecond: 10000, reconcileEvery: 1h, notify: [] }
circuitBreaker: { maxNewBlocks: 1000000 }
playbooks:
  brute-force: { mode: auto, blockDuration: 1h, reviewWindow: 1h, notify: [] }
`;
let policy: PolicySnapshot;
const taskQueue = `test-crash-${randomBytes(4).toString('hex')}`;
const address = (i: number) => `2001:db8:c4a5::${(i + 1).toString(16)}`;
let dataDir: string;
let connection: Connection;
let client: Client;
let namespace: string;
let worker: RiposteProcess | undefined;

function startWorker(): RiposteProcess {
  return startRiposteProcess('workers/worker.ts', {
    TEMPORAL_ADDRESS: suiteServer().address, TEMPORAL_NAMESPACE: namespace, RIPOSTE_TASK_QUEUE: taskQueue, RIPOSTE_POLICY_FILE: join(dataDir, 'policy.yaml'), RIPOSTE_DATA_DIR: dataDir,
  });
}

/** The dry-run point's record: one line per apply call it received. */
async function appliesByAddress(): Promise<Map<string, number>> {
  const text = await readFile(join(dataDir, 'dry-run.jsonl'), 'utf8').catch(() => '');
  const counts = new Map<string, number>();
  for (const line of text.split('\n').filter(Boolean)) {
    const { action, address: applied } = JSON.parse(line) as { action: string; address: string };
    if (action === 'would_block') counts.set(applied, (counts.get(applied) ?? 0) + 1);
  }
  return counts;
}

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'riposte-crash-'));
  await writeFile(join(dataDir, 'policy.yaml'), POLICY);
  policy = await loadPolicy(join(dataDir, 'policy.yaml'));
  connection = await Connection.connect({ address: suiteServer().address });
  namespace = await isolatedNamespace(connection, 'riposte-crash');
  client = new Client({ connection, namespace });
});
after(async () => {
  await worker?.kill();
  await client?.schedule.getHandle(reconcileScheduleId(taskQueue)).delete().catch(() => undefined);
  await connection?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test(`kill -9 of the worker mid-wave: all ${INCIDENTS} blocks applied, none twice`, { timeout: 10 * 60_000 }, async (t) => {
  worker = startWorker();
  const input = { playbook: 'brute-force', policy, links: {} };
  for (let i = 0; i < INCIDENTS; i += 1) {
    const ip = address(i);
    const alert = { id: `crash-${i}`, source: 'generic' as const, type: 'auth.failure', severity: 6, count: 1, receivedAt: new Date().toISOString(), sourceIp: ip };
    await signalIncident(client, taskQueue, `brute-force:${ip}`, { ...input, entity: ip }, addToBatch(EMPTY_BATCH, [alert]));
  }
  const before = await eventually('the wave under way', async () => {
    const applied = (await appliesByAddress()).size;
    return applied >= 20 ? applied : undefined;
  }, 120_000);
  await worker.kill();
  t.diagnostic(`killed with ${before} of ${INCIDENTS} applied`);
  assert.ok(before < INCIDENTS, 'the worker died mid-wave');

  worker = startWorker();
  const applies = await eventually('every block applied', async () => {
    const counts = await appliesByAddress();
    return counts.size === INCIDENTS ? counts : undefined;
  }, 6 * 60_000);
  const twice = [...applies].filter(([, count]) => count > 1);
  assert.deepEqual(twice, [], 'no block applied twice');
  await eventually('every incident contained', async () => {
    const states = await Promise.all(Array.from({ length: INCIDENTS }, (_, i) => client.workflow.getHandle(`brute-force:${address(i)}`).query(statusQuery).catch(() => undefined)));
    return states.every((s) => s?.status === 'contained') ? true : undefined;
  }, 2 * 60_000);
  // Settled: a late retry of a lost batch would show as a second line now.
  await new Promise((r) => setTimeout(r, 5_000));
  assert.deepEqual([...(await appliesByAddress())].filter(([, count]) => count > 1), []);
});
