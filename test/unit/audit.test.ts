import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type AuditRecord, type AuditSink, createJsonlAuditReader, discardAudit, JsonlAuditSink, openJsonlAuditSink } from '../../activities/audit/index.ts';
import { createActionActivities } from '../../activities/actions.ts';
import { createEnforcementActivities, type SyncBlocksResult } from '../../activities/enforce/index.ts';
import type { UserDirectory } from '../../activities/users/userDirectory.ts';
import type { ActionPorts, ActionResult, IncidentBrief } from '../../domain/actions/action.ts';
import { guardOf } from '../../domain/actions/guard.ts';
import { canonicalCidr } from '../../domain/ip.ts';
import { policySchema } from '../../domain/policy.ts';
import type { BlockTarget, EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { createNotifyActivities } from '../../activities/notify/index.ts';
import type { IncidentNotification } from '../../activities/notify/notification.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-audit-'));
});
after(() => rm(dir, { recursive: true, force: true }));

let n = 0;
const fresh = () => join(dir, `audit-${++n}.jsonl`);

function record(id: string, overrides: Partial<AuditRecord> = {}): AuditRecord {
  return {
    id,
    at: new Date().toISOString(),
    phase: 'before',
    action: 'block.apply',
    point: 'edl',
    target: '203.0.113.9',
    parameters: {},
    trigger: { incidentId: 'brute-force:203.0.113.9', alertIds: [], blockWorkflowId: null, reason: null },
    actor: { kind: 'automation', name: 'automation' },
    policyVersion: 'v1',
    activity: null,
    ...overrides,
  };
}

const lines = async (path: string): Promise<AuditRecord[]> => (await readFile(path, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as AuditRecord);

describe('JSON-lines audit sink', () => {
  test('concurrent appends share writes (group commit), and every record is durable when append resolves', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => sink.append([record(`r${i}`)])));
    const written = await lines(path);
    assert.equal(written.length, 200);
    assert.deepEqual(new Set(written.map((r) => r.id)).size, 200);
    assert.ok(sink.stats.writes < 20, `200 concurrent appends took ${sink.stats.writes} writes`);
    await sink.close();
  });

  test('a record id is written once: repeats in flight, after the write, and after a reopen are skipped', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    await Promise.all([sink.append([record('a')]), sink.append([record('a'), record('b')])]);
    await sink.append([record('a'), record('b')]);
    assert.equal(sink.stats.duplicates, 3);
    await sink.close();

    const reopened = await JsonlAuditSink.open(path);
    await reopened.append([record('a'), record('c')]);
    await reopened.close();
    assert.deepEqual((await lines(path)).map((r) => r.id), ['a', 'b', 'c']);
  });

  test('the dedupe memory is bounded to the newest ids', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path, { maxKeys: 3 });
    for (const id of ['k1', 'k2', 'k3', 'k4']) await sink.append([record(id)]);
    await sink.append([record('k4'), record('k1')]); // k1 is forgotten, k4 is not
    await sink.close();
    assert.deepEqual((await lines(path)).map((r) => r.id), ['k1', 'k2', 'k3', 'k4', 'k1']);
  });

  test('a torn last line (a crash mid-write) is skipped, and the next record starts on a fresh line', async () => {
    const path = fresh();
    await writeFile(path, `${JSON.stringify(record('whole'))}\n{"id":"torn","at":"20`);
    const sink = await JsonlAuditSink.open(path);
    await sink.append([record('next')]);
    await sink.close();
    const text = await readFile(path, 'utf8');
    assert.match(text, /\{"id":"torn","at":"20\n\{"id":"next"/);
    const page = await createJsonlAuditReader(path).query({ limit: 10 });
    assert.deepEqual(page.records.map((r) => r.id), ['whole', 'next']);
  });

  test('an audit file that cannot be created fails at open, so a worker never starts without its trail', async () => {
    const notADir = join(dir, 'plain-file');
    await writeFile(notADir, '');
    await assert.rejects(JsonlAuditSink.open(join(notADir, 'audit.jsonl')), /ENOTDIR|EEXIST/);
  });

  test('one writer per file per process: opening the same path twice gives the same sink', async () => {
    const path = fresh();
    const [a, b] = await Promise.all([openJsonlAuditSink(path), openJsonlAuditSink(path)]);
    assert.equal(a, b);
    await a.close();
    const c = await openJsonlAuditSink(path);
    assert.notEqual(c, a);
    await c.close();
  });
});

