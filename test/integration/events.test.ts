import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { createJsonlAuditReader, JsonlAuditSink } from '../../activities/audit/index.ts';
import { errorHandler } from '../../api/errors.ts';
import { eventsRouter } from '../../api/routes/events.ts';
import { openEventStream } from '../support/eventStream.ts';
import { eventually, serveApp, startApi, startRiposte, TEST_API_KEY, testKey, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '10m', reviewWindow: '1m', notify: [] } } });
const viewer = testKey('vera', 'viewer');
const admin = { authorization: `Bearer ${TEST_API_KEY}` };

describe('GET /v1/events: live incidents, actions and the kill switch', () => {
  let dir: string;
  let sink: JsonlAuditSink;
  let riposte: TestRiposte;
  let api: TestApi;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'riposte-events-'));
    sink = await JsonlAuditSink.open(join(dir, 'audit.jsonl'));
    riposte = await startRiposte({ policy, audit: sink });
    api = await startApi(riposte, policy, { keys: [viewer.spec], audit: createJsonlAuditReader(join(dir, 'audit.jsonl')) });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
    await sink?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('a new incident within 1 s of the 202, its status changes, then the block the approval made', async () => {
    const stream = await openEventStream(api.url, viewer.auth);
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
      assert.equal(stream.headers.get('cache-control'), 'no-cache');
      assert.equal(stream.headers.get('x-accel-buffering'), 'no');

      const ip = uniqueAddress();
      const id = `brute-force:${ip}`;
      const posted = await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 });
      const acceptedAt = performance.now();
      assert.equal(posted.status, 202);
      const appeared = await stream.next('the new incident', (e) => e.event === 'incident' && e.json.id === id);
      assert.ok(appeared.at - acceptedAt < 1_000, `the incident arrived ${Math.round(appeared.at - acceptedAt)} ms after the 202`);
      assert.deepEqual(Object.keys(appeared.json).sort(), ['entity', 'id', 'playbook', 'status', 'updatedAt']);
      assert.equal(appeared.json.playbook, 'brute-force');
      assert.equal(appeared.json.entity, ip);
      assert.ok(appeared.id, 'every event has an id');

      await stream.next('awaiting approval', (e) => e.event === 'incident' && e.json.id === id && e.json.status === 'awaiting_approval');
      assert.equal((await api.call('POST', `/v1/incidents/${id}/approve`, {})).status, 202);
      await stream.next('contained', (e) => e.event === 'incident' && e.json.id === id && e.json.status === 'contained');
      const action = await stream.next('the block applied', (e) => e.event === 'action' && e.json.incidentId === id && e.json.action === 'block.apply');
      assert.equal(action.json.outcome, 'success');
      assert.equal(action.json.target, ip);
      assert.equal(action.json.point, 'edl');
      assert.ok(!Number.isNaN(Date.parse(action.json.time)));

      const ids = stream.events.map((e) => Number(e.id));
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b), 'ids grow');
      assert.equal(new Set(ids).size, ids.length, 'ids are unique');
      await api.call('DELETE', `/v1/blocks/${ip}`, {});
    } finally {
      stream.close();
    }
  });

  test('an incident another API process started comes through Temporal\'s visibility, each status once', async () => {
    const other = await startApi(riposte, policy);
    const stream = await openEventStream(api.url, viewer.auth);
    try {
      const ip = uniqueAddress();
      const id = `brute-force:${ip}`;
      assert.equal((await other.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 })).status, 202);
      const waiting = await stream.next('awaiting approval', (e) => e.event === 'incident' && e.json.id === id && e.json.status === 'awaiting_approval');
      assert.equal(waiting.json.entity, ip);
      await new Promise((r) => setTimeout(r, 1_500));
      const statuses = stream.events.filter((e) => e.event === 'incident' && e.json.id === id).map((e) => e.json.status);
      assert.equal(new Set(statuses).size, statuses.length, `each status once: ${statuses}`);
    } finally {
      stream.close();
      await other.close();
    }
  });

  test('pausing and resuming the kill switch are control events', async () => {
    const stream = await openEventStream(api.url, viewer.auth);
    try {
      assert.equal((await api.call('POST', '/v1/control/pause', { reason: 'events test' }, { ...admin, 'content-type': 'application/json' })).status, 200);
      const paused = await stream.next('paused', (e) => e.event === 'control' && e.json.paused === true);
      assert.deepEqual(paused.json, { paused: true, breaker: { tripped: false, recentBlocks: paused.json.breaker.recentBlocks } });
      assert.equal((await api.call('POST', '/v1/control/resume', {}, { ...admin, 'content-type': 'application/json' })).status, 200);
      await stream.next('resumed', (e) => e.event === 'control' && e.json.paused === false);
    } finally {
      stream.close();
    }
  });

  test('no key: 401, and nothing streamed', async () => {
    const stream = await openEventStream(api.url, {});
    assert.equal(stream.status, 401);
    assert.equal(JSON.parse(stream.body!).error, 'unauthorized');
  });
});

describe('GET /v1/events: subscribers', () => {
  test('at most maxSubscribers per process (503 with Retry-After); a client that leaves frees its place and, the last, stops the polling', async (t) => {
    const riposte = await startRiposte({ policy });
    const router = eventsRouter({ client: riposte.client, taskQueue: riposte.taskQueue, maxSubscribers: 2 });
    const app = express();
    app.use(router);
    app.use(errorHandler(() => undefined));
    const api = await serveApp(app);
    t.after(async () => {
      await api.close();
      await riposte.stop();
    });

    const first = await openEventStream(api.url, {});
    const second = await openEventStream(api.url, {});
    assert.equal(router.hub.subscribers(), 2);
    const refused = await openEventStream(api.url, {});
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(JSON.parse(refused.body!).error, 'too_many_subscribers');

    first.close();
    await eventually('the first subscriber gone', () => (router.hub.subscribers() === 1 ? true : undefined));
    const third = await openEventStream(api.url, {});
    assert.equal(third.status, 200);
    second.close();
    third.close();
    await eventually('every subscriber gone', () => (router.hub.subscribers() === 0 ? true : undefined));
  });
});
