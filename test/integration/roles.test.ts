import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { type Role, ROLES } from '../../api/access.ts';
import { signedHeader } from '../../api/signature.ts';
import { blockShardOf, blockShardWorkflowId } from '../../workflows/ids.ts';
import { eventually, startApi, startRiposte, TEST_API_KEY, type TestApi, testKey, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

/**
 * Every route with every principal: the four roles, a signed webhook, and no credential. A refused request is refused
 * before any router or body parser, so it starts nothing and signals nothing; the allowed ones that would change
 * something are sent a malformed body, which shows the request got past the guard without touching Temporal.
 */
type Column = Role | 'webhook' | 'none';
const COLUMNS: readonly Column[] = [...ROLES, 'webhook', 'none'];
const WEBHOOK_SECRET = 'roles-test-webhook-secret-0123456789';

const keys = Object.fromEntries(ROLES.map((role) => [role, testKey(`${role}-key`, role)])) as Record<Role, ReturnType<typeof testKey>>;
const admin = { authorization: `Bearer ${TEST_API_KEY}` };

describe('roles: every route with every principal', () => {
  const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', approvalTimeout: '1h', blockDuration: '1h', reviewWindow: '5m', notify: [] } } });
  let riposte: TestRiposte;
  let api: TestApi;
  /** An incident awaiting approval, and an address blocked by an approved one. */
  let pending: string;
  let blocked: string;

  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy, { keys: Object.values(keys).map((k) => k.spec), webhookSecrets: [{ name: 'siem', secret: WEBHOOK_SECRET }] });
    pending = uniqueAddress();
    blocked = uniqueAddress();
    for (const ip of [pending, blocked]) assert.equal((await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 }, admin)).status, 202);
    for (const ip of [pending, blocked]) {
      await eventually(`${ip} awaiting approval`, async () => ((await api.call('GET', `/v1/incidents/brute-force:${ip}`)).json?.status === 'awaiting_approval' ? true : undefined));
    }
    assert.equal((await api.call('POST', `/v1/incidents/brute-force:${blocked}/approve`, {}, admin)).status, 202);
    await eventually('the block active', async () => ((await riposte.blocks.read(blocked))?.state === 'active' ? true : undefined));
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
  });

  /** Signals and updates a workflow has received, by name. */
  async function messagesTo(workflowId: string): Promise<string[]> {
    const history = await riposte.client.workflow.getHandle(workflowId).fetchHistory();
    return (history.events ?? []).flatMap((e) => [
      ...(e.workflowExecutionSignaledEventAttributes ? [e.workflowExecutionSignaledEventAttributes.signalName ?? ''] : []),
      ...(e.workflowExecutionUpdateAcceptedEventAttributes ? [`update:${e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequest?.input?.name ?? ''}`] : []),
    ]);
  }
  async function exists(workflowId: string): Promise<boolean> {
    try {
      await riposte.client.workflow.getHandle(workflowId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  test('each route admits exactly the roles the table gives it, and a refused request changes nothing', async () => {
    const refusedIp = uniqueAddress();
    const refusedBlockIp = uniqueAddress();
    const incident = `brute-force:${pending}`;
    const malformed = '{';
    interface Row {
      method: string;
      path: string;
      needs: Role | 'feed' | 'public';
      /** What a refused caller sends: a real request, which must have no effect. */
      refusedBody?: unknown;
      /** What an allowed caller sends, and the status that shows it reached the route. */
      allowedBody?: () => unknown;
      allowed: number[];
    }
    const humio = () => ({ hostname: 'dc01', ip: uniqueAddress(), count: 1 });
    const rows: Row[] = [
      { method: 'GET', path: '/healthz', needs: 'public', allowed: [200] },
      { method: 'GET', path: '/v1/feeds/blocklist.txt', needs: 'feed', allowed: [200] },
      { method: 'POST', path: '/v1/alerts', needs: 'ingest', refusedBody: { id: 'r1', source: 'generic', type: 'auth.failure', sourceIp: refusedIp, count: 50 }, allowedBody: () => ({ id: 'info', source: 'generic', type: 'host.info' }), allowed: [202] },
      { method: 'POST', path: '/v1/alerts/humio', needs: 'ingest', refusedBody: { hostname: 'dc01', ip: refusedIp, count: 50 }, allowedBody: humio, allowed: [202] },
      // Humio has no verification request: the route's own 404 shows the request got past the guard.
      { method: 'GET', path: '/v1/alerts/humio', needs: 'ingest', allowed: [404] },
      { method: 'GET', path: '/v1/incidents', needs: 'viewer', allowed: [200] },
      { method: 'GET', path: `/v1/incidents/${incident}`, needs: 'viewer', allowed: [200] },
      { method: 'POST', path: `/v1/incidents/${incident}/approve`, needs: 'responder', refusedBody: { comment: 'refused' }, allowedBody: () => malformed, allowed: [400] },
      { method: 'POST', path: `/v1/incidents/${incident}/reject`, needs: 'responder', refusedBody: { reason: 'refused' }, allowedBody: () => malformed, allowed: [400] },
      { method: 'POST', path: `/v1/incidents/${incident}/pause`, needs: 'responder', refusedBody: { reason: 'refused' }, allowedBody: () => malformed, allowed: [400] },
      { method: 'POST', path: `/v1/incidents/${incident}/resume`, needs: 'responder', refusedBody: {}, allowedBody: () => malformed, allowed: [400] },
      { method: 'POST', path: `/v1/incidents/${incident}/verdict`, needs: 'responder', refusedBody: { verdict: 'false_positive' }, allowedBody: () => malformed, allowed: [400] },
      { method: 'GET', path: '/v1/verdicts', needs: 'viewer', allowed: [200] },
      { method: 'GET', path: '/v1/blocks', needs: 'viewer', allowed: [200] },
      { method: 'GET', path: `/v1/blocks/${blocked}`, needs: 'viewer', allowed: [200, 404] },
      { method: 'POST', path: '/v1/blocks', needs: 'responder', refusedBody: { ip: refusedBlockIp, duration: '1h', reason: 'refused' }, allowedBody: () => malformed, allowed: [400] },
      { method: 'DELETE', path: `/v1/blocks/${blocked}`, needs: 'responder', refusedBody: { reason: 'refused' }, allowedBody: () => malformed, allowed: [400] },
      // An invalid query: the route's own 400 shows the request got past the guard, whether or not an audit trail is wired.
      { method: 'GET', path: '/v1/audit?since=not-a-time', needs: 'viewer', allowed: [400] },
      { method: 'GET', path: '/v1/control', needs: 'viewer', allowed: [200] },
      { method: 'GET', path: '/v1/exceptions', needs: 'viewer', allowed: [200] },
      { method: 'POST', path: '/v1/exceptions', needs: 'responder', refusedBody: { kind: 'address', value: blocked, reason: 'refused', for: '1h' }, allowedBody: () => malformed, allowed: [400] },
      { method: 'DELETE', path: '/v1/exceptions/00000000-0000-4000-8000-000000000000', needs: 'responder', allowedBody: () => malformed, allowed: [400] },
      { method: 'GET', path: `/v1/explain/${encodeURIComponent(pending)}`, needs: 'viewer', allowed: [200] },
      { method: 'POST', path: '/v1/control/pause', needs: 'admin', refusedBody: { reason: 'refused' }, allowedBody: () => malformed, allowed: [400] },
      { method: 'POST', path: '/v1/control/resume', needs: 'admin', refusedBody: {}, allowedBody: () => malformed, allowed: [400] },
      { method: 'POST', path: '/v1/control/breaker/reset', needs: 'admin', refusedBody: {}, allowedBody: () => malformed, allowed: [400] },
    ];

    const grants: Record<Column, readonly (Role | 'feed' | 'public')[]> = {
      ingest: ['public', 'feed', 'ingest'],
      viewer: ['public', 'feed', 'viewer'],
      responder: ['public', 'feed', 'viewer', 'responder'],
      admin: ['public', 'feed', 'ingest', 'viewer', 'responder', 'admin'],
      webhook: ['public', 'ingest'],
      none: ['public'],
    };
    const cells = rows.flatMap((row) => COLUMNS.map((column) => ({ row, column, allowed: grants[column].includes(row.needs) })));

    function send(row: Row, column: Column, body: unknown) {
      const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
      const headers: Record<string, string> =
        column === 'none' ? {}
          : column === 'webhook' ? { 'x-riposte-signature': signedHeader(WEBHOOK_SECRET, text) }
            : keys[column].auth;
      return api.call(row.method, row.path, body === undefined ? undefined : text, headers);
    }

    const historyBefore = await messagesTo(incident);
    // The shard that holds the block: a lift or a request would reach it as an update or a signal.
    const shard = blockShardWorkflowId(riposte.taskQueue, blockShardOf(blocked));
    assert.equal((await riposte.blocks.read(blocked))?.workflowId, shard);
    const blockBefore = await messagesTo(shard);
    const heldBefore = await riposte.blocks.read(blocked);

    // Refused first, so the checks below see nothing any allowed request did.
    for (const { row, column } of cells.filter((c) => !c.allowed)) {
      const r = await send(row, column, row.refusedBody);
      const what = `${column} ${row.method} ${row.path}`;
      if (column === 'none') {
        assert.equal(r.status, 401, what);
        assert.equal(r.json.error, 'unauthorized', what);
      } else {
        assert.equal(r.status, 403, `${what}: ${r.text}`);
        assert.equal(r.json.error, 'forbidden', what);
        assert.match(r.json.message, row.needs === 'feed' ? /needs the feed token or an API key/ : new RegExp(`needs role ${row.needs}\\b`), what);
      }
    }
    assert.deepEqual(await messagesTo(incident), historyBefore, 'no refused request signalled the incident');
    assert.deepEqual(await messagesTo(shard), blockBefore, 'no refused request signalled the block\'s shard');
    const held = await riposte.blocks.read(blocked);
    assert.equal(held?.state, 'active', 'the block still holds');
    assert.deepEqual([held.expiresAt, held.requests, held.leases], [heldBefore!.expiresAt, heldBefore!.requests, heldBefore!.leases], 'and is as it was');
    assert.equal(await exists(`brute-force:${refusedIp}`), false, 'no refused alert started an incident');
    assert.equal(await riposte.blocks.read(refusedBlockIp), null, 'no refused manual block requested');
    assert.deepEqual((await api.call('GET', '/v1/exceptions')).json.exceptions, [], 'no refused exception added');
    assert.equal((await api.call('GET', `/v1/incidents/${incident}`)).json.status, 'awaiting_approval');

    for (const { row, column } of cells.filter((c) => c.allowed)) {
      const r = await send(row, column, row.allowedBody?.());
      assert.ok(row.allowed.includes(r.status), `${column} ${row.method} ${row.path}: ${r.status} ${r.text}`);
    }
    assert.deepEqual(await messagesTo(incident), historyBefore, 'the allowed requests were sent nothing the routes act on');
    assert.equal(cells.length, rows.length * COLUMNS.length);
  });

  test('a key as the HTTP Basic password counts as any key; a key in the URL is taken from an ingest key sending alerts only', async () => {
    const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`splunk:${key}`).toString('base64')}` });
    const alert = () => ({ hostname: 'dc01', ip: uniqueAddress(), count: 1 });
    assert.equal((await api.call('POST', '/v1/alerts/humio', alert(), basic(keys.ingest.key))).status, 202);
    assert.equal((await api.call('GET', '/v1/control', undefined, basic(keys.viewer.key))).status, 200);
    assert.equal((await api.call('POST', '/v1/alerts/humio', alert(), basic('not-a-key'))).status, 401);

    assert.equal((await api.call('POST', `/v1/alerts/humio?key=${encodeURIComponent(keys.ingest.key)}`, alert(), {})).status, 202);
    const refusedIp = uniqueAddress();
    for (const [role, path, body] of [['admin', '/v1/alerts/humio', { hostname: 'dc01', ip: refusedIp, count: 1 }], ['viewer', '/v1/control', undefined], ['ingest', '/v1/control', undefined]] as const) {
      const r = await api.call(body ? 'POST' : 'GET', `${path}?key=${encodeURIComponent(keys[role].key)}`, body, {});
      assert.equal(r.status, 403, `${role} ${path}`);
      assert.match(r.json.message, /a key in the URL \(\?key=\) is accepted only from a key with role ingest sending alerts/);
    }
    assert.equal(await exists(`brute-force:${refusedIp}`), false, 'an admin key in the URL started nothing');
  });

  test('an ingest key cannot approve; a responder can, and is recorded by its configured name', async () => {
    const ip = uniqueAddress();
    assert.equal((await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 }, keys.ingest.auth)).status, 202);
    const id = `brute-force:${ip}`;
    await eventually('awaiting approval', async () => ((await api.call('GET', `/v1/incidents/${id}`, undefined, keys.viewer.auth)).json?.status === 'awaiting_approval' ? true : undefined));

    for (const role of ['ingest', 'viewer'] as const) {
      const refused = await api.call('POST', `/v1/incidents/${id}/approve`, { comment: 'by the body' }, keys[role].auth);
      assert.equal(refused.status, 403);
      assert.equal(refused.json.message, `POST /v1/incidents/:id/approve needs role responder (or admin); this key (${role}-key) has role ${role}`);
    }
    assert.deepEqual((await messagesTo(id)).filter((m) => m !== 'alerts'), []);

    const approved = await api.call('POST', `/v1/incidents/${id}/approve`, { comment: 'confirmed' }, keys.responder.auth);
    assert.deepEqual([approved.status, approved.json.by], [202, 'responder-key']);
    const state = await eventually('contained', async () => {
      const r = await api.call('GET', `/v1/incidents/${id}`, undefined, keys.viewer.auth);
      return r.json?.status === 'contained' ? r.json : undefined;
    });
    assert.equal(state.approval.by, 'responder-key', 'the approver is the key that authenticated, never the body');
  });

  test("the Slack route asks for Slack's signature, not a role: every principal reaches it, and none is a credential for it", async () => {
    const incident = `brute-force:${pending}`;
    const historyBefore = await messagesTo(incident);
    const body = new URLSearchParams({ payload: JSON.stringify({ type: 'block_actions', user: { id: 'U0ROLES001' }, actions: [{ action_id: 'riposte_approve', value: incident }], response_url: 'https://hooks.slack.com/actions/x' }) }).toString();
    for (const column of COLUMNS) {
      const headers: Record<string, string> = {
        'content-type': 'application/x-www-form-urlencoded',
        ...(column === 'none' ? {} : column === 'webhook' ? { 'x-riposte-signature': signedHeader(WEBHOOK_SECRET, body) } : keys[column].auth),
      };
      const r = await api.call('POST', '/v1/slack/actions', body, headers);
      // This app has no Slack signing secret: the route's own answer shows the guard let the request through.
      assert.deepEqual([r.status, r.json?.error], [503, 'slack_not_configured'], column);
    }
    assert.deepEqual(await messagesTo(incident), historyBefore, 'no API key or webhook signature approved anything');
  });

  test('a responder cannot flip the kill switch', async () => {
    const r = await api.call('POST', '/v1/control/pause', { reason: 'not mine to pull' }, keys.responder.auth);
    assert.equal(r.status, 403);
    assert.match(r.json.message, /needs role admin; this key \(responder-key\) has role responder/);
    assert.equal((await api.call('GET', '/v1/control', undefined, keys.responder.auth)).json.paused, false);
  });

  test('route spellings Express would accept get the same rule: case, trailing slash, HEAD, unlisted routes', async () => {
    const id = `brute-force:${pending}`;
    for (const path of [`/V1/INCIDENTS/${id}/APPROVE`, `/v1/incidents/${id}/approve/`]) {
      assert.equal((await api.call('POST', path, {}, keys.viewer.auth)).status, 403, path);
      // The responder passes (and the malformed body stops it): the spelling met the approve rule, not a stricter one.
      assert.equal((await api.call('POST', path, '{', keys.responder.auth)).status, 400, path);
    }
    assert.equal((await api.call('HEAD', '/v1/incidents', undefined, keys.viewer.auth)).status, 200);
    assert.equal((await api.call('HEAD', '/v1/incidents', undefined, keys.ingest.auth)).status, 403);
    const unlisted = await api.call('GET', '/v1/no-such-route', undefined, keys.responder.auth);
    assert.deepEqual([unlisted.status, unlisted.json.error], [403, 'forbidden'], 'a route missing from the table is admin-only');
    assert.equal((await api.call('GET', '/v1/no-such-route', undefined, keys.admin.auth)).status, 404);
  });
});

describe('per-key source networks and rate limits', () => {
  const policy = testPolicy();
  let riposte: TestRiposte;
  let api: TestApi;
  let dualStack: TestApi;
  const local = testKey('local-only', 'viewer', { allowFrom: ['127.0.0.0/8'] });
  const remote = testKey('office-only', 'viewer', { allowFrom: ['192.0.2.0/24', '2001:db8:1::/48'] });
  const mapped = testKey('mapped-loopback', 'viewer', { allowFrom: ['::ffff:127.0.0.1/128'] });
  const v6 = testKey('v6-loopback', 'viewer', { allowFrom: ['::1'] });
  const limited = testKey('limited', 'viewer', { ratePerMinute: 60, burst: 2 });
  const other = testKey('unlimited', 'viewer');

  before(async () => {
    riposte = await startRiposte({ policy });
    const options = { keys: [local, remote, mapped, v6, limited, other].map((k) => k.spec) };
    api = await startApi(riposte, policy, options);
    // Listening on :: (dual stack), a connection to 127.0.0.1 arrives as ::ffff:127.0.0.1.
    dualStack = await startApi(riposte, policy, { ...options, host: '::' });
  });
  after(async () => {
    await api?.close();
    await dualStack?.close();
    await riposte?.stop();
  });

  test('a key used from outside its allowFrom networks gets 403 and reaches nothing', async () => {
    for (const server of [api, dualStack]) {
      assert.equal((await server.call('GET', '/v1/blocks', undefined, local.auth)).status, 200);
      assert.equal((await server.call('GET', '/v1/blocks', undefined, mapped.auth)).status, 200, 'IPv4-mapped entries and peers are folded to IPv4');
      for (const key of [remote, v6]) {
        const r = await server.call('GET', '/v1/blocks', undefined, key.auth);
        assert.equal(r.status, 403);
        assert.deepEqual([r.json.error, r.json.message], ['forbidden', 'this API key may not be used from 127.0.0.1']);
      }
      // The feed's any-key rule keeps the key's source restriction.
      assert.equal((await server.call('GET', '/v1/feeds/blocklist.txt', undefined, remote.auth)).status, 403);
    }
  });

  test('over its rate a key gets 429 with Retry-After, other keys are unaffected, and it recovers', async () => {
    assert.equal((await api.call('GET', '/v1/incidents', undefined, limited.auth)).status, 200);
    assert.equal((await api.call('GET', '/v1/incidents', undefined, limited.auth)).status, 200);
    const throttled = await api.call('GET', '/v1/incidents', undefined, limited.auth);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.json.error, 'rate_limited');
    assert.equal(throttled.headers.get('retry-after'), '1');
    assert.equal((await api.call('GET', '/v1/incidents', undefined, other.auth)).status, 200, 'buckets are per key');
    await new Promise((r) => setTimeout(r, 1100));
    // A route that asks Temporal nothing: on a loaded machine a visibility query can outlast the next token's second.
    assert.equal((await api.call('GET', '/v1/feeds/status', undefined, limited.auth)).status, 200, 'a token came back after Retry-After');
    assert.equal((await api.call('GET', '/v1/feeds/status', undefined, limited.auth)).status, 429);
  });
});
