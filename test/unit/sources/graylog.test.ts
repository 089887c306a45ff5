import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeAlerts, type NormalizeOptions } from '../../../api/sources/index.ts';
import { findPlaybook } from '../../../playbooks/index.ts';
import { rejectedPaths } from './rejection.ts';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');
const only = (body: unknown, options?: NormalizeOptions) => {
  const alerts = normalizeAlerts('graylog', body, receivedAt, options);
  assert.equal(alerts.length, 1);
  return alerts[0]!;
};

// The body an HTTP Notification's "Execute Test Notification" sends (Graylog's Notifications documentation, "HTTP
// Notification"): the event definition's metadata, the event, and an empty backlog.
const testNotification = {
  event_definition_id: 'EventDefinitionTestId',
  event_definition_type: 'test-dummy-v1',
  event_definition_title: 'Event Definition Test Title',
  event_definition_description: 'Event Definition Test Description',
  job_definition_id: '<unknown>',
  job_trigger_id: '<unknown>',
  event: {
    id: 'TEST_NOTIFICATION_ID',
    event_definition_type: 'notification-test-v1',
    event_definition_id: 'EventDefinitionTestId',
    origin_context: 'urn:graylog:message:es:testIndex_42:b5e53442-12bb-4374-90ed-0deadbeefbaz',
    timestamp: '2023-11-01T08:20:00.644Z',
    timestamp_processing: '2023-11-01T08:20:00.644Z',
    timerange_start: null,
    timerange_end: null,
    streams: ['000000000000000000000002'],
    source_streams: [],
    message: 'Notification test message triggered from user <local:admin>',
    source: '000000000000000000000001',
    key_tuple: ['testkey'],
    key: 'testkey',
    priority: 2,
    alert: true,
    fields: { field1: 'value1', field2: 'value2' },
    group_by_fields: {},
  },
  backlog: [],
};

// The event definition of Graylog's "Event Definitions Use Case" (an SSH brute force: failed logins counted per
// source), grouped by source_ip, with its message backlog: message summaries (index, id, source, message, timestamp,
// stream_ids, fields) as graylog2-server's MessageSummary serialises them.
const bruteForce = {
  event_definition_id: '671a28a03696bb3801a7a9f1',
  event_definition_type: 'aggregation-v1',
  event_definition_title: 'SSH brute force',
  event_definition_description: 'Ten failed logins from one address within a minute',
  job_definition_id: '671a97cc3696bb3801a846a6',
  job_trigger_id: '671a9dfe3696bb3801a8536d',
  event: {
    id: '01JAZZJAKS82TDZAE82E0WAENT',
    event_definition_type: 'aggregation-v1',
    event_definition_id: '671a28a03696bb3801a7a9f1',
    origin_context: null,
    timestamp: '2024-10-24T10:22:04.556Z',
    timestamp_processing: '2024-10-24T10:22:30.585Z',
    timerange_start: '2024-10-24T10:21:04.556Z',
    timerange_end: '2024-10-24T10:22:04.556Z',
    streams: [],
    source_streams: ['000000000000000000000001'],
    message: 'SSH brute force: count()=12.0',
    source: 'graylog-server',
    key_tuple: ['203.0.113.44'],
    key: '203.0.113.44',
    priority: 3,
    alert: true,
    fields: {},
    group_by_fields: { source_ip: '203.0.113.44' },
  },
  backlog: [{
    index: 'graylog_0',
    id: 'd0a9a7a0-91f1-11ef-9a79-0242ac170004',
    source: 'web01',
    message: 'Login failed for user admin from ip 203.0.113.44',
    timestamp: '2024-10-24T10:22:01.120Z',
    stream_ids: ['000000000000000000000001'],
    fields: { source_ip: '203.0.113.44', user_name: 'admin', gl2_source_input: '671a28a03696bb3801a7a9e0', level: 6 },
  }],
};
const omit = (object: object, ...keys: string[]): Record<string, unknown> => Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
const mapped = { sources: { graylog: { types: { 'title:SSH brute force': 'auth.failure' } } } };
type Body = typeof bruteForce;
const withEvent = (changes: Record<string, unknown>): Body => ({ ...bruteForce, event: { ...bruteForce.event, ...changes } });

