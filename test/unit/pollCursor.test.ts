import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compareCursors, laterCursor } from '../../activities/poll/cursor.ts';

test('cursors are ordered as the API means them: numbers by value, times by instant down to the nanosecond', () => {
  assert.ok(compareCursors('10', '9') > 0, 'ids are numbers, not text');
  assert.ok(compareCursors('2024-05-01T12:00:00+02:00', '2024-05-01T10:30:00Z') < 0, 'offsets are honoured');
  assert.ok(compareCursors('2024-05-01T10:00:00.123456789Z', '2024-05-01T10:00:00.123Z') > 0, 'past the millisecond');
  assert.equal(compareCursors('2024-05-01T10:00:00.100Z', '2024-05-01T10:00:00.1Z'), 0);
  assert.ok(compareCursors('evt-b', 'evt-a') > 0, 'anything else as text');
  assert.equal(laterCursor(undefined, '3'), '3');
  assert.equal(laterCursor('12', '3'), '12');
  assert.equal(laterCursor('3', undefined), '3');
});