describe('audit reader', () => {
  test('filters by incident and since, keeps the newest `limit`, newest last, and says when it left some out', async () => {
    const path = fresh();
    const base = Date.parse('2025-01-01T00:00:00Z');
    const text = Array.from({ length: 50 }, (_, i) => JSON.stringify(record(`r${i}`, {
      at: new Date(base + i * 60_000).toISOString(),
      trigger: { incidentId: i % 2 === 0 ? 'inc-even' : 'inc-odd', alertIds: [], blockWorkflowId: null, reason: null },
    }))).join('\n');
    await writeFile(path, `${text}\n`);
    const reader = createJsonlAuditReader(path, { chunkBytes: 256 });

    const all = await reader.query({ limit: 1000 });
    assert.equal(all.records.length, 50);
    assert.equal(all.truncated, false);
    assert.equal(all.records.at(-1)!.id, 'r49');

    const newest = await reader.query({ limit: 3 });
    assert.deepEqual(newest.records.map((r) => r.id), ['r47', 'r48', 'r49']);
    assert.equal(newest.truncated, true);

    const even = await reader.query({ incident: 'inc-even', limit: 1000 });
    assert.equal(even.records.length, 25);
    assert.ok(even.records.every((r) => r.trigger.incidentId === 'inc-even'));

    const since = await reader.query({ since: base + 45 * 60_000, limit: 1000 });
    assert.deepEqual(since.records.map((r) => r.id), ['r45', 'r46', 'r47', 'r48', 'r49']);
    const both = await reader.query({ incident: 'inc-odd', since: base + 45 * 60_000, limit: 1000 });
    assert.deepEqual(both.records.map((r) => r.id), ['r45', 'r47', 'r49']);

    assert.deepEqual(await createJsonlAuditReader(join(dir, 'missing.jsonl')).query({ limit: 10 }), { records: [], truncated: false });
  });

  test('a query reads at most maxScanBytes from the end', async () => {
    const path = fresh();
    for (let i = 0; i < 100; i += 1) await appendFile(path, `${JSON.stringify(record(`s${i}`))}\n`);
    const page = await createJsonlAuditReader(path, { maxScanBytes: 4096, chunkBytes: 1024 }).query({ limit: 1000 });
    assert.ok(page.records.length > 0 && page.records.length < 100);
    assert.equal(page.truncated, true);
    assert.equal(page.records.at(-1)!.id, 's99');
  });

  test('between reads a whole window, newest first, past maxScanBytes, and stops once well before since', async () => {
    const path = fresh();
    const base = Date.parse('2025-01-01T00:00:00Z');
    const text = Array.from({ length: 200 }, (_, i) => JSON.stringify(record(`w${i}`, { at: new Date(base + i * 60_000).toISOString() }))).join('\n');
    await writeFile(path, `${text}\n`);
    const reader = createJsonlAuditReader(path, { maxScanBytes: 4096, chunkBytes: 512 });
    const ids = async (since: number, until: number) => {
      const found: string[] = [];
      for await (const r of reader.between({ since, until })) found.push(r.id);
      return found;
    };
    assert.deepEqual(await ids(base + 10 * 60_000, base + 13 * 60_000), ['w12', 'w11', 'w10']);
    assert.equal((await ids(base, base + 200 * 60_000)).length, 200);
    assert.deepEqual(await ids(base - 60_000, base + 60_000), ['w0']);
  });
});

