import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import type { HttpError } from '../../api/errors.ts';
import { slackSignature, verifySlackSignature } from '../../api/slackSignature.ts';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const NOW_MS = 1_531_420_618_000;
const TIMESTAMP = String(NOW_MS / 1000);
const BODY = Buffer.from('payload=%7B%22type%22%3A%22block_actions%22%7D');

function refusal(request: Parameters<typeof verifySlackSignature>[1], nowMs = NOW_MS): string | undefined {
  try {
    verifySlackSignature(SECRET, request, nowMs);
    return undefined;
  } catch (err) {
    assert.equal((err as HttpError).status, 401);
    assert.equal((err as HttpError).code, 'unauthorized');
    return (err as Error).message;
  }
}

test('the v0 signature is the hex HMAC-SHA256 of "v0:<timestamp>:<body>" with the signing secret', () => {
  const expected = createHmac('sha256', SECRET).update(`v0:${TIMESTAMP}:${BODY.toString()}`).digest('hex');
  assert.equal(slackSignature(SECRET, TIMESTAMP, BODY), `v0=${expected}`);
  assert.equal(slackSignature(SECRET, TIMESTAMP, BODY.toString()), `v0=${expected}`, 'a string body signs as its bytes');
});

test('a request Slack signed within five minutes passes, either side of now', () => {
  for (const skew of [0, -300, 300]) {
    const timestamp = String(NOW_MS / 1000 + skew);
    assert.equal(refusal({ timestamp, signature: slackSignature(SECRET, timestamp, BODY), body: BODY }), undefined, `skew ${skew}`);
  }
});

test('missing, malformed, stale, future, forged and tampered requests are refused with 401', () => {
  const signature = slackSignature(SECRET, TIMESTAMP, BODY);
  const stale = String(NOW_MS / 1000 - 301);
  const future = String(NOW_MS / 1000 + 301);
  const cases: [string, Parameters<typeof verifySlackSignature>[1], RegExp][] = [
    ['no timestamp', { timestamp: undefined, signature, body: BODY }, /send X-Slack-Request-Timestamp and X-Slack-Signature/],
    ['no signature', { timestamp: TIMESTAMP, signature: undefined, body: BODY }, /send X-Slack-Request-Timestamp and X-Slack-Signature/],
    ['timestamp not a number', { timestamp: '1e9', signature, body: BODY }, /malformed X-Slack-Request-Timestamp/],
    ['six minutes old', { timestamp: stale, signature: slackSignature(SECRET, stale, BODY), body: BODY }, /more than 300 s from now/],
    ['six minutes ahead', { timestamp: future, signature: slackSignature(SECRET, future, BODY), body: BODY }, /more than 300 s from now/],
    ['another secret', { timestamp: TIMESTAMP, signature: slackSignature(`${SECRET}x`, TIMESTAMP, BODY), body: BODY }, /does not match the body/],
    ['the body changed', { timestamp: TIMESTAMP, signature, body: Buffer.from(`${BODY.toString()}x`) }, /does not match the body/],
    ['the timestamp changed', { timestamp: String(NOW_MS / 1000 - 1), signature, body: BODY }, /does not match the body/],
    ['upper-case hex', { timestamp: TIMESTAMP, signature: signature.toUpperCase(), body: BODY }, /does not match the body/],
    ['a shorter value', { timestamp: TIMESTAMP, signature: signature.slice(0, -2), body: BODY }, /does not match the body/],
    ['the v1 scheme', { timestamp: TIMESTAMP, signature: signature.replace('v0=', 'v1='), body: BODY }, /does not match the body/],
    ['empty', { timestamp: TIMESTAMP, signature: '', body: BODY }, /does not match the body/],
  ];
  for (const [what, request, message] of cases) assert.match(refusal(request) ?? 'accepted', message, what);
});
