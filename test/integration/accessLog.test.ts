/**
 * The access log and the failed-authentication limit, on the real app over real HTTP: every request is one line,
 * refused ones included, with no key, token or query string in it; a source that keeps failing to authenticate is
 * answered 429 before any key is looked up.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import type { AccessLogLine } from '../../api/accessLog.ts';
import { type AppDeps, createApp } from '../../api/app.ts';
import { sha256Hex } from '../../api/auth.ts';
import { eventually, serveApp, suiteServer, TEST_API_KEY, testKey, type TestApi, testPolicy } from '../support/temporal.ts';

const FEED_TOKEN = 'feed-token-0123456789abcdefghijkl';
const BAD_KEY = 'not-a-key-0123456789abcdefghijklmnop';
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const ingest = testKey('splunk-prod', 'ingest');

let connection: Connection;
let client: Client;
let dir: string;
const servers: TestApi[] = [];

before(async () => {
  connection = await Connection.connect({ address: suiteServer().address });
  client = new Client({ connection });
  dir = await mkdtemp(join(tmpdir(), 'riposte-access-'));
});
after(async () => {
  for (const server of servers) await server.close();
  await connection?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The real app with its access log captured; requests come from 127.0.0.1. */
async function serve(extra: Partial<AppDeps> = {}): Promise<{ api: TestApi; lines: AccessLogLine[] }> {
  const lines: AccessLogLine[] = [];
  const policy = testPolicy();
  const app = createApp({
    client,
    taskQueue: 'access-log-test',
    apiKeys: [TEST_API_KEY, ingest.spec],
    feedToken: FEED_TOKEN,
    maxBodyBytes: 64 * 1024,
    coalesceWindowMs: 5,
    policy: () => policy,
    blocklist: new EdlFile(join(dir, `edl-${servers.length}.json`)),
    links: {},
    log: () => undefined,
    accessLog: (line) => lines.push(line),
    ...extra,
  });
  const api = await serveApp(app);
  servers.push(api);
  return { api, lines };
}
/** The line of the request that got this answer: the response's X-Request-Id names it. */
async function lineOf(lines: AccessLogLine[], answer: { headers: Headers }): Promise<AccessLogLine> {
  const requestId = answer.headers.get('x-request-id');
  assert.ok(requestId, 'every answer carries its request id');
  // The line is written when the response has ended, which may be just after the client has read it.
  return eventually(`the access log line of ${requestId}`, () => lines.find((line) => line.requestId === requestId));
}

describe('the access log', () => {
  test('one line per request, 401, 403 and 404 included, with principal and source, and no key, token or query', async () => {
    const { api, lines } = await serve();
    const answers = {
      ok: await api.call('GET', '/v1/feeds/blocklist.txt'),
      unauthorized: await api.call('GET', '/v1/incidents', undefined, bearer(BAD_KEY)),
      keyInUrl: await api.call('POST', `/v1/alerts/splunk?key=${TEST_API_KEY}`, {}, {}),
      feed: await api.call('GET', `/v1/feeds/blocklist.txt?token=${FEED_TOKEN}`, undefined, {}),
      notFound: await api.call('GET', '/v1/nowhere'),
    };
    assert.deepEqual(Object.values(answers).map((a) => a.status), [200, 401, 403, 200, 404]);

    const logged = {
      ok: await lineOf(lines, answers.ok),
      unauthorized: await lineOf(lines, answers.unauthorized),
      keyInUrl: await lineOf(lines, answers.keyInUrl),
      feed: await lineOf(lines, answers.feed),
      notFound: await lineOf(lines, answers.notFound),
    };
    const adminName = `api-key:${sha256Hex(TEST_API_KEY).slice(0, 8)}`;
    const shape = (line: AccessLogLine) => ({ method: line.method, path: line.path, status: line.status, principal: line.principal, source: line.source });
    assert.deepEqual(shape(logged.ok), { method: 'GET', path: '/v1/feeds/blocklist.txt', status: 200, principal: adminName, source: '127.0.0.1' });
    assert.deepEqual(shape(logged.unauthorized), { method: 'GET', path: '/v1/incidents', status: 401, principal: null, source: '127.0.0.1' });
    assert.deepEqual(shape(logged.keyInUrl), { method: 'POST', path: '/v1/alerts/splunk', status: 403, principal: null, source: '127.0.0.1' });
    assert.deepEqual(shape(logged.feed), { method: 'GET', path: '/v1/feeds/blocklist.txt', status: 200, principal: 'env:RIPOSTE_FEED_TOKEN', source: '127.0.0.1' });
    assert.deepEqual(shape(logged.notFound), { method: 'GET', path: '/v1/nowhere', status: 404, principal: adminName, source: '127.0.0.1' });
    for (const line of Object.values(logged)) assert.ok(line.durationMs >= 0);

    const text = JSON.stringify(lines);
    for (const secret of [TEST_API_KEY, FEED_TOKEN, BAD_KEY, 'key=', 'token=']) assert.ok(!text.includes(secret), `the access log holds no ${secret.slice(0, 10)}…`);
  });

  test('an ingest key and a signed webhook are logged by their principal names', async () => {
    const secret = 'siem-secret-0123456789abcdefghijkl';
    const { api, lines } = await serve({ webhookSecrets: [{ name: 'siem', secret }] });
    // No playbook matches this alert: it is answered 202 and starts nothing.
    const body = JSON.stringify({ id: 'access-log-1', source: 'generic', type: 'access.log.test' });
    const byKey = await api.call('POST', '/v1/alerts', body, { ...ingest.auth, 'content-type': 'application/json' });
    assert.equal(byKey.status, 202);
    assert.equal((await lineOf(lines, byKey)).principal, 'splunk-prod');

    const t = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    const signed = await api.call('POST', '/v1/alerts', body, { 'x-riposte-signature': `t=${t},v1=${signature}`, 'content-type': 'application/json' });
    assert.equal(signed.status, 202);
    assert.equal((await lineOf(lines, signed)).principal, 'webhook:siem');
    assert.ok(!JSON.stringify(lines).includes(signature), 'no header value is logged');
  });
});