describe('graylog source: the HTTP Notification body', () => {
  test('the documented test notification passes through as graylog.<title>, naming nothing', () => {
    const alert = only(testNotification);
    assert.deepEqual({ ...alert, raw: undefined }, {
      id: 'TEST_NOTIFICATION_ID',
      source: 'graylog',
      type: 'graylog.event-definition-test-title',
      severity: 5,
      description: 'Event Definition Test Title: Notification test message triggered from user <local:admin>',
      count: 1,
      occurredAt: '2023-11-01T08:20:00.644Z',
      raw: undefined,
    });
    assert.deepEqual(alert.raw, testNotification);
  });

  test('a brute-force event definition, mapped by its title in the policy, is an auth.failure for its group-by address', () => {
    const alert = only(bruteForce, mapped);
    assert.deepEqual({ ...alert, raw: undefined }, {
      id: '01JAZZJAKS82TDZAE82E0WAENT',
      source: 'graylog',
      type: 'auth.failure',
      severity: 8,
      description: 'SSH brute force: count()=12.0',
      sourceIp: '203.0.113.44',
      user: 'admin',
      host: 'web01',
      count: 12,
      occurredAt: '2024-10-24T10:22:04.556Z',
      raw: undefined,
    });
    assert.equal(findPlaybook(alert)?.name, 'brute-force');
  });

  test('unmapped, the same event passes through and no playbook takes it: Graylog has no stock definitions', () => {
    const alert = only(bruteForce);
    assert.equal(alert.type, 'graylog.ssh-brute-force');
    assert.equal(findPlaybook(alert), undefined);
  });

  test('the event definition\'s id is a key too, before its title', () => {
    const options = { sources: { graylog: { types: { 'definition:671a28a03696bb3801a7a9f1': 'auth.bruteforce', 'title:SSH brute force': 'auth.failure' } } } };
    assert.equal(only(bruteForce, options).type, 'auth.bruteforce');
  });
});

describe('graylog source: where entities are found', () => {
  test('group-by fields before event fields before the backlog\'s first message', () => {
    assert.equal(only(withEvent({ fields: { source_ip: '198.51.100.1' } })).sourceIp, '203.0.113.44');
    assert.equal(only(withEvent({ group_by_fields: {}, fields: { source_ip: '198.51.100.1' } })).sourceIp, '198.51.100.1');
    assert.equal(only(withEvent({ group_by_fields: {} })).sourceIp, '203.0.113.44', 'from the backlog');
  });

  test('a backlog message\'s source is the host when no field names one; an event field wins over it', () => {
    assert.equal(only(bruteForce).host, 'web01');
    assert.equal(only(withEvent({ fields: { host_hostname: 'db01' } })).host, 'db01');
  });

  test('values that name no entity are left out, and a count in the event fields is kept', () => {
    const alert = only(withEvent({ group_by_fields: { source_ip: 'unknown' }, fields: { user_name: 'Jane Doe', count: '12' } }));
    assert.equal(alert.user, 'admin', 'the backlog\'s account, after the unusable one');
    assert.equal(alert.count, 12);
    assert.equal(only(withEvent({ message: 'SSH brute force: count()=3.5' })).count, 1, 'a count that is no whole number is left out');
    assert.equal(only({ ...bruteForce, backlog: [] }).sourceIp, '203.0.113.44');
    assert.equal(only({ ...withEvent({ group_by_fields: { source_ip: '-' } }), backlog: [] }).sourceIp, undefined);
  });
});

describe('graylog source: severity', () => {
  test('priorities 1 low, 2 normal, 3 high (and 4 critical) map to 3, 5, 8, 10', () => {
    assert.deepEqual([1, 2, 3, 4].map((priority) => only(withEvent({ priority })).severity), [3, 5, 8, 10]);
    assert.equal(only({ ...bruteForce, event: omit(bruteForce.event, 'priority') }).severity, 5);
  });
});

describe('graylog source: malformed bodies are a 400 naming the notification\'s path', () => {
  const untitled = omit(bruteForce, 'event_definition_title');
  const cases: ReadonlyArray<[name: string, body: unknown, paths: string[]]> = [
    ['no title', untitled, ['event_definition_title']],
    ['no event', omit(bruteForce, 'event'), ['event']],
    ['an event without an id', { ...bruteForce, event: omit(bruteForce.event, 'id') }, ['event.id']],
    ['a timestamp that is no time', withEvent({ timestamp: 'yesterday' }), ['event.timestamp']],
    ['a priority as text', withEvent({ priority: 'high' }), ['event.priority']],
    ['event fields as a list', withEvent({ fields: ['source_ip'] }), ['event.fields']],
    ['an event field that is a number', withEvent({ fields: { count: 12 } }), ['event.fields.count']],
    ['group-by fields as text', withEvent({ group_by_fields: 'source_ip=203.0.113.44' }), ['event.group_by_fields']],
    ['a backlog that is an object', { ...bruteForce, backlog: bruteForce.backlog[0] }, ['backlog']],
    ['a backlog message whose fields are text', { ...bruteForce, backlog: [{ ...bruteForce.backlog[0], fields: 'source_ip=203.0.113.44' }] }, ['backlog[0].fields']],
    ['an array names the body at fault', [bruteForce, untitled], ['[1].event_definition_title']],
    ['not an object', 'SSH brute force', ['(body)']],
  ];
  for (const [name, body, paths] of cases) {
    test(name, () => assert.deepEqual(rejectedPaths('graylog', body), paths));
  }
});
