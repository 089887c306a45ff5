import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { createApp } from '../../api/app.ts';
import { signedHeader } from '../../api/signature.ts';
import { startApi, startRiposte, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const SECRET = 'siem-webhook-secret-0123456789abcdef';
const ROTATED = 'siem-webhook-secret-the-old-one-0123';
const OTHER = 'another-webhook-secret-0123456789abc';
const now = () => Math.floor(Date.now() / 1000);

describe('signed webhooks (X-Riposte-Signature)', () => {
  const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', approvalTimeout: '1h', notify: [] } } });
  let riposte: TestRiposte;
  let api: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy, {
      maxBodyBytes: 16 * 1024,
      webhookSecrets: [{ name: 'siem', secret: SECRET }, { name: 'siem', secret: ROTATED }, { name: 'other', secret: OTHER }],
    });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
  });

  const alert = (ip: string) => JSON.stringify({ hostname: 'dc01', ip, count: 12 });
  const post = (body: string, signature: string, contentType = 'application/json') =>
    api.call('POST', '/v1/alerts/humio', body, { 'x-riposte-signature': signature, 'content-type': contentType });
  async function started(ip: string): Promise<boolean> {
    try {
      await riposte.client.workflow.getHandle(`brute-force:${ip}`).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }
  function assertUnauthorized(r: Awaited<ReturnType<TestApi['call']>>, message: RegExp, what = '') {
    assert.equal(r.status, 401, `${what} ${r.text}`);
    assert.equal(r.json.error, 'unauthorized', what);
    assert.match(r.json.message, message, what);
  }

  test('a valid signature over the raw body is accepted as webhook:<name>, with role ingest', async () => {
    const ip = uniqueAddress();
    // Odd spacing: the signature covers these exact bytes, not a re-serialization of the parsed JSON.
    const body = `{ "hostname":"dc01",   "ip": "${ip}", "count": 12 }`;
    const r = await post(body, signedHeader(SECRET, body));
    assert.equal(r.status, 202, r.text);
    assert.equal(await started(ip), true);
    const rotated = uniqueAddress();
    assert.equal((await post(alert(rotated), signedHeader(ROTATED, alert(rotated)))).status, 202, 'either secret of a name being rotated');
    const refused = await api.call('GET', '/v1/incidents', undefined, { 'x-riposte-signature': signedHeader(SECRET, '') });
    assert.deepEqual([refused.status, refused.json.error], [403, 'forbidden'], 'signed requests reach the ingest routes only');
  });

  test('forged, wrong-secret, expired, future and malformed signatures get 401 and start nothing', async () => {
    const ip = uniqueAddress();
    const body = alert(ip);
    const t = now();
    const cases: [string, string, RegExp][] = [
      ['forged', `t=${t},v1=${randomBytes(32).toString('hex')}`, /does not match/],
      ['wrong secret', signedHeader('not-the-secret-0123456789abcdefgh', body, t), /does not match/],
      ['signed with t, sent with another t', signedHeader(SECRET, body, t).replace(`t=${t}`, `t=${t - 1}`), /does not match/],
      ['expired: 6 minutes old', signedHeader(SECRET, body, t - 360), /expired/],
      ['future: 6 minutes ahead', signedHeader(SECRET, body, t + 360), /future/],
      ['no v1', `t=${t}`, /malformed/],
      ['no t', `v1=${signedHeader(SECRET, body, t).split('v1=')[1]}`, /malformed/],
      ['short hex', `t=${t},v1=abcd`, /malformed/],
      ['garbage', 'sha256=deadbeef', /malformed/],
    ];
    for (const [what, header, message] of cases) assertUnauthorized(await post(body, header), message, what);
    assert.equal(await started(ip), false);
  });

  test('a signature inside the window but near its edge is still accepted', async () => {
    const ip = uniqueAddress();
    assert.equal((await post(alert(ip), signedHeader(SECRET, alert(ip), now() - 280))).status, 202);
    const ahead = uniqueAddress();
    assert.equal((await post(alert(ahead), signedHeader(SECRET, alert(ahead), now() + 280))).status, 202);
  });

  test('a replayed signature gets 401', async () => {
    const ip = uniqueAddress();
    const body = alert(ip);
    const header = signedHeader(SECRET, body);
    assert.equal((await post(body, header)).status, 202);
    assertUnauthorized(await post(body, header), /already used/);
    const concurrent = uniqueAddress();
    const twin = signedHeader(SECRET, alert(concurrent));
    const statuses = (await Promise.all([post(alert(concurrent), twin), post(alert(concurrent), twin)])).map((r) => r.status).sort();
    assert.deepEqual(statuses, [202, 401], 'of two identical requests racing, one gets in');
  });

  test('a tampered body gets 401 and starts nothing, whatever its Content-Type', async () => {
    const signedFor = uniqueAddress();
    const sentFor = uniqueAddress();
    const header = signedHeader(SECRET, alert(signedFor));
    for (const contentType of ['application/json', 'text/plain', 'application/octet-stream']) {
      assertUnauthorized(await post(alert(sentFor), header, contentType), /does not match/);
    }
    assertUnauthorized(await post(`${alert(signedFor)} `, header), /does not match/);
    assert.equal(await started(sentFor), false);
    assert.equal(await started(signedFor), false);
    // Every signed body is read and verified, not only JSON-typed ones.
    const plain = uniqueAddress();
    assert.equal((await post(alert(plain), signedHeader(SECRET, alert(plain)), 'text/plain')).status, 202);
  });

  test('an empty signed body is verified too, and an oversized one gets 413', async () => {
    const empty = await api.call('POST', '/v1/alerts/humio', undefined, { 'x-riposte-signature': `t=${now()},v1=${randomBytes(32).toString('hex')}` });
    assertUnauthorized(empty, /does not match/);
    const validEmpty = await api.call('POST', '/v1/alerts/humio', undefined, { 'x-riposte-signature': signedHeader(SECRET, '') });
    assert.equal(validEmpty.status, 400, 'verified, then refused as no alert');
    const big = JSON.stringify({ hostname: 'x'.repeat(20 * 1024), ip: uniqueAddress() });
    const r = await post(big, signedHeader(SECRET, big));
    assert.deepEqual([r.status, r.json.error], [413, 'payload_too_large']);
  });
});

