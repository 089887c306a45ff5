import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rateLimitResetSeconds, retryAfterSeconds } from '../../activities/vendorHttp.ts';

const NOW = Date.parse('2026-12-02T05:19:24Z');

test('Retry-After as delta seconds, capped at an hour', () => {
  assert.equal(retryAfterSeconds('7', NOW), 7);
  assert.equal(retryAfterSeconds(' 0 ', NOW), 0);
  assert.equal(retryAfterSeconds('86400', NOW), 3600);
});

test('Retry-After as an HTTP date counts from now, rounding up; a past date means now', () => {
  assert.equal(retryAfterSeconds('Wed, 02 Dec 2026 05:19:54 GMT', NOW), 30);
  assert.equal(retryAfterSeconds('Wed, 02 Dec 2026 05:19:54 GMT', NOW + 500), 30);
  assert.equal(retryAfterSeconds('Wed, 02 Dec 2026 05:00:00 GMT', NOW), 0);
  assert.equal(retryAfterSeconds('Thu, 03 Dec 2026 05:19:24 GMT', NOW), 3600);
});

test('an absent or unreadable Retry-After gives no delay', () => {
  for (const header of [null, '', '   ', 'soon']) assert.equal(retryAfterSeconds(header, NOW), undefined, String(header));
});

test('Okta\'s X-Rate-Limit-Reset (epoch seconds) counts from now, bounded; anything else gives no delay', () => {
  assert.equal(rateLimitResetSeconds(String(NOW / 1000 + 12), NOW), 12);
  assert.equal(rateLimitResetSeconds(String(NOW / 1000 - 5), NOW), 0);
  assert.equal(rateLimitResetSeconds(String(NOW / 1000 + 86_400), NOW), 3600);
  for (const header of [null, '', '12', 'soon', '1.5e9']) assert.equal(rateLimitResetSeconds(header, NOW), undefined, String(header));
});
