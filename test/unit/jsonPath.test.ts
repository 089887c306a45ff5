import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseJsonPath, selectPath } from '../../activities/poll/jsonPath.ts';

const select = (document: unknown, path: string) => selectPath(document, parseJsonPath(path));

const ANSWER = {
  data: {
    alerts: [{ id: 'a1', meta: { seq: 1 } }, { id: 'a2', meta: { seq: 2 } }],
    'alert list': [{ id: 'b1' }],
    byHost: { web1: { id: 'c1' }, web2: { id: 'c2' } },
  },
};

test('members, quoted members, indices and wildcards reach what RFC 9535 says they do', () => {
  assert.deepEqual(select(ANSWER, '$.data.alerts[*]'), ANSWER.data.alerts);
  assert.deepEqual(select(ANSWER, '$.data.alerts[*].meta.seq'), [1, 2]);
  assert.deepEqual(select(ANSWER, "$.data['alert list'][*]"), [{ id: 'b1' }]);
  assert.deepEqual(select(ANSWER, '$["data"]["alerts"][1].id'), ['a2']);
  assert.deepEqual(select(ANSWER, '$.data.alerts[-1].id'), ['a2']);
  assert.deepEqual(select(ANSWER, '$.data.byHost.*.id'), ['c1', 'c2']);
  assert.deepEqual(select(ANSWER, '$.data.byHost[*]'), [{ id: 'c1' }, { id: 'c2' }]);
  assert.deepEqual(select([{ id: 1 }, { id: 2 }], '$[*]'), [{ id: 1 }, { id: 2 }]);
  assert.deepEqual(select(ANSWER, '$'), [ANSWER]);
  assert.deepEqual(select({ "it's": 1, 'back\\slash': 2 }, "$['it\\'s']"), [1]);
  assert.deepEqual(select({ 'back\\slash': 2 }, "$['back\\\\slash']"), [2]);
});

test('what is absent reaches nothing, never an error: a missing member, an index past the end, a wildcard on a scalar', () => {
  assert.deepEqual(select(ANSWER, '$.data.incidents[*]'), []);
  assert.deepEqual(select(ANSWER, '$.data.alerts[5]'), []);
  assert.deepEqual(select(ANSWER, '$.data.alerts[0].id[*]'), []);
  assert.deepEqual(select(ANSWER, '$.data.alerts.id'), [], 'a member of an array is not a member of its items');
  assert.deepEqual(select({ constructor: 1 }, '$.toString'), [], 'inherited properties are not members');
});

test('what the subset does not read is refused with the reason', () => {
  for (const [path, reason] of [
    ['data.alerts', /begins with \$/],
    ['$..alerts', /member name after "\."/],
    ['$.data[?(@.id)]', /inside \[ \] use \*, an index or a quoted name/],
    ['$.data[1:3]', /inside \[ \]/],
    ["$.data['open", /not closed/],
    ["$.data['a'x]", /expected \] after the quoted name/],
    ["$['a\\n']", /only \\' and \\\\ are escapes/],
    ['$ data', /unexpected " data"/],
  ] as const) assert.throws(() => parseJsonPath(path), reason, path);
});
