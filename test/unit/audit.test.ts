import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { type AuditRecord, type AuditSink, createJsonlAuditReader, discardAudit, JsonlAuditSink, openJsonlAuditSink, recordId } from '../../activities/audit/index.ts';
import { createActionActivities } from '../../activities/actions.ts';
import { createEnforcementActivities } from '../../activities/enforce/index.ts';
import type { UserDirectory } from '../../activities/users/userDirectory.ts';
import type { ActionPorts, ActionResult, IncidentBrief } from '../../domain/actions/action.ts';
import { guardOf } from '../../domain/actions/guard.ts';
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
});

describe('audited activities', () => {
  const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };
  const mock = (info: ConstructorParameters<typeof MockActivityEnvironment>[0]) => new MockActivityEnvironment(info, { logger: quiet });
  const identity = { workflowExecution: { workflowId: 'block:203.0.113.50', runId: 'run-1' }, activityId: '3', activityType: 'applyBlock', namespace: 'default', workflowNamespace: 'default' };
  const context = { incidentId: 'brute-force:203.0.113.50', alertIds: ['evt-1', 'evt-2'], blockWorkflowId: 'block:203.0.113.50', policyVersion: 'pv-1', actor: 'alice', reason: 'brute force' };

  function recordingPoint(name: string, fail?: Error): EnforcementPoint & { applied: BlockTarget[] } {
    const applied: BlockTarget[] = [];
    return {
      name,
      applied,
      apply: async (target) => {
        if (fail) throw fail;
        applied.push(target);
      },
      remove: async () => undefined,
      list: async () => applied,
    };
  }

  test('the same attempt delivered twice writes its records once; the next attempt writes its own', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    const point = recordingPoint('edl');
    const { applyBlock } = createEnforcementActivities({ points: [point], allowlist: [], assertContainmentAllowed: async () => undefined, audit: sink });
    const input = { point: 'edl', address: '203.0.113.50', expiresAt: Date.parse('2030-01-01T00:00:00Z'), audit: context };

    await mock({ ...identity, attempt: 1 }).run(applyBlock, input);
    await mock({ ...identity, attempt: 1 }).run(applyBlock, input);
    await mock({ ...identity, attempt: 2 }).run(applyBlock, input);
    await sink.close();

    assert.equal(point.applied.length, 3, 'the enforcement call itself is idempotent and runs each time');
    const written = await lines(path);
    assert.deepEqual(written.map((r) => [r.activity?.attempt, r.phase]), [[1, 'before'], [1, 'after'], [2, 'before'], [2, 'after']]);
    assert.equal(new Set(written.map((r) => r.id)).size, 4);
    const activity = { namespace: 'default', workflowId: 'block:203.0.113.50', runId: 'run-1', activityId: '3', activityType: 'applyBlock', attempt: 1 };
    assert.equal(written[0]!.id, recordId(activity, 'before'));
    assert.deepEqual(written[1], {
      id: recordId(activity, 'after'),
      at: written[1]!.at,
      phase: 'after',
      action: 'block.apply',
      point: 'edl',
      target: '203.0.113.50',
      parameters: { expiresAt: '2030-01-01T00:00:00.000Z' },
      trigger: { incidentId: context.incidentId, alertIds: context.alertIds, blockWorkflowId: context.blockWorkflowId, reason: 'brute force' },
      actor: { kind: 'principal', name: 'alice' },
      policyVersion: 'pv-1',
      activity,
      result: 'success',
      durationMs: written[1]!.durationMs,
    });
  });

  test('a refused or failing call gets a failure record with its error, and the error is rethrown', async () => {
    const path = fresh();
    const sink = await JsonlAuditSink.open(path);
    const { applyBlock, removeBlock } = createEnforcementActivities({
      points: [recordingPoint('edl', new Error('ENOSPC: no space left on device'))],
      allowlist: [],
      assertContainmentAllowed: async () => undefined,
      audit: sink,
    });
    const env = mock({ ...identity, attempt: 1 });
    await assert.rejects(env.run(applyBlock, { point: 'edl', address: '203.0.113.50', expiresAt: Date.now() + 60_000, audit: context }), /ENOSPC/);
    await assert.rejects(mock({ ...identity, activityId: '4' }).run(applyBlock, { point: 'nftables', address: '203.0.113.50', expiresAt: Date.now() + 60_000 }), /not configured on this worker/);
    await mock({ ...identity, activityId: '5' }).run(removeBlock, { point: 'edl', address: '203.0.113.50', audit: { ...context, actor: 'bob', reason: 'unblocked' } });
    await sink.close();
    const after = (await lines(path)).filter((r) => r.phase === 'after');
    assert.deepEqual(after.map((r) => [r.action, r.point, r.result, r.error, r.actor.name]), [
      ['block.apply', 'edl', 'failure', 'ENOSPC: no space left on device', 'alice'],
      ['block.apply', 'nftables', 'failure', 'enforcement point nftables is not configured on this worker', 'automation'],
      ['block.remove', 'edl', 'success', undefined, 'bob'],
    ]);
  });

  test('when the before-record cannot be stored, nothing is attempted and the activity fails retryably', async () => {
    const point = recordingPoint('edl');
    const broken: AuditSink = { append: async () => { throw new Error('EROFS: read-only file system'); }, close: async () => undefined };
    const { applyBlock } = createEnforcementActivities({ points: [point], allowlist: [], assertContainmentAllowed: async () => undefined, audit: broken });
    await assert.rejects(
      mock(identity).run(applyBlock, { point: 'edl', address: '203.0.113.50', expiresAt: Date.now() + 60_000 }),
      (err: Error & { type?: string; nonRetryable?: boolean }) => err.type === 'AuditUnavailable' && err.nonRetryable === false && /not attempted: EROFS/.test(err.message),
    );
    assert.equal(point.applied.length, 0);
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
