import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import express from 'express';
import { createGuard } from '../../api/auth.ts';
import { createSessions, sessionCookie } from '../../api/console/sessions.ts';
import { errorHandler } from '../../api/errors.ts';
import { testKey } from '../support/temporal.ts';

const HOUR = 3_600_000;
const KEY_SHA = 'a'.repeat(64);

describe('session tokens', () => {
  let clock = 1_800_000_000_000;
  const now = () => clock;
  const sessions = createSessions({ secret: 'a-test-secret-of-enough-length-0123456789', ttlMs: 12 * HOUR }, now);

  test('a token reads back as its session, with a CSRF token of its own, and holds no key', () => {
    const { token, session } = sessions.issue('alice', KEY_SHA);
    assert.deepEqual(sessions.read(token), session);
    assert.equal(session.name, 'alice');
    assert.equal(session.expiresAt, clock + 12 * HOUR);
    assert.ok(!token.includes(KEY_SHA) && !Buffer.from(token.split('.')[0]!, 'base64url').toString().includes(KEY_SHA));
    assert.notEqual(sessions.issue('alice', KEY_SHA).session.csrfToken, session.csrfToken, 'each session has its own CSRF token');
  });

  test('a changed payload, a changed signature, or another secret is refused', () => {
    const { token } = sessions.issue('alice', KEY_SHA);
    const [payload, signature] = token.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), n: 'mallory' })).toString('base64url');
    assert.equal(sessions.read(`${forged}.${signature}`), undefined);
    assert.equal(sessions.read(`${payload}.${signature.slice(0, -2)}AA`), undefined);
    assert.equal(sessions.read(`${payload}`), undefined);
    assert.equal(createSessions({ secret: 'another-secret-0123456789-0123456789', ttlMs: HOUR }, now).read(token), undefined);
    assert.equal(createSessions({ ttlMs: HOUR }, now).read(token), undefined, 'a random per-process secret reads no other process\'s tokens');
  });

  test('a session ends at its expiry and at logout', () => {
    const { token, session } = sessions.issue('alice', KEY_SHA);
    const other = sessions.issue('alice', KEY_SHA);
    sessions.revoke(session);
    assert.equal(sessions.read(token), undefined);
    assert.ok(sessions.read(other.token), 'only the session logged out of ends');
    clock += 12 * HOUR;
    assert.equal(sessions.read(other.token), undefined);
  });

  test('the CSRF token must match exactly', () => {
    const { session } = sessions.issue('alice', KEY_SHA);
    assert.equal(sessions.csrfMatches(session, session.csrfToken), true);
    assert.equal(sessions.csrfMatches(session, undefined), false);
    assert.equal(sessions.csrfMatches(session, `${session.csrfToken}x`), false);
    assert.equal(sessions.csrfMatches(session, sessions.issue('alice', KEY_SHA).session.csrfToken), false);
  });

  test('the cookie is found among others', () => {
    assert.equal(sessionCookie('a=1; riposte_session=abc.def; b=2'), 'abc.def');
    assert.equal(sessionCookie('riposte_sessionx=1'), undefined);
    assert.equal(sessionCookie(undefined), undefined);
  });
});

describe('the guard with a session cookie', () => {
  const responder = testKey('resp', 'responder');
  const viewer = testKey('view', 'viewer');
  const sessions = createSessions({ ttlMs: HOUR });
  const { guard } = createGuard({ keys: [responder.spec, viewer.spec], sessions });
  const app = express();
  app.use(guard);
  app.get('/v1/incidents', (req, res) => void res.json(req.principal));
  app.post('/v1/incidents/:id/approve', (req, res) => void res.status(202).json(req.principal));
  app.use(errorHandler(() => undefined));
  let url: string;
  let server: ReturnType<typeof app.listen>;
  before(async () => {
    server = app.listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => void server.close());

  const cookieOf = (spec: typeof responder.spec) => {
    const { token, session } = sessions.issue(spec.name, spec.sha256);
    return { cookie: `riposte_session=${token}`, csrf: session.csrfToken, session };
  };
  const call = async (method: string, path: string, headers: Record<string, string>) => {
    const res = await fetch(`${url}${path}`, { method, headers });
    return { status: res.status, json: await res.json() };
  };

  test('a read needs only the cookie, and acts as the key that signed in', async () => {
    const { cookie } = cookieOf(responder.spec);
    const r = await call('GET', '/v1/incidents', { cookie });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { name: 'resp', kind: 'person', role: 'responder', via: 'session' });
  });

  test('a state change by cookie needs the CSRF token; by API key it does not', async () => {
    const { cookie, csrf } = cookieOf(responder.spec);
    const path = '/v1/incidents/brute-force:203.0.113.7/approve';
    const forged = await call('POST', path, { cookie });
    assert.deepEqual([forged.status, forged.json.error], [403, 'csrf']);
    assert.equal((await call('POST', path, { cookie, 'x-csrf-token': `${csrf.slice(1)}x` })).status, 403);
    assert.equal((await call('POST', path, { cookie, 'x-csrf-token': csrf })).status, 202);
    assert.equal((await call('POST', path, responder.auth)).status, 202);
  });

  test("the key's role applies: a viewer's session may not approve", async () => {
    const { cookie, csrf } = cookieOf(viewer.spec);
    const r = await call('POST', '/v1/incidents/brute-force:203.0.113.7/approve', { cookie, 'x-csrf-token': csrf });
    assert.deepEqual([r.status, r.json.error], [403, 'forbidden']);
  });

  test('a logged-out, unknown-key or garbled cookie is no credential', async () => {
    const { cookie, session } = cookieOf(responder.spec);
    sessions.revoke(session);
    assert.equal((await call('GET', '/v1/incidents', { cookie })).status, 401);
    const stranger = testKey('gone', 'admin');
    assert.equal((await call('GET', '/v1/incidents', { cookie: cookieOf(stranger.spec).cookie })).status, 401, 'a key no longer configured ends its sessions');
    assert.equal((await call('GET', '/v1/incidents', { cookie: 'riposte_session=nonsense' })).status, 401);
  });
});