describe('the failed-authentication limit', () => {
  test('past N failures from one address: 429 with Retry-After for any request, even with a valid key, until the window lets one more through', async () => {
    let now = 1_000_000;
    const { api, lines } = await serve({ authFailureLimit: { failures: 3, windowMs: 60_000 }, now: () => now });
    // Successful requests count for nothing.
    for (let i = 0; i < 5; i += 1) assert.equal((await api.call('GET', '/v1/feeds/blocklist.txt')).status, 200);
    for (let i = 0; i < 3; i += 1) assert.equal((await api.call('GET', '/v1/feeds/blocklist.txt', undefined, bearer(BAD_KEY))).status, 401);

    const limited = await api.call('GET', '/v1/feeds/blocklist.txt');
    assert.equal(limited.status, 429, 'refused before the valid key is looked at');
    assert.equal(limited.headers.get('retry-after'), '20', 'one more failure allowed every 60 s / 3');
    assert.equal(limited.json.error, 'too_many_failures');
    assert.equal((await lineOf(lines, limited)).status, 429);

    now += 20_000;
    assert.equal((await api.call('GET', '/v1/feeds/blocklist.txt')).status, 200, 'the window let one request through');
    assert.equal((await api.call('GET', '/v1/feeds/blocklist.txt', undefined, bearer(BAD_KEY))).status, 401);
    assert.equal((await api.call('GET', '/v1/feeds/blocklist.txt')).status, 429, 'that failure spent it again');
  });

  test('the source is the TCP peer, unless trust proxy names the proxy: then its X-Forwarded-For, an IPv6 source by its /64', async () => {
    const direct = await serve({ authFailureLimit: { failures: 1, windowMs: 60_000 } });
    const forwarded = (address: string) => ({ ...bearer(BAD_KEY), 'x-forwarded-for': address });
    const first = await direct.api.call('GET', '/v1/incidents', undefined, forwarded('198.51.100.7'));
    assert.equal(first.status, 401);
    assert.equal((await lineOf(direct.lines, first)).source, '127.0.0.1', 'the header is not believed from an untrusted peer');
    assert.equal((await direct.api.call('GET', '/v1/incidents', undefined, forwarded('198.51.100.8'))).status, 429, 'one peer, one count');

    const proxied = await serve({ authFailureLimit: { failures: 1, windowMs: 60_000 }, trustProxy: ['loopback'] });
    const viaProxy = await proxied.api.call('GET', '/v1/incidents', undefined, forwarded('198.51.100.7'));
    assert.equal(viaProxy.status, 401);
    assert.equal((await lineOf(proxied.lines, viaProxy)).source, '198.51.100.7');
    assert.equal((await proxied.api.call('GET', '/v1/incidents', undefined, forwarded('198.51.100.7'))).status, 429);
    assert.equal((await proxied.api.call('GET', '/v1/incidents', undefined, forwarded('198.51.100.8'))).status, 401, 'another client behind the proxy has a count of its own');

    assert.equal((await proxied.api.call('GET', '/v1/incidents', undefined, forwarded('2001:db8:1:2::1'))).status, 401);
    assert.equal((await proxied.api.call('GET', '/v1/incidents', undefined, forwarded('2001:db8:1:2::99'))).status, 429, 'the same /64');
    assert.equal((await proxied.api.call('GET', '/v1/incidents', undefined, forwarded('2001:db8:1:3::1'))).status, 401, 'another /64');
  });
});