test('a signed request that fails on the server (Temporal unreachable: 503) may be retried with the same signature', async () => {
  const unavailable = Object.assign(new Error('14 UNAVAILABLE: connection refused'), { code: 14 });
  const client = {
    options: { namespace: 'default', identity: 'test', loadedDataConverter: { payloadConverter: { toPayload: () => ({}) } } },
    withDeadline: (_deadline: number, fn: () => Promise<unknown>) => fn(),
    workflowService: { signalWithStartWorkflowExecution: () => Promise.reject(unavailable) },
  } as unknown as Client;
  const app = createApp({
    client,
    taskQueue: 'nowhere',
    apiKeys: [],
    webhookSecrets: [{ name: 'siem', secret: SECRET }],
    maxBodyBytes: 16 * 1024,
    coalesceWindowMs: 0,
    policy: () => testPolicy(),
    blocklist: { read: async () => [] },
    links: { consoleBase: 'http://riposte.test' },
    log: () => undefined,
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  try {
    const body = JSON.stringify({ hostname: 'dc01', ip: '203.0.113.251', count: 12 });
    const header = signedHeader(SECRET, body);
    const send = () => fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/alerts/humio`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-riposte-signature': header } });
    assert.equal((await send()).status, 503);
    assert.equal((await send()).status, 503, 'not 401: the failed attempt did not use up the signature');
  } finally {
    server.closeAllConnections();
    await new Promise((ok) => server.close(ok));
  }
});
