import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRateLimiter } from '../../api/rateLimit.ts';
import { ConfigError, loadConfig } from '../../runtime/config.ts';

test('peek tells what take would answer and spends nothing; an id never seen has a full bucket', () => {
  let now = 0;
  const limiter = createRateLimiter(() => now);
  const limit = { ratePerMinute: 2, burst: 2 };
  assert.deepEqual(limiter.peek('a', limit), { allowed: true });
  limiter.take('a', limit);
  limiter.take('a', limit);
  assert.deepEqual(limiter.peek('a', limit), { allowed: false, retryAfterSeconds: 30 });
  assert.deepEqual(limiter.peek('a', limit), { allowed: false, retryAfterSeconds: 30 }, 'peeking again spent nothing');
  now += 30_000;
  assert.deepEqual(limiter.peek('a', limit), { allowed: true });
  assert.deepEqual(limiter.take('a', limit), { allowed: true });
  assert.deepEqual(limiter.peek('a', limit), { allowed: false, retryAfterSeconds: 30 });
});

test('past maxIds the id used least recently is forgotten, as if its bucket had refilled', () => {
  const limiter = createRateLimiter(() => 0, 2);
  const limit = { ratePerMinute: 1 };
  limiter.take('a', limit);
  limiter.take('b', limit);
  limiter.take('a', limit);
  limiter.take('c', limit);
  assert.deepEqual(limiter.peek('b', limit), { allowed: true }, 'b, used least recently, was forgotten');
  assert.equal(limiter.peek('a', limit).allowed, false);
  assert.equal(limiter.peek('c', limit).allowed, false);
});

test('RIPOSTE_AUTH_FAILURE_LIMIT and _WINDOW: on by default, 0 turns it off; RIPOSTE_TRUST_PROXY: addresses, networks and names only', () => {
  assert.deepEqual(loadConfig({}).api.authFailureLimit, { failures: 30, windowMs: 300_000 });
  assert.deepEqual(loadConfig({ RIPOSTE_AUTH_FAILURE_LIMIT: '5', RIPOSTE_AUTH_FAILURE_WINDOW: '1h' }).api.authFailureLimit, { failures: 5, windowMs: 3_600_000 });
  assert.equal(loadConfig({ RIPOSTE_AUTH_FAILURE_LIMIT: '0' }).api.authFailureLimit, undefined);
  assert.equal(loadConfig({}).api.trustProxy, undefined);
  assert.deepEqual(loadConfig({ RIPOSTE_TRUST_PROXY: 'loopback, 10.0.0.0/8,2001:db8::5' }).api.trustProxy, ['loopback', '10.0.0.0/8', '2001:db8::5']);
  for (const [name, value] of [['RIPOSTE_AUTH_FAILURE_LIMIT', '-1'], ['RIPOSTE_AUTH_FAILURE_WINDOW', '5 minutes'], ['RIPOSTE_TRUST_PROXY', '10.0.0.0/8,everyone']] as const) {
    assert.throws(() => loadConfig({ [name]: value }), (err: Error) => err instanceof ConfigError && err.message.includes(name), name);
  }
});
