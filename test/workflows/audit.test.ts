import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { blockShards } from '../../activities/blocks.ts';
import {
  type AuditRecord, type AuditSink, combineAuditSinks, createHttpAuditSink, createJsonlAuditReader, type HttpAuditSink, JsonlAuditSink,
} from '../../activities/audit/index.ts';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import type { EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { createLogEnforcer } from '../../activities/enforce/logEnforcer.ts';
import { openDbipGeoIp } from '../../activities/enrich/geoip.ts';
import { createWebhookNotifier } from '../../activities/notify/webhookNotifier.ts';
import { createApp } from '../../api/app.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, type AlertSummary, EMPTY_BATCH } from '../../domain/alert.ts';
import type { IncidentState } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { createRiposteWorkers } from '../../workers/riposteWorkers.ts';
import { blockShardOf, blockShardWorkflowId } from '../../workflows/ids.ts';
import { approveSignal, statusQuery } from '../../workflows/messages.ts';
import { type HttpReceiver, startReceiver } from '../support/httpReceiver.ts';
import { eventually, quietRuntime, suiteServer, TEST_API_KEY, testPolicy, uniqueAddress } from '../support/temporal.ts';
import { guardOf } from '../../domain/actions/guard.ts';

const HEC_TOKEN = 'hec-0f1e2d3c-audit-e2e-token';

/**
 * The audit trail end to end: the real workers on the suite's Temporal server, the real JSON-lines file, a Splunk HEC
 * forwarder and a notification webhook at real local HTTP servers, and GET /v1/audit on the real Express app.
 */
describe('audit trail', () => {
  let dataDir: string;
  let auditPath: string;
  let file: JsonlAuditSink;
  let hecSink: HttpAuditSink;
  let audit: AuditSink;
  let hec: HttpReceiver;
  let hook: HttpReceiver;
  let connection: Connection;
  let client: Client;
  let native: NativeConnection;
  const workers: Worker[] = [];
  const running: Promise<void>[] = [];
  let api: { url: string; close(): Promise<void> };

  async function startWorkers(taskQueue: string, points: EnforcementPoint[], policy: PolicySnapshot): Promise<void> {
    const created = await createRiposteWorkers({
      connection: native,
      client,
      namespace: 'default',
      taskQueue,
      enforcementTaskQueue: `${taskQueue}-enforcement`,
      enforcementPoints: points,
      guard: guardOf(policy),
      maxEnforcementActionsPerSecond: policy.enforcement.maxActionsPerSecond,
      notifiers: [createWebhookNotifier({ url: `${hook.url}/notify` })],
      geoip: await openDbipGeoIp(),
      workflowBundle: { codePath: suiteServer().bundlePath },
      audit,
    });
    workers.push(...created);
    running.push(...created.map((w) => w.run()));
  }

  before(async () => {
    quietRuntime();
    dataDir = await mkdtemp(join(tmpdir(), 'riposte-audit-e2e-'));
    auditPath = join(dataDir, 'audit.jsonl');
    hec = await startReceiver(() => ({ status: 200, body: '{"text":"Success","code":0}' }));
    hook = await startReceiver();
    file = await JsonlAuditSink.open(auditPath);
    hecSink = createHttpAuditSink({ format: 'splunk-hec', url: hec.url, token: HEC_TOKEN, log: { info() {}, warn() {}, error() {} } });
    audit = combineAuditSinks(file, [hecSink]);
    connection = await Connection.connect({ address: suiteServer().address });
    client = new Client({ connection, namespace: 'default' });
    native = await NativeConnection.connect({ address: suiteServer().address });
    const app = createApp({
      client,
      taskQueue: 'unused',
      apiKeys: [TEST_API_KEY],
      maxBodyBytes: 64 * 1024,
      coalesceWindowMs: 5,
      policy: () => testPolicy(),
      blocklist: new EdlFile(join(dataDir, 'unused.json')),
      audit: createJsonlAuditReader(auditPath),
      links: {},
      log: () => undefined,
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    api = {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
    };
  });

  after(async () => {
    for (const worker of workers) worker.shutdown();
    await Promise.all(running);
    await audit?.close();
    await api?.close();
    await native?.close();
    await connection?.close();
    await hec?.close();
    await hook?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const alert = (id: string): AlertSummary => ({ id, source: 'generic', type: 'auth.failure', severity: 7, count: 4, receivedAt: new Date().toISOString() });

  async function raise(taskQueue: string, policy: PolicySnapshot, address: string, alertIds: string[]): Promise<string> {
    const id = `brute-force:${address}`;
    await signalIncident(client, taskQueue, id, { playbook: 'brute-force', entity: address, policy, links: {} }, addToBatch(EMPTY_BATCH, alertIds.map(alert)));
    return id;
  }

  async function statusOf(id: string, wanted: IncidentState['status']): Promise<IncidentState> {
    return eventually(`${id} to be ${wanted}`, async () => {
      const state = await client.workflow.getHandle(id).query(statusQuery);
      return state.status === wanted ? state : undefined;
    });
  }

  async function recordsOf(incidentId: string): Promise<AuditRecord[]> {
    return (await createJsonlAuditReader(auditPath).query({ incident: incidentId, limit: 1000 })).records;
  }

  async function waitForRecords(what: string, incidentId: string, done: (records: AuditRecord[]) => boolean, timeoutMs = 20_000): Promise<AuditRecord[]> {
    return eventually(what, async () => {
      const records = await recordsOf(incidentId);
      return done(records) ? records : undefined;
    }, timeoutMs);
  }

  const afterOf = (records: AuditRecord[], pred: (r: AuditRecord) => boolean) => records.filter((r) => r.phase === 'after' && pred(r));

  function recordsByAttempt(records: AuditRecord[]): Map<string, AuditRecord[]> {
    const byAttempt = new Map<string, AuditRecord[]>();
    // An incident's `event` records (its decision, a verdict) attempt nothing: they stand alone.
    for (const r of records.filter((record) => record.phase !== 'event')) {
      assert.ok(r.activity, `record ${r.id} names its activity`);
      const key = `${r.activity.workflowId}/${r.activity.runId}/${r.activity.activityId}/${r.activity.attempt}/${r.action}/${r.point ?? r.route ?? ''}/${r.target}`;
      byAttempt.set(key, [...(byAttempt.get(key) ?? []), r]);
    }
    return byAttempt;
  }

  /** A lane keeps trying while the test reads, so a snapshot can catch a call between its two records. */
  const everyTryAnswered = (records: AuditRecord[]) => [...recordsByAttempt(records).values()].every((pair) => pair.some((r) => r.phase === 'after'));

  /** Every attempt at every target (a batch holds many) wrote exactly one before and one after record, in that order. */
  function assertPaired(records: AuditRecord[]): void {
    for (const [key, pair] of recordsByAttempt(records)) assert.deepEqual(pair.map((r) => r.phase), ['before', 'after'], key);
    assert.equal(new Set(records.map((r) => r.id)).size, records.length, 'no duplicate record ids');
  }

  test('an approved incident: before and after records for each enforcement point and notification, with principal, policy version, incident and alerts', async () => {
    const taskQueue = `audit-ok-${Date.now().toString(36)}`;
    const policy = testPolicy({
      playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '1h', reviewWindow: '1m', notify: ['webhook', 'slack'] } },
      enforcement: { points: ['edl', 'log'] },
    });
    await startWorkers(taskQueue, [createEdlEnforcer(new EdlFile(join(dataDir, 'edl.json'))), createLogEnforcer({ path: join(dataDir, 'dry-run.jsonl') })], policy);
    const address = uniqueAddress();
    const alertIds = ['evt-audit-1', 'evt-audit-2'];
    const incidentId = await raise(taskQueue, policy, address, alertIds);
    await statusOf(incidentId, 'awaiting_approval');
    await waitForRecords('the awaiting-approval notifications', incidentId, (rs) => afterOf(rs, (r) => r.action === 'notify').length === 2);
    const sinceApproval = Date.now();
    await client.workflow.getHandle(incidentId).signal(approveSignal, { by: 'alice', comment: 'confirmed' });
    await statusOf(incidentId, 'contained');

    const applied = await waitForRecords('apply and notification records', incidentId, (rs) =>
      afterOf(rs, (r) => r.action === 'block.apply').length === 2 && afterOf(rs, (r) => r.action === 'notify').length === 4);
    assertPaired(applied);
    const decision = applied.filter((r) => r.phase === 'event');
    assert.deepEqual(decision.map((r) => [r.action, r.target, (r.parameters as { mode?: string }).mode]), [['incident.decide', address, 'approve']], 'the plan it proposed');

    const blockId = blockShardWorkflowId(taskQueue, blockShardOf(address));
    const incident = await client.workflow.getHandle(incidentId).query(statusQuery);
    assert.equal(incident.actions.find((a) => a.kind === 'block')?.result?.ref?.workflowId, blockId, 'the incident names the shard that holds its block');
    for (const point of ['edl', 'log']) {
      const records = applied.filter((r) => r.action === 'block.apply' && r.point === point);
      assert.deepEqual(records.map((r) => r.phase), ['before', 'after'], point);
      for (const r of records) {
        assert.equal(r.target, address);
        assert.equal(r.trigger.incidentId, incidentId);
        assert.deepEqual(r.trigger.alertIds, alertIds);
        assert.equal(r.trigger.blockWorkflowId, blockId);
        assert.equal(r.trigger.reason !== null && r.trigger.reason.length > 0, true);
        assert.deepEqual(r.actor, { kind: 'principal', name: 'alice' });
        assert.equal(r.policyVersion, policy.version);
        assert.equal(r.activity?.workflowId, blockId);
        assert.equal(r.activity?.activityType, 'syncBlocks');
        const expiresAt = Date.parse(String(r.parameters.expiresAt));
        assert.ok(expiresAt > Date.now() + 50 * 60_000 && expiresAt <= Date.now() + 60 * 60_000, `expiresAt ${r.parameters.expiresAt} is about an hour away`);
      }
      assert.deepEqual([records[1]!.result, records[1]!.error], ['success', undefined]);
      assert.ok(Date.parse(records[0]!.at) >= sinceApproval);
    }

    const notifications = afterOf(applied, (r) => r.action === 'notify');
    assert.deepEqual(notifications.map((r) => [r.route, r.result, r.actor.name, r.parameters.status]).sort(), [
      ['slack', 'skipped', 'alice', 'contained'],
      ['slack', 'skipped', 'automation', 'awaiting_approval'],
      ['webhook', 'success', 'alice', 'contained'],
      ['webhook', 'success', 'automation', 'awaiting_approval'],
    ]);
    for (const r of notifications) {
      assert.equal(r.policyVersion, policy.version);
      assert.deepEqual(r.trigger.alertIds, alertIds);
      assert.equal(r.target, address);
      assert.equal(r.activity?.workflowId, incidentId);
    }
    assert.equal(hook.requests.filter((r) => r.body.includes(incidentId)).length, 2, 'two notifications were actually sent');

    // An unblock by a person: removal records name them.
    const blocks = blockShards({ client, taskQueue, enforcementTaskQueue: `${taskQueue}-enforcement` });
    assert.equal(await blocks.lift(address, 'bob', 'false positive'), true);
    await eventually('the block removed everywhere', async () => ((await blocks.read(address)) === null ? true : undefined));
    const all = await waitForRecords('removal records', incidentId, (rs) => afterOf(rs, (r) => r.action === 'block.remove').length === 2);
    assertPaired(all);
    for (const r of all.filter((x) => x.action === 'block.remove')) {
      assert.deepEqual(r.actor, { kind: 'principal', name: 'bob' });
      assert.equal(r.trigger.reason, 'unblocked: false positive');
      assert.equal(r.trigger.incidentId, incidentId);
      assert.equal(r.policyVersion, policy.version);
      assert.equal(r.trigger.blockWorkflowId, blockId);
      assert.equal(r.activity?.activityType, 'syncBlocks');
      if (r.phase === 'after') assert.equal(r.result, 'success');
    }

    // The SIEM saw the same records, shaped as HEC events with the Splunk header.
    assert.equal(await hecSink.flush(5_000), true);
    const events = hec.requests.flatMap((req) => {
      assert.equal(req.headers.authorization, `Splunk ${HEC_TOKEN}`);
      assert.equal(req.url, '/services/collector/event');
      return req.body.split('\n').map((line) => JSON.parse(line));
    });
    const delivered = new Set(events.filter((e) => e.sourcetype === 'riposte:audit' && e.event.trigger.incidentId === incidentId).map((e) => e.event.id));
    assert.deepEqual(delivered, new Set(all.map((r) => r.id)));

    // GET /v1/audit filters by incident and since, newest last.
    const call = async (query: string) => {
      const res = await fetch(`${api.url}/v1/audit${query}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
      return { status: res.status, json: await res.json() as any };
    };
    const byIncident = await call(`?incident=${encodeURIComponent(incidentId)}`);
    assert.equal(byIncident.status, 200);
    assert.deepEqual(byIncident.json.records.map((r: AuditRecord) => r.id), all.map((r) => r.id));
    assert.equal(byIncident.json.truncated, false);
    const times = byIncident.json.records.map((r: AuditRecord) => Date.parse(r.at));
    assert.deepEqual(times, [...times].sort((a, b) => a - b), 'newest last');

    const since = await call(`?incident=${encodeURIComponent(incidentId)}&since=${new Date(sinceApproval).toISOString()}`);
    const expected = all.filter((r) => Date.parse(r.at) >= sinceApproval);
    assert.deepEqual(since.json.records.map((r: AuditRecord) => r.id), expected.map((r) => r.id));
    assert.ok(expected.length < all.length && !since.json.records.some((r: AuditRecord) => r.parameters.status === 'awaiting_approval'));

    const limited = await call(`?incident=${encodeURIComponent(incidentId)}&limit=2`);
    assert.deepEqual(limited.json.records.map((r: AuditRecord) => r.id), all.slice(-2).map((r) => r.id));
    assert.equal(limited.json.truncated, true);
    assert.equal((await call('?since=yesterday')).status, 400);
    assert.equal((await call('?limit=0')).status, 400);
    assert.equal((await call('?incidnet=x')).status, 400);

    await client.workflow.getHandle(incidentId).terminate('test done');
  });

  test('failing enforcement points: a failure after-record with the error for each try, the lane trying again after a back-off', async () => {
    const taskQueue = `audit-fail-${Date.now().toString(36)}`;
    const policy = testPolicy({
      playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1m', notify: [] } },
      enforcement: { points: ['edl', 'nftables'] },
    });
    // The EDL file's directory cannot be created (a plain file is in the way); nftables is in the policy but not on this worker.
    const blocker = join(dataDir, 'not-a-directory');
    await writeFile(blocker, '');
    await startWorkers(taskQueue, [createEdlEnforcer(new EdlFile(join(blocker, 'edl.json')))], policy);
    const address = uniqueAddress();
    const incidentId = await raise(taskQueue, policy, address, ['evt-fail-1']);
    const blockId = blockShardWorkflowId(taskQueue, blockShardOf(address));
    const blocks = blockShards({ client, taskQueue, enforcementTaskQueue: `${taskQueue}-enforcement` });

    // Each point's failure is recorded on the block at once, not after the activity's own retries.
    const view = await eventually('both refusals on the block', async () => {
      const seen = await blocks.read(address);
      return seen?.points.edl?.error && seen.points.nftables?.error ? seen : undefined;
    });
    assert.equal(view.state, 'failed', 'refused by every point');
    assert.match(view.points.edl!.error!, /ENOTDIR/);
    assert.equal(view.points.nftables!.error, 'enforcement point nftables is not configured on this worker');

    let records: AuditRecord[];
    try {
      // The nftables call has answered already (its error is on the block), so its records are written by now.
      records = await waitForRecords('two failed EDL tries, each answered', incidentId, (rs) => afterOf(rs, (r) => r.point === 'edl').length >= 2 && everyTryAnswered(rs));
    } finally {
      await client.workflow.getHandle(blockId).terminate('test done');
      await client.workflow.getHandle(incidentId).terminate('test done');
    }
    assertPaired(records);

    const nft = afterOf(records, (r) => r.point === 'nftables');
    assert.ok(nft.length >= 1, 'the refusal at a point this worker does not have is in the audit trail');
    assert.equal(nft[0]!.result, 'failure');
    assert.equal(nft[0]!.error, 'enforcement point nftables is not configured on this worker');
    assert.equal(nft[0]!.activity?.attempt, 1, 'a non-retryable refusal is attempted once per try');
    assert.equal(nft[0]!.trigger.blockWorkflowId, blockId);

    const edl = afterOf(records, (r) => r.point === 'edl');
    for (const r of edl) {
      assert.equal(r.result, 'failure');
      assert.match(r.error!, /ENOTDIR/);
      assert.deepEqual(r.actor, { kind: 'automation', name: 'automation' });
      assert.equal(r.policyVersion, policy.version);
      assert.deepEqual(r.trigger.alertIds, ['evt-fail-1']);
      assert.equal(r.trigger.blockWorkflowId, blockId);
      assert.equal(r.activity?.workflowId, blockId);
      assert.equal(r.activity?.activityType, 'syncBlocks');
    }
    // The lane tries again in a call of its own, a back-off (1 s first) after the failure was recorded.
    assert.notEqual(edl[0]!.id, edl[1]!.id, 'each try has records of its own');
    assert.notEqual(edl[0]!.activity?.activityId, edl[1]!.activity?.activityId, 'each try is a call of its own');
    const secondTry = records.find((r) => r.phase === 'before' && r.point === 'edl' && r.activity?.activityId === edl[1]!.activity?.activityId)!;
    const backOffMs = Date.parse(secondTry.at) - Date.parse(edl[0]!.at);
    assert.ok(backOffMs >= 900, `tried again ${backOffMs} ms after the failure`);
  });

  test('a batch: every block in one call has its own before and after records at each point', async () => {
    const taskQueue = `audit-batch-${Date.now().toString(36)}`;
    const policy = testPolicy({ enforcement: { points: ['edl', 'log'] } });
    await startWorkers(taskQueue, [createEdlEnforcer(new EdlFile(join(dataDir, 'batch-edl.json'))), createLogEnforcer({ path: join(dataDir, 'batch-dry-run.jsonl') })], policy);
    const first = uniqueAddress();
    let second = uniqueAddress();
    while (blockShardOf(second) !== blockShardOf(first)) second = uniqueAddress();
    const targets = [first, second];
    const blocks = blockShards({ client, taskQueue, enforcementTaskQueue: `${taskQueue}-enforcement` });
    const blockId = blockShardWorkflowId(taskQueue, blockShardOf(first));
    // One signal to their shard: its lanes see both blocks at once.
    await blocks.request(targets.map((address) => ({ address, durationMs: 3_600_000, reason: 'batch', requestedBy: 'carol', points: ['edl', 'log'], policyVersion: policy.version })));

    const ofTargets = async () => (await createJsonlAuditReader(auditPath).query({ limit: 10_000 })).records.filter((r) => targets.includes(r.target));
    let records: AuditRecord[];
    try {
      records = await eventually('the apply records of both blocks', async () => {
        const rs = await ofTargets();
        return afterOf(rs, (r) => r.action === 'block.apply').length === 4 ? rs : undefined;
      }, 20_000);
    } finally {
      await client.workflow.getHandle(blockId).terminate('test done');
    }
    assertPaired(records);
    assert.equal(records.length, 8);
    for (const point of ['edl', 'log']) {
      const atPoint = records.filter((r) => r.point === point);
      assert.deepEqual(atPoint.map((r) => r.target).sort(), [first, first, second, second].sort(), point);
      assert.equal(new Set(atPoint.map((r) => `${r.activity?.activityId}/${r.activity?.attempt}`)).size, 1, `one call carried both blocks at ${point}`);
      for (const r of atPoint) {
        assert.equal(r.trigger.blockWorkflowId, blockId);
        assert.equal(r.trigger.reason, 'batch');
        assert.deepEqual(r.actor, { kind: 'principal', name: 'carol' });
        assert.equal(r.policyVersion, policy.version);
        if (r.phase === 'after') assert.equal(r.result, 'success');
      }
    }
  });
});
