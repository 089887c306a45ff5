import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentKeys } from '../../workflows/poller/recentKeys.ts';

test("a poller's memory keeps the newest keys up to its limit, in the order they were first sent", () => {
  const recent = new RecentKeys(3, ['a', 'b']);
  recent.add(['c', 'a', 'd']);
  assert.deepEqual([recent.list(), recent.size, recent.has('a'), recent.has('d')], [['b', 'c', 'd'], 3, false, true]);
  recent.resize(2);
  assert.deepEqual([recent.list(), recent.has('b')], [['c', 'd'], false]);
  recent.resize(4);
  recent.add(['e', 'f']);
  assert.deepEqual(recent.list(), ['c', 'd', 'e', 'f']);
  recent.add(Array.from({ length: 1000 }, (_, i) => `k${i}`));
  assert.deepEqual(recent.list(), ['k996', 'k997', 'k998', 'k999']);
});
