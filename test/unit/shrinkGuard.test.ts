import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardStep, served, type ShrinkState } from '../../activities/enforce/shrinkGuard.ts';

const HOUR = 3_600_000;
const settings = { share: 0.5, minEntries: 10, windowMs: HOUR };
const now = 1_800_000_000_000;

/** `count` entries named a0, a1… expiring in a day. */
const list = (count: number, from = 0) => new Map(Array.from({ length: count }, (_, i) => [`a${from + i}`, now + 24 * HOUR]));
const without = (entries: Map<string, number>, count: number) => new Map([...entries].slice(count));

test('dropping half or less is let through; more than half at once is held, and the dropped entries are served', () => {
  const before = list(20);
  const half = guardStep(undefined, before, without(before, 10), now, settings);
  assert.equal(half.held, undefined);
  assert.equal(served(without(before, 10), half, now).size, 10);

  const more = guardStep(undefined, before, without(before, 11), now, settings);
  assert.deepEqual(more.held, { since: now, notified: false });
  assert.deepEqual([...served(without(before, 11), more, now).keys()].sort(), [...before.keys()].sort());
});

test('drops spread over the window add up, and restore the list as it was before the first', () => {
  const before = list(20);
  const first = guardStep(undefined, before, without(before, 6), now, settings);
  assert.equal(first.held, undefined);
  const second = guardStep(first, without(before, 6), without(before, 12), now + HOUR / 2, settings);
  assert.equal(second.held?.since, now + HOUR / 2);
  assert.equal(served(without(before, 12), second, now + HOUR / 2).size, 20);

  const later = guardStep(first, without(before, 6), without(before, 12), now + 2 * HOUR, settings);
  assert.equal(later.held, undefined, 'drops older than the window are forgotten: 6 of 14 is within the share');
});

test('entries that ran to their own expiry are not drops, and a small list is never held', () => {
  const expiring = new Map([...list(20)].map(([key]) => [key, now + 30_000]));
  assert.equal(guardStep(undefined, expiring, new Map(), now, settings).held, undefined, 'removed within the grace of their expiry');
  assert.deepEqual(guardStep(undefined, expiring, new Map(), now, settings).dropped, {});
  assert.equal(guardStep(undefined, list(9), new Map(), now, settings).held, undefined, 'below minEntries');
  assert.equal(guardStep(undefined, list(20), new Map(), now, { ...settings, share: 1 }).held, undefined, 'a share of 1 turns it off');
});

test('a hold ends when the list recovers, when its entries expire, or when released; a later hold needs its own release', () => {
  const before = list(20);
  const held = guardStep(undefined, before, list(4), now, settings);
  assert.ok(held.held);
  const stillHeld = guardStep(held, list(4), list(4), now + 2 * HOUR, settings);
  assert.equal(stillHeld.held?.since, now, 'while held, the withheld entries stay past the window');

  const recovered = guardStep(held, list(4), list(12), now + 60_000, settings);
  assert.equal(recovered.held, undefined, 'eight back: 8 of 20 dropped is within the share');
  assert.equal(served(list(12), recovered, now + 60_000).size, 12, 'and the rest go out');

  assert.equal(guardStep(held, list(4), list(4), now + 25 * HOUR, settings).held, undefined, 'the withheld entries expired');

  const release = { since: now, by: 'admin', at: new Date(now).toISOString() };
  assert.equal(served(list(4), held, now, release).size, 4, 'readers honour a release before the writer sees it');
  const released: ShrinkState = guardStep(held, list(4), list(4), now + 60_000, settings, release);
  assert.deepEqual(released, { dropped: {} });
  const again = guardStep(released, list(20, 100), list(2, 100), now + 120_000, settings, release);
  assert.equal(again.held?.since, now + 120_000, 'an old release does not cover a new hold');
});