describe('audited activities', () => {
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const mock = (info: ConstructorParameters<typeof MockActivityEnvironment>[0]) => new MockActivityEnvironment(info, { logger: quiet });
  // Enforcement calls come from a block shard (workflows/blockShard.ts), one batch of blocks at one point per call.
  const SHARD = 'riposte-blocks:riposte:12';
  const identity = { workflowExecution: { workflowId: SHARD, runId: 'run-1' }, activityId: '3', activityType: 'syncBlocks', namespace: 'default', workflowNamespace: 'default' };
  const context = { incidentId: 'brute-force:203.0.113.50', alertIds: ['evt-1', 'evt-2'], blockWorkflowId: SHARD, policyVersion: 'pv-1', actor: 'alice', reason: 'brute force' };
  const unblocked = { ...context, actor: 'bob', reason: 'unblocked' };
  const expiresAt = Date.parse('2030-01-01T00:00:00Z');

  /** A point that records what it applied and removed; `fails` says which addresses it refuses, and with what. */
  function recordingPoint(name: string, fails: (address: string) => Error | undefined = () => undefined): EnforcementPoint & { applied: BlockTarget[]; removed: string[] } {
    const applied: BlockTarget[] = [];
    const removed: string[] = [];
    return {
      name,
      applied,
      removed,
      apply: async (target) => {
        const error = fails(target.address);
        if (error) throw error;
        applied.push(target);
      },
      remove: async (address) => {
        const error = fails(address);
        if (error) throw error;
        removed.push(address);
      },
      list: async () => applied,
    };
  }
  const activities = (point: EnforcementPoint, audit: AuditSink, options: { allowlist?: string[]; paused?: boolean } = {}) => createEnforcementActivities({
    points: [point],
    allowlist: (options.allowlist ?? []).map(canonicalCidr),
    assertContainmentAllowed: async () => { if (options.paused) throw new Error('the kill switch is on'); },
    audit,
  });
  const key = (r: AuditRecord) => `${r.activity?.attempt} ${r.phase} ${r.action} ${r.target}`;

  test('each block of a batch gets its own records; the same attempt delivered twice writes them once; the next attempt writes its own', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    const point = recordingPoint('edl');
    const { syncBlocks } = activities(point, sink);
    const input = {
      point: 'edl',
      apply: [{ address: '203.0.113.50', expiresAt, audit: context }, { address: '203.0.113.51', expiresAt, audit: context }],
      remove: [{ address: '203.0.113.52', audit: unblocked }],
    };

    assert.deepEqual(await mock({ ...identity, attempt: 1 }).run(syncBlocks, input), { failed: {} });
    await mock({ ...identity, attempt: 1 }).run(syncBlocks, input);
    assert.equal(point.applied.length, 4, 'the enforcement calls themselves are idempotent and run each time');
    // The point lost them (a restart), so the next attempt applies both again.
    point.applied.length = 0;
    await mock({ ...identity, attempt: 2 }).run(syncBlocks, input);
    await sink.close();

    assert.equal(point.applied.length, 2);
    assert.equal(sink.stats.duplicates, 6, 'the redelivered attempt\'s six records were skipped');
    const written = await lines(path);
    const targets = ['block.apply 203.0.113.50', 'block.apply 203.0.113.51', 'block.remove 203.0.113.52'];
    assert.deepEqual(written.map(key).sort(), [1, 2].flatMap((attempt) => ['after', 'before'].flatMap((phase) => targets.map((t) => `${attempt} ${phase} ${t}`))).sort());
    assert.equal(new Set(written.map((r) => r.id)).size, 12, 'record ids are distinct per block, phase and attempt');

    const activity = { namespace: 'default', workflowId: SHARD, runId: 'run-1', activityId: '3', activityType: 'syncBlocks', attempt: 1 };
    const after = written.find((r) => key(r) === '1 after block.apply 203.0.113.50')!;
    assert.deepEqual(after, {
      id: after.id,
      at: after.at,
      phase: 'after',
      action: 'block.apply',
      point: 'edl',
      target: '203.0.113.50',
      parameters: { expiresAt: '2030-01-01T00:00:00.000Z' },
      trigger: { incidentId: context.incidentId, alertIds: context.alertIds, blockWorkflowId: SHARD, reason: 'brute force' },
      actor: { kind: 'principal', name: 'alice' },
      policyVersion: 'pv-1',
      activity,
      result: 'success',
      durationMs: after.durationMs,
    });
    const removal = written.find((r) => key(r) === '1 after block.remove 203.0.113.52')!;
    assert.deepEqual([removal.result, removal.actor.name, removal.trigger.reason, removal.trigger.blockWorkflowId], ['success', 'bob', 'unblocked', SHARD]);
  });

  test('a failing call gets a failure record with its error and fails its own block only; the rest of the batch is done', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    const point = recordingPoint('edl', (address) => (address === '203.0.113.51' ? new Error('ENOSPC: no space left on device') : undefined));
    const { syncBlocks } = activities(point, sink);
    const result = await mock({ ...identity, attempt: 1 }).run(syncBlocks, {
      point: 'edl',
      apply: [{ address: '203.0.113.50', expiresAt, audit: context }, { address: '203.0.113.51', expiresAt, audit: context }],
      remove: [{ address: '203.0.113.52', audit: unblocked }],
    });
    await sink.close();
    assert.deepEqual(result, { failed: { '203.0.113.51': 'ENOSPC: no space left on device' } });
    assert.deepEqual(point.applied.map((t) => t.address), ['203.0.113.50']);
    assert.deepEqual(point.removed, ['203.0.113.52']);
    const after = (await lines(path)).filter((r) => r.phase === 'after').sort((a, b) => a.target.localeCompare(b.target));
    assert.deepEqual(after.map((r) => [r.action, r.target, r.result, r.error, r.actor.name]), [
      ['block.apply', '203.0.113.50', 'success', undefined, 'alice'],
      ['block.apply', '203.0.113.51', 'failure', 'ENOSPC: no space left on device', 'alice'],
      ['block.remove', '203.0.113.52', 'success', undefined, 'bob'],
    ]);
  });

  test('an allowlisted block, a batch held by the kill switch and an unknown point are refused, and the refusals are in the trail', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    const point = recordingPoint('edl');
    const allowlisted: SyncBlocksResult = await mock({ ...identity, activityId: '4' }).run(activities(point, sink, { allowlist: ['203.0.113.0/28'] }).syncBlocks, {
      point: 'edl', apply: [{ address: '203.0.113.9', expiresAt, audit: context }, { address: '203.0.113.50', expiresAt, audit: context }], remove: [],
    });
    assert.match(allowlisted.failed['203.0.113.9'] ?? '', /allowlist/);
    assert.deepEqual(point.applied.map((t) => t.address), ['203.0.113.50']);
    const held: SyncBlocksResult = await mock({ ...identity, activityId: '5' }).run(activities(point, sink, { paused: true }).syncBlocks, {
      point: 'edl', apply: [{ address: '203.0.113.60', expiresAt, audit: context }], remove: [],
    });
    assert.equal(held.held, 'the kill switch is on');
    const unknown: SyncBlocksResult = await mock({ ...identity, activityId: '6' }).run(activities(point, sink).syncBlocks, {
      point: 'nftables', apply: [{ address: '203.0.113.70', expiresAt, audit: context }], remove: [],
    });
    assert.match(unknown.failed['203.0.113.70'] ?? '', /enforcement point nftables is not configured on this worker/);
    await sink.close();
    assert.deepEqual(point.applied.map((t) => t.address), ['203.0.113.50'], 'nothing refused was applied');
    const after = (await lines(path)).filter((r) => r.phase === 'after' && r.result === 'failure');
    assert.deepEqual(after.map((r) => [r.point, r.target]).sort(), [['edl', '203.0.113.60'], ['edl', '203.0.113.9'], ['nftables', '203.0.113.70']]);
  });

  test('when the before-records cannot be stored, nothing is attempted and the activity fails retryably', async () => {
    const point = recordingPoint('edl');
    const broken: AuditSink = { append: async () => { throw new Error('EROFS: read-only file system'); }, close: async () => undefined };
    await assert.rejects(
      mock(identity).run(activities(point, broken).syncBlocks, { point: 'edl', apply: [{ address: '203.0.113.50', expiresAt: Date.now() + 60_000 }], remove: [{ address: '203.0.113.52' }] }),
      (err: Error & { type?: string; nonRetryable?: boolean }) => err.type === 'AuditUnavailable' && err.nonRetryable === false && /not attempted: EROFS/.test(err.message),
    );
    assert.deepEqual([point.applied.length, point.removed.length], [0, 0]);
  });

  test('blocks made before the shards: applyBlock and removeBlock still write their records, refusals included', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    const legacy = { ...identity, workflowExecution: { workflowId: 'block:203.0.113.50', runId: 'run-1' }, activityType: 'applyBlock' };
    const legacyContext = { ...context, blockWorkflowId: 'block:203.0.113.50' };
    const { applyBlock } = activities(recordingPoint('edl', () => new Error('ENOSPC: no space left on device')), sink);
    const { removeBlock } = activities(recordingPoint('edl'), sink);
    await assert.rejects(mock({ ...legacy, attempt: 1 }).run(applyBlock, { point: 'edl', address: '203.0.113.50', expiresAt, audit: legacyContext }), /ENOSPC/);
    await assert.rejects(mock({ ...legacy, activityId: '4' }).run(applyBlock, { point: 'nftables', address: '203.0.113.50', expiresAt }), /not configured on this worker/);
    await mock({ ...legacy, activityId: '5', activityType: 'removeBlock' }).run(removeBlock, { point: 'edl', address: '203.0.113.50', audit: { ...legacyContext, actor: 'bob', reason: 'unblocked' } });
    await sink.close();
    const after = (await lines(path)).filter((r) => r.phase === 'after');
    assert.deepEqual(after.map((r) => [r.action, r.point, r.result, r.error, r.actor.name, r.trigger.blockWorkflowId]), [
      ['block.apply', 'edl', 'failure', 'ENOSPC: no space left on device', 'alice', 'block:203.0.113.50'],
      ['block.apply', 'nftables', 'failure', 'enforcement point nftables is not configured on this worker', 'automation', null],
      ['block.remove', 'edl', 'success', undefined, 'bob', 'block:203.0.113.50'],
    ]);
  });

  describe('response actions', () => {
    const incident: IncidentBrief = {
      id: 'account-compromise:bob@example.org', playbook: 'account-compromise', title: 't', entity: 'bob@example.org', entityKind: 'user',
      alertCount: 1, severity: 9, mode: 'approve', status: 'containing', summary: 's', links: {}, policyVersion: 'pv-1', alertIds: ['evt-1'],
      actor: 'alice', enforcementPoints: [],
    };
    const guard = guardOf({ ...policySchema.parse({}), version: 'pv-1' });
    /** A directory that records what it was asked; `suspended` says whether bob was already suspended. */
    function directory(suspended: boolean): UserDirectory & { calls: string[] } {
      const calls: string[] = [];
      return {
        name: 'okta', calls,
        disable: async (user) => { calls.push(`disable ${user}`); return { detail: 'suspended', ref: '00u1', ...(suspended ? { unchanged: true as const } : {}) }; },
        enable: async (user) => { calls.push(`enable ${user}`); return { detail: 'unsuspended', ref: '00u1' }; },
      };
    }
    const activities = (users: UserDirectory, audit: AuditSink, paused = false) => createActionActivities({
      ports: { users: [users] } as unknown as ActionPorts,
      guard,
      assertContainmentAllowed: async () => { if (paused) throw new Error('the kill switch is on'); },
      audit,
    });
    const input = { kind: 'disable_user', params: { user: 'bob@example.org' }, idempotencyKey: 'k', incident, audit: context };
    const env = (attempt: number) => mock({ ...identity, workflowExecution: { workflowId: incident.id, runId: 'r' }, activityType: 'applyAction', attempt });

    test('an action gets a before and an after record, named after its kind, with its parameters and idempotency key', async () => {
      const path = fresh();
      const sink = await JsonlAuditSink.open(path);
      await env(1).run(activities(directory(false), sink).applyAction, input);
      await sink.close();
      const written = await lines(path);
      assert.deepEqual(written.map((r) => [r.action, r.phase, r.result ?? null, r.target]), [
        ['disable_user.apply', 'before', null, 'bob@example.org'], ['disable_user.apply', 'after', 'success', 'bob@example.org'],
      ]);
      assert.deepEqual(written[0]!.parameters, { params: { user: 'bob@example.org' }, idempotencyKey: 'k' });
      assert.deepEqual(written[1]!.actor, { kind: 'principal', name: 'alice' });
    });

    test('while the kill switch is on a containment action is recorded as failed and its adapter is never called', async () => {
      const path = fresh();
      const sink = await JsonlAuditSink.open(path);
      const users = directory(false);
      await assert.rejects(env(1).run(activities(users, sink, true).applyAction, input), /the kill switch is on/);
      await sink.close();
      assert.deepEqual(users.calls, []);
      assert.deepEqual((await lines(path)).map((r) => [r.phase, r.result ?? null, r.error ?? null]), [['before', null, null], ['after', 'failure', 'the kill switch is on']]);
    });

    test('"already so" is kept for the revert on a first attempt, and dropped after an earlier one, which may have acted', async () => {
      const first: ActionResult = await env(1).run(activities(directory(true), discardAudit).applyAction, input);
      assert.equal(first.ref?.unchanged, 'okta');
      const retried: ActionResult = await env(2).run(activities(directory(true), discardAudit).applyAction, input);
      assert.equal(retried.ref?.unchanged, undefined);
      const afterLocal: ActionResult = await env(1).run(activities(directory(true), discardAudit).applyAction, { ...input, earlierAttempt: true });
      assert.equal(afterLocal.ref?.unchanged, undefined);
    });
  });

  test('notifications are audited per route; an unconfigured route is recorded as skipped', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    const sent: IncidentNotification[] = [];
    const { notifyIncident } = createNotifyActivities({ notifiers: [{ name: 'webhook', send: async (n) => { sent.push(n); } }], audit: sink });
    const notification: IncidentNotification = {
      incidentId: 'brute-force:203.0.113.50', playbook: 'brute-force', title: 't', entity: '203.0.113.50', alertCount: 3, severity: 6, mode: 'approve', status: 'contained', action: 'Blocked 203.0.113.50', links: {},
    };
    const env = (activityId: string) => mock({ ...identity, workflowExecution: { workflowId: 'brute-force:203.0.113.50', runId: 'r' }, activityId, activityType: 'notifyIncident' });
    assert.equal(await env('7').run(notifyIncident, { route: 'webhook', notification, audit: context }), 'sent');
    assert.equal(await env('8').run(notifyIncident, { route: 'slack', notification }), 'not_configured');
    await sink.close();
    const written = await lines(path);
    assert.deepEqual(written.map((r) => [r.route, r.phase, r.result ?? null]), [['webhook', 'before', null], ['webhook', 'after', 'success'], ['slack', 'before', null], ['slack', 'after', 'skipped']]);
    assert.deepEqual(written[1]!.parameters, { status: 'contained', mode: 'approve', message: 'Blocked 203.0.113.50' });
    assert.equal(written[3]!.trigger.incidentId, 'brute-force:203.0.113.50', 'the incident is named even without an audit context');
    assert.equal(sent.length, 1);
  });
});
