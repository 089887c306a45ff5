import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import { blockShards, createBlockActivities } from '../../activities/blocks.ts';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import { openDbipGeoIp } from '../../activities/enrich/geoip.ts';
import { createOffenceActivities } from '../../activities/offences.ts';
import { createRiposteWorkers } from '../../workers/riposteWorkers.ts';
import { blockShardOf, blockShardWorkflowId, offenceHistoryWorkflowId } from '../../workflows/ids.ts';
import { offencesQuery } from '../../workflows/offenceMessages.ts';
import { MAX_OFFENCE_MEMORY_MS } from '../../domain/policy.ts';
import { eventually, startTimeSkipping, suiteServer, testPolicy } from '../support/temporal.ts';
import { guardOf } from '../../domain/actions/guard.ts';

// Timers of a day or a year are only provable with time skipping; everything else runs on short real timers.
let env: TestWorkflowEnvironment;
let workers: Worker[];
let running: Promise<void>[];
let dir: string;
let edl: EdlFile;

before(async () => {
  env = await startTimeSkipping();
  dir = await mkdtemp(join(tmpdir(), 'riposte-expiry-'));
  edl = new EdlFile(join(dir, 'edl.json'));
  workers = await createRiposteWorkers({
    connection: env.nativeConnection,
    client: env.client,
    namespace: env.namespace ?? 'default',
    taskQueue: 'expiry',
    enforcementTaskQueue: 'expiry-enforcement',
    enforcementPoints: [createEdlEnforcer(edl)],
    maxEnforcementActionsPerSecond: 100,
    guard: guardOf(testPolicy()),
    notifiers: [],
    geoip: await openDbipGeoIp(),
    workflowBundle: { codePath: suiteServer().bundlePath },
  });
  running = workers.map((w) => w.run());
});

after(async () => {
  for (const worker of workers ?? []) worker.shutdown();
  await Promise.all(running ?? []);
  await env?.teardown();
  await rm(dir, { recursive: true, force: true });
});

test('a 24h block is applied, held for 24 hours of workflow time, then removed everywhere', async () => {
  const deps = { client: env.client, taskQueue: 'expiry', enforcementTaskQueue: 'expiry-enforcement' };
  const { requestBlock } = createBlockActivities(deps);
  const blocks = blockShards(deps);
  const address = '203.0.113.24';
  const started = await env.currentTimeMs();
  const { workflowId } = await requestBlock({ address, durationMs: 24 * 3_600_000, reason: 'brute force', requestedBy: 'brute-force:203.0.113.24', points: ['edl'] });
  assert.equal(workflowId, blockShardWorkflowId('expiry', blockShardOf(address)));

  await env.sleep('23h');
  const during = await eventually('the block held', async () => {
    const view = await blocks.read(address);
    return view?.state === 'active' ? view : undefined;
  });
  assert.ok(Date.parse(during.expiresAt!) - started >= 24 * 3_600_000, 'the block holds its full duration');
  assert.deepEqual((await edl.read(0)).map((t) => t.address), [address]);

  await env.sleep('59m');
  assert.equal((await blocks.read(address))?.state, 'active', 'still held a minute before its expiry');
  assert.deepEqual((await edl.read(0)).map((t) => t.address), [address]);

  // Past its expiry in workflow time; the removal itself runs on real time, so poll for the entry to leave its shard.
  await env.sleep('2m');
  await eventually('the block removed', async () => ((await blocks.read(address)) === null ? true : undefined), 30_000);
  assert.ok((await env.currentTimeMs()) - started >= 24 * 3_600_000, 'the block must last its full duration');
  assert.deepEqual(await edl.read(0), []);
  const offences = await eventually('the offence recorded', async () => {
    const recorded = await env.client.workflow.getHandle(offenceHistoryWorkflowId(address)).query(offencesQuery);
    return recorded.length > 0 ? recorded : undefined;
  });
  assert.deepEqual(offences.map((o) => [o.durationMs, o.blockWorkflowId]), [[24 * 3_600_000, workflowId]]);
});

test('an offence history ends by itself a year after its newest offence, and the next offence starts a new one', { timeout: 60_000 }, async () => {
  const { recordOffence } = createOffenceActivities({ client: env.client, taskQueue: 'expiry' });
  const address = '203.0.113.25';
  const offence = async () => ({ address, endedAt: await env.currentTimeMs(), durationMs: 24 * 3_600_000, blockWorkflowId: blockShardWorkflowId('expiry', blockShardOf(address)) });
  const handle = env.client.workflow.getHandle(offenceHistoryWorkflowId(address));
  await recordOffence(await offence());
  const { runId } = await handle.describe();

  await env.sleep('200d');
  const second = await offence();
  await recordOffence(second);
  await env.sleep('300d');
  assert.equal((await handle.describe()).status.name, 'RUNNING', 'a newer offence must push the end out');

  await env.client.workflow.getHandle(offenceHistoryWorkflowId(address), runId).result();
  const historyEndedAt = await env.currentTimeMs();
  assert.ok(historyEndedAt >= second.endedAt + MAX_OFFENCE_MEMORY_MS, 'the history must outlive its newest offence by a year');
  // countOffences reads the ended history like a running one: everything in it is past any memory a policy may set.
  assert.deepEqual((await handle.query(offencesQuery)).map((o) => o.endedAt <= historyEndedAt - MAX_OFFENCE_MEMORY_MS), [true, true]);

  const third = await offence();
  await recordOffence(third);
  const renewed = await handle.describe();
  assert.notEqual(renewed.runId, runId);
  assert.deepEqual(await handle.query(offencesQuery), [{ endedAt: third.endedAt, durationMs: third.durationMs, blockWorkflowId: third.blockWorkflowId }]);
});
