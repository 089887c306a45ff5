import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCESS_RULES, accessFor, describeNeeded, ROLES, roleGrants } from '../../api/access.ts';
import { createKeyRing, plainAdminKey, sha256Hex } from '../../api/auth.ts';
import { createRateLimiter } from '../../api/rateLimit.ts';
import { createSignatureVerifier, signedHeader } from '../../api/signature.ts';

test('the role ladder: ingest only ingests, a responder views, only admin has the kill switch', () => {
  const grants = Object.fromEntries(ROLES.map((role) => [role, ROLES.filter((needed) => roleGrants(role, needed))]));
  assert.deepEqual(grants, {
    ingest: ['ingest'],
    viewer: ['viewer'],
    responder: ['viewer', 'responder'],
    admin: ['ingest', 'viewer', 'responder', 'admin'],
  });
  assert.equal(describeNeeded('viewer'), 'viewer (or responder, admin)');
  assert.equal(describeNeeded('admin'), 'admin');
});

test('every listed route matches its own rule; spellings Express accepts match too; anything else is admin-only', () => {
  for (const rule of ACCESS_RULES) {
    const path = rule.path.replace(/:\w+/g, 'x');
    assert.equal(accessFor(rule.method, path).access, rule.access, `${rule.method} ${path}`);
    assert.equal(accessFor(rule.method.toLowerCase(), `${path.toUpperCase()}/`).access, rule.access, `${rule.method} ${path} upper-case, trailing slash`);
  }
  assert.equal(accessFor('HEAD', '/v1/incidents').access, 'viewer');
  assert.deepEqual(accessFor('POST', '/v1/incidents/brute-force:1.2.3.4/approve'), { access: 'responder', route: 'POST /v1/incidents/:id/approve' });
  assert.deepEqual(accessFor('POST', '/v1/slack/actions'), { access: 'slack', route: 'POST /v1/slack/actions' }, 'Slack signs its requests; it has no API key');
  for (const [method, path] of [
    ['GET', '/v1/alerts'], ['PUT', '/v1/control/pause'], ['POST', '/v1/incidents/a/b/approve'], ['GET', '/v1/feeds/other.txt'],
    ['POST', '/v1/incidents/x/%61pprove'], ['OPTIONS', '/v1/incidents'], ['GET', '//v1/incidents'], ['GET', '/nothing'],
    ['GET', '/v1/slack/actions'], ['POST', '/v1/slack/actions/x'],
  ] as const) {
    assert.equal(accessFor(method, path).access, 'admin', `${method} ${path}`);
  }
});

test('the key ring finds keys by SHA-256; plain keys are admins named after their hash', () => {
  const ring = createKeyRing(['plain-key-0123456789abcdefghij', { name: 'viewer', role: 'viewer', sha256: sha256Hex('viewer-key') }]);
  assert.deepEqual(ring.find('plain-key-0123456789abcdefghij')?.spec, plainAdminKey('plain-key-0123456789abcdefghij'));
  assert.match(plainAdminKey('plain-key-0123456789abcdefghij').name, /^api-key:[0-9a-f]{8}$/);
  assert.equal(ring.find('viewer-key')?.spec.role, 'viewer');
  assert.equal(ring.find('viewer-key ')?.spec, undefined);
  assert.equal(ring.find(''), undefined);
});

test('token bucket: a burst, then 429 with the seconds until the next token, then recovery at the rate', () => {
  let now = 1_000_000;
  const limiter = createRateLimiter(() => now);
  const limit = { ratePerMinute: 6, burst: 3 };
  for (let i = 0; i < 3; i += 1) assert.deepEqual(limiter.take('k', limit), { allowed: true });
  assert.deepEqual(limiter.take('k', limit), { allowed: false, retryAfterSeconds: 10 });
  assert.deepEqual(limiter.take('other', limit), { allowed: true }, 'buckets are per key');
  now += 4_000;
  assert.deepEqual(limiter.take('k', limit), { allowed: false, retryAfterSeconds: 6 });
  now += 6_000;
  assert.deepEqual(limiter.take('k', limit), { allowed: true });
  assert.equal(limiter.take('k', limit).allowed, false);
  now += 3_600_000;
  for (let i = 0; i < 3; i += 1) assert.equal(limiter.take('k', limit).allowed, true, 'refills to the burst, no further');
  assert.equal(limiter.take('k', limit).allowed, false);
  assert.deepEqual(createRateLimiter(() => now).take('k', { ratePerMinute: 1 }), { allowed: true }, 'burst defaults to the rate');
});

test('signature verifier: window, constant-time match over the raw bytes, replay, forgetting, bounded memory', () => {
  let now = 1_700_000_000_000;
  const t = now / 1000;
  const verifier = createSignatureVerifier({ secrets: [{ name: 'a', secret: 'secret-a-0123456789abcdefgh' }, { name: 'b', secret: 'secret-b-0123456789abcdefgh' }], now: () => now, replayCapacity: 2 });
  const body = Buffer.from('{"x":1}');
  const signed = (secret: string, at = t, bytes: Buffer | string = body) => verifier.check(signedHeader(secret, bytes, at));

  assert.equal(verifier.verify(signed('secret-b-0123456789abcdefgh'), body).name, 'b');
  assert.throws(() => verifier.verify(signed('secret-b-0123456789abcdefgh'), body), /already used/);
  assert.throws(() => verifier.verify(signed('secret-a-0123456789abcdefgh', t - 1), Buffer.from('{"x":2}')), /does not match/);
  assert.throws(() => signed('secret-a-0123456789abcdefgh', t - 301), /expired/);
  assert.throws(() => signed('secret-a-0123456789abcdefgh', t + 301), /future/);
  assert.doesNotThrow(() => signed('secret-a-0123456789abcdefgh', t - 300));
  const header = `${signedHeader('secret-a-0123456789abcdefgh', body, t - 2)},v1=${'0'.repeat(64)}`;
  const { forget } = verifier.verify(verifier.check(header), body);
  forget();
  assert.equal(verifier.verify(verifier.check(header), body).name, 'a', 'a forgotten signature is accepted again');

  // Two live signatures fill this verifier: a third is refused (503) rather than let a replay through.
  assert.throws(() => verifier.verify(signed('secret-a-0123456789abcdefgh', t - 3), body), (err: Error & { status?: number }) => err.status === 503);
  now += 302_000;
  assert.equal(verifier.verify(signed('secret-a-0123456789abcdefgh', now / 1000), body).name, 'a', 'expired ones are swept out');
  assert.throws(() => createSignatureVerifier({ secrets: [] }).check(signedHeader('x', body)), /not configured/);
});
