import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { blockShardOf, blockShardWorkflowId } from '../../workflows/ids.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testKey, testPolicy, uniqueAddress } from '../support/temporal.ts';

describe('ingest API with the worker and the dev server', () => {
  const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', reviewWindow: '1m' } } });
  // Alerts sent through this API start incidents whose blocks need two people's approval.
  const twoPerson = testPolicy({ approvals: { block: 2 }, playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', reviewWindow: '1m', notify: [] } } });
  const reviewer = testKey('reviewer', 'responder');
  let riposte: TestRiposte;
  let api: TestApi;
  let twoPersonApi: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy, { feedToken: 'feed-token-for-the-firewall-0123', keys: [reviewer.spec] });
    twoPersonApi = await startApi(riposte, twoPerson);
  });
  after(async () => {
    await api?.close();
    await twoPersonApi?.close();
    await riposte?.stop();
  });

  const workflowsFor = async (address: string) => (await riposte.client.workflow.count(`WorkflowId = "brute-force:${address}"`)).count;

  test('the Humio webhook → approve → feed → unblock path', async () => {
    const ip = uniqueAddress();
    const posted = await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 });
    assert.equal(posted.status, 202);
    assert.deepEqual(posted.json, { accepted: 1, unmatched: 0, incidents: [{ id: `brute-force:${ip}`, playbook: 'brute-force', deduplicated: false }] });

    const again = await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip: ip.toUpperCase(), count: 3 });
    assert.equal(again.json.incidents[0].deduplicated, true, 'a second alert joins the open incident');

    const incident = await eventually('awaiting approval', async () => {
      const r = await api.call('GET', `/v1/incidents/brute-force:${ip}`);
      return r.json?.status === 'awaiting_approval' && r.json.alertCount === 15 ? r.json : undefined;
    });
    assert.equal(incident.policyVersion, policy.version);
    assert.ok(incident.timeline.length > 0);

    const approved = await api.call('POST', `/v1/incidents/brute-force:${ip}/approve`, { comment: 'confirmed' });
    assert.equal(approved.status, 202);
    const state = await eventually('contained', async () => {
      const r = await api.call('GET', `/v1/incidents/brute-force:${ip}`);
      return r.json?.status === 'contained' ? r.json : undefined;
    });
    assert.match(state.approval.by, /^api-key:/, 'the approver is the authenticated key, not the request body');

    const second = await api.call('POST', `/v1/incidents/brute-force:${ip}/approve`, {});
    assert.equal(second.status, 409);

    const feed = await eventually('the address in the feed', async () => {
      const r = await api.call('GET', '/v1/feeds/blocklist.txt?token=feed-token-for-the-firewall-0123', undefined, {});
      return r.text.split('\n').includes(ip) ? r : undefined;
    });
    assert.equal(feed.headers.get('content-type'), 'text/plain; charset=utf-8');
    const etag = feed.headers.get('etag')!;
    const unchanged = await api.call('GET', '/v1/feeds/blocklist.txt', undefined, { 'x-api-key': 'test-key-0123456789abcdefghijklmnop', 'if-none-match': etag });
    assert.equal(unchanged.status, 304);

    const blocks = await eventually('the block listed', async () => {
      const r = await api.call('GET', '/v1/blocks');
      return r.json.blocks.some((b: { address: string; state: string }) => b.address === ip && b.state === 'active') ? r.json.blocks : undefined;
    });
    const listed = blocks.find((b: { address: string }) => b.address === ip);
    assert.ok(Date.parse(listed.expiresAt) > Date.now());
    const shard = blockShardWorkflowId(riposte.taskQueue, blockShardOf(ip));
    assert.equal(listed.workflowId, shard);
    const shown = await api.call('GET', `/v1/blocks/${ip.toUpperCase()}`);
    assert.equal(shown.status, 200, shown.text);
    assert.deepEqual([shown.json.address, shown.json.workflowId, shown.json.state, shown.json.expiresAt, shown.json.points.edl.state], [ip, shard, 'active', listed.expiresAt, 'applied']);
    assert.deepEqual(shown.json.leases.map((l: { requester: string; incident: boolean }) => [l.requester, l.incident]), [[`brute-force:${ip}`, true]], 'held by the incident');

    const removed = await api.call('DELETE', `/v1/blocks/${ip}`);
    assert.equal(removed.status, 202);
    await eventually('the address gone from the feed', async () => {
      const r = await api.call('GET', '/v1/feeds/blocklist.txt');
      return r.text.split('\n').includes(ip) ? undefined : true;
    });
    assert.equal((await api.call('DELETE', `/v1/blocks/${ip}`)).status, 404);
    await eventually('the block gone from its shard', async () => ((await api.call('GET', `/v1/blocks/${ip}`)).status === 404 ? true : undefined));
    assert.ok(!(await api.call('GET', '/v1/blocks')).json.blocks.some((b: { address: string }) => b.address === ip), 'no longer listed');
  });

  test('the two-person rule: the answer counts approvals, and a second approval by the same principal gets 409', async () => {
    const ip = uniqueAddress();
    assert.equal((await twoPersonApi.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 })).status, 202);
    const id = `brute-force:${ip}`;
    const state = (check: (s: any) => boolean, what: string) => eventually(what, async () => {
      const r = await api.call('GET', `/v1/incidents/${id}`);
      return r.json && check(r.json) ? r.json : undefined;
    });
    assert.equal((await state((s) => s.status === 'awaiting_approval', 'awaiting approval')).approvalsNeeded, 2);

    const first = await api.call('POST', `/v1/incidents/${id}/approve`, { comment: 'one' });
    assert.deepEqual([first.status, first.json.approvals], [202, { given: 1, needed: 2 }]);
    await state((s) => s.approvals?.length === 1, 'the first approval recorded');
    const again = await api.call('POST', `/v1/incidents/${id}/approve`, { comment: 'me again' });
    assert.deepEqual([again.status, again.json.error, again.json.message], [409, 'conflict', `${first.json.by} has already approved; another person must give the next approval`]);

    const second = await api.call('POST', `/v1/incidents/${id}/approve`, {}, reviewer.auth);
    assert.deepEqual([second.status, second.json.by, second.json.approvals], [202, 'reviewer', { given: 2, needed: 2 }]);
    const contained = await state((s) => s.status === 'contained', 'contained');
    assert.deepEqual(contained.approvals.map((a: { by: string }) => a.by), [first.json.by, 'reviewer']);
    assert.ok(!contained.timeline.some((e: { event: string }) => e.event === 'approve_ignored'), 'the refused approval never reached the workflow');
    await api.call('DELETE', `/v1/blocks/${ip}`);
  });

  test('unauthenticated requests get 401 and start nothing', async () => {
    const ip = uniqueAddress();
    const headerSets: Record<string, string>[] = [{}, { authorization: 'Bearer wrong-key-wrong-key-wrong-key' }, { 'x-api-key': '' }];
    for (const headers of headerSets) {
      const r = await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip }, headers);
      assert.equal(r.status, 401);
      assert.equal(r.json.error, 'unauthorized');
    }
    assert.equal((await api.call('GET', '/v1/feeds/blocklist.txt?token=nope', undefined, {})).status, 401);
    assert.equal((await api.call('GET', '/v1/incidents', undefined, {})).status, 401);
    assert.equal(await workflowsFor(ip), 0);
  });

  test('malformed requests get 400 with the field path and start nothing', async () => {
    const ip = uniqueAddress();
    const cases: [unknown, string][] = [
      [{ hostname: 'dc01', ip: '010.0.0.1' }, 'ip'],
      [{ hostname: 'dc01' }, 'ip'],
      [[{ hostname: 'dc01', ip }, { hostname: 'dc01', ip: '2130706433' }], '[1].ip'],
      ['{"hostname": "dc01", "ip": ', '(body)'],
    ];
    for (const [body, path] of cases) {
      const r = await api.call('POST', '/v1/alerts/humio', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.json.error, 'validation_failed');
      assert.ok(r.json.issues.some((i: { path: string }) => i.path === path), `${JSON.stringify(r.json.issues)} names ${path}`);
      assert.doesNotMatch(r.text, /at .*\.ts:\d+/, 'no stack trace');
    }
    assert.equal(await workflowsFor(ip), 0, 'a batch with one bad alert starts nothing');
  });

  test('an oversized body gets 413, an unknown source 404, and neither starts anything', async () => {
    const ip = uniqueAddress();
    const big = await api.call('POST', '/v1/alerts/humio', { hostname: 'x'.repeat(100 * 1024), ip });
    assert.equal(big.status, 413);
    assert.equal(big.json.error, 'payload_too_large');
    const unknown = await api.call('POST', '/v1/alerts/constructor', { hostname: 'dc01', ip });
    assert.equal(unknown.status, 404);
    assert.equal(await workflowsFor(ip), 0);
  });

  test('incident routes refuse ids that are not incidents', async () => {
    for (const id of ['block:203.0.113.9', blockShardWorkflowId(riposte.taskQueue, 0), 'brute-force:010.0.0.1', 'riposte-control']) {
      const r = await api.call('POST', `/v1/incidents/${encodeURIComponent(id)}/approve`, {});
      assert.equal(r.status, 404, id);
    }
    assert.equal((await api.call('GET', `/v1/incidents/brute-force:${uniqueAddress()}`)).status, 404);
  });

  test('health and readiness', async () => {
    assert.equal((await api.call('GET', '/healthz', undefined, {})).status, 200);
    const ready = await api.call('GET', '/readyz', undefined, {});
    assert.deepEqual([ready.status, ready.json.temporal], [200, 'ok']);
  });
});

test('with Temporal unreachable, ingest answers 503 with Retry-After so the SIEM retries', async () => {
  const connection = Connection.lazy({ address: '127.0.0.1:9', connectTimeout: 500 });
  const client = new Client({ connection });
  const policy = testPolicy();
  const api = await startApi({ client, taskQueue: 'nowhere', edl: new EdlFile('/nonexistent/edl.json') } as TestRiposte, policy);
  try {
    const r = await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip: '203.0.113.250' });
    assert.equal(r.status, 503);
    assert.equal(r.json.error, 'temporal_unavailable');
    assert.equal(r.headers.get('retry-after'), '5');
    assert.equal((await api.call('GET', '/readyz', undefined, {})).status, 503);
  } finally {
    await api.close();
    await connection.close();
  }
});
