import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import express from 'express';
import { accessFor, describeAccess, keyRoleFor } from '../../api/access.ts';
import { type ApiKeySpec, createGuard, sha256Hex } from '../../api/auth.ts';
import { errorHandler } from '../../api/errors.ts';

const TOKEN = 'scrape-token-0123456789abcdefghij';
const key = (role: ApiKeySpec['role']) => ({ key: `${role}-key-0123456789abcdefghij`, spec: { name: `${role}-principal`, role, sha256: sha256Hex(`${role}-key-0123456789abcdefghij`) } });
const keys = { ingest: key('ingest'), viewer: key('viewer'), responder: key('responder'), admin: key('admin') };

test('GET /metrics takes the scrape token or a key whose role grants viewer', () => {
  assert.deepEqual(accessFor('GET', '/metrics'), { access: 'metrics', route: 'GET /metrics' });
  assert.deepEqual(accessFor('HEAD', '/METRICS/'), { access: 'metrics', route: 'GET /metrics' });
  assert.equal(accessFor('POST', '/metrics').access, 'admin');
  assert.equal(keyRoleFor('metrics'), 'viewer');
  assert.equal(keyRoleFor('feed'), undefined, 'any key reads the feeds');
  assert.equal(keyRoleFor('responder'), 'responder');
  assert.equal(describeAccess('metrics'), 'the metrics scrape token or role viewer (or responder, admin)');
  assert.equal(describeAccess('admin'), 'role admin');
});

/** The guard in front of two routes on a loopback port, as createApp puts it in front of every router. */
async function serveGuarded(metricsToken?: string): Promise<{ get(path: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>; close(): Promise<void> }> {
  const app = express();
  app.use(createGuard({ keys: Object.values(keys).map(({ spec }) => spec), metricsToken }).guard);
  app.get(['/metrics', '/v1/incidents'], (_req, res) => void res.send('ok'));
  app.use(errorHandler(() => undefined));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((ok) => server.once('listening', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get(path, headers = {}) {
      const response = await fetch(`${url}${path}`, { headers });
      return { status: response.status, body: await response.text() };
    },
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

let guarded: Awaited<ReturnType<typeof serveGuarded>>;
before(async () => {
  guarded = await serveGuarded(TOKEN);
});
after(() => guarded.close());

test('the scrape token opens GET /metrics from a header, and nothing else', async () => {
  const basic = `Basic ${Buffer.from(`prometheus:${TOKEN}`).toString('base64')}`;
  for (const headers of [{ authorization: `Bearer ${TOKEN}` }, { 'x-api-key': TOKEN }, { authorization: basic }] as Record<string, string>[]) {
    assert.equal((await guarded.get('/metrics', headers)).status, 200, JSON.stringify(Object.keys(headers)));
  }
  assert.equal((await guarded.get(`/metrics?key=${TOKEN}`)).status, 401, 'never from the URL, which proxies log');
  assert.equal((await guarded.get('/v1/incidents', { authorization: `Bearer ${TOKEN}` })).status, 401, 'it is no API key');
  assert.equal((await guarded.get('/metrics', { authorization: `Bearer ${TOKEN}x` })).status, 401);
});

test('GET /metrics: viewer, responder and admin keys are let in; an ingest key is refused 403, no key 401', async () => {
  for (const role of ['viewer', 'responder', 'admin'] as const) {
    assert.equal((await guarded.get('/metrics', { authorization: `Bearer ${keys[role].key}` })).status, 200, role);
  }
  const ingest = await guarded.get('/metrics', { authorization: `Bearer ${keys.ingest.key}` });
  assert.equal(ingest.status, 403);
  assert.match(JSON.parse(ingest.body).message, /GET \/metrics needs the metrics scrape token or role viewer \(or responder, admin\); this key \(ingest-principal\) has role ingest/);
  assert.equal((await guarded.get('/metrics')).status, 401);
});

test('without RIPOSTE_METRICS_TOKEN no token is accepted, and keys work as before', async () => {
  const plain = await serveGuarded();
  try {
    assert.equal((await plain.get('/metrics', { authorization: `Bearer ${TOKEN}` })).status, 401);
    assert.equal((await plain.get('/metrics', { authorization: `Bearer ${keys.viewer.key}` })).status, 200);
  } finally {
    await plain.close();
  }
});
