import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeAlerts, type NormalizeOptions } from '../../../api/sources/index.ts';
import { findPlaybook } from '../../../playbooks/index.ts';
import { rejectedPaths } from './rejection.ts';

const omit = (object: object, ...keys: string[]): Record<string, unknown> => Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
const receivedAt = new Date('2024-05-01T12:00:00.000Z');
const only = (body: unknown, options?: NormalizeOptions) => {
  const alerts = normalizeAlerts('splunk', body, receivedAt, options);
  assert.equal(alerts.length, 1);
  return alerts[0]!;
};

// The example payload of Splunk's "Use a webhook alert action" page (Alerting Manual, "Webhook data payload").
const documented = {
  result: { sourcetype: 'mongod', count: '8' },
  sid: 'scheduler_admin_search_W2_at_14232356_132',
  results_link: 'http://web.example.local:8000/app/search/@go?sid=scheduler_admin_search_W2_at_14232356_132',
  search_name: null,
  owner: 'admin',
  app: 'search',
};

// Splunk ES's correlation search "Access - Brute Force Access Behavior Detected - Rule" with a webhook action: its
// result row is the search's output, `| tstats values(Authentication.app) as app, count(eval(action=="failure")) as
// failure, count(eval(action=="success")) as success ... by Authentication.src`, a multivalue field as a list.
const esBruteForce = {
  result: { app: ['sshd', 'win:remote'], failure: '250', success: '1', src: '203.0.113.50', urgency: 'high' },
  sid: 'scheduler__admin_RGEtRVNTLUFjY2Vzc1Byb3RlY3Rpb24__RMD5a1b2c3d4e5f6_at_1714564800_81',
  results_link: 'https://splunk.example.com:8000/app/SplunkEnterpriseSecuritySuite/@go?sid=scheduler__admin_RGEtRVNTLUFjY2Vzc1Byb3RlY3Rpb24__RMD5a1b2c3d4e5f6_at_1714564800_81',
  search_name: 'Access - Brute Force Access Behavior Detected - Rule',
  owner: 'admin',
  app: 'SplunkEnterpriseSecuritySuite',
};

// A saved search over raw sshd logs, its first result row as the webhook sends it: every field text, `_time` in
// epoch seconds, Splunk's internal multivalue `_si` a list.
const rawEvent = {
  result: {
    _time: '1714564800',
    _raw: 'May  1 12:00:00 web01 sshd[2404]: Accepted password for alice from 198.51.100.7 port 2011 ssh2',
    _si: ['splunk01', 'main'],
    host: 'web01',
    source: '/var/log/auth.log',
    sourcetype: 'linux_secure',
    src_ip: '198.51.100.7',
    user: 'alice',
    action: 'success',
  },
  sid: 'scheduler__admin__search__RMD5ssh_logins_at_1714564860_3',
  results_link: 'https://splunk.example.com:8000/app/search/@go?sid=scheduler__admin__search__RMD5ssh_logins_at_1714564860_3',
  search_name: 'SSH logins',
  owner: 'admin',
  app: 'search',
};

describe('splunk source: the webhook alert action body', () => {
  test('the documented payload passes through: no saved name, no entities, its count kept', () => {
    const alert = only(documented);
    assert.deepEqual({ ...alert, raw: undefined, id: undefined }, {
      id: undefined,
      source: 'splunk',
      type: 'splunk.unnamed',
      severity: 5,
      description: 'Splunk search',
      count: 8,
      occurredAt: receivedAt.toISOString(),
      raw: undefined,
    });
    assert.match(alert.id, /^scheduler_admin_search_W2_at_14232356_132:[0-9a-f]{16}$/);
    assert.deepEqual(alert.raw, documented);
    assert.equal(findPlaybook(alert), undefined);
  });

  test('Splunk ES\'s brute-force correlation search is an auth.failure for its source, counting its failures', () => {
    const alert = only(esBruteForce);
    assert.deepEqual([alert.type, alert.sourceIp, alert.count, alert.severity], ['auth.failure', '203.0.113.50', 250, 8]);
    assert.equal(findPlaybook(alert)?.name, 'brute-force');
  });

  test('a raw event\'s row gives its time, address, account and host', () => {
    const alert = only(rawEvent, { sources: { splunk: { types: { 'search:SSH logins': 'auth.success' } } } });
    assert.deepEqual(
      [alert.type, alert.occurredAt, alert.sourceIp, alert.user, alert.host, alert.description],
      ['auth.success', '2024-05-01T12:00:00.000Z', '198.51.100.7', 'alice', 'web01', 'SSH logins'],
    );
    assert.equal(findPlaybook(alert)?.name, 'impossible-travel');
  });
});

describe('splunk source: field names', () => {
  const row = (result: Record<string, unknown>) => only({ ...rawEvent, result });

  test('the first field that holds a usable value wins: src holding a host name gives way to clientip', () => {
    assert.equal(row({ src: 'laptop-17.corp.example', clientip: '203.0.113.77' }).sourceIp, '203.0.113.77');
    assert.equal(row({ src_ip: '203.0.113.1', src: '203.0.113.2' }).sourceIp, '203.0.113.1');
  });

  test('user before src_user, dest before host', () => {
    const alert = row({ user: 'bob', src_user: 'admin', dest: 'db01', host: 'splunk-forwarder' });
    assert.deepEqual([alert.user, alert.host], ['bob', 'db01']);
    assert.equal(row({ dest: '192.0.2.10', host: 'web01' }).host, 'web01', 'an address is no host name');
  });

  test('a multivalue field gives its first usable value', () => {
    assert.equal(row({ src: ['unknown', '198.51.100.99'] }).sourceIp, '198.51.100.99');
  });

  test('a _time the search reformatted is left out: the alert happened when it arrived', () => {
    assert.equal(row({ _time: '05/01/2024 12:00:00' }).occurredAt, receivedAt.toISOString());
    assert.equal(row({ _time: '2024-05-01T11:59:00.000+02:00' }).occurredAt, '2024-05-01T09:59:00.000Z');
    assert.equal(row({ _time: '1714564800.123456' }).occurredAt, '2024-05-01T12:00:00.123Z');
    assert.equal(row({ _time: '2024-05-01t12:00:00.987654321z' }).occurredAt, '2024-05-01T12:00:00.987Z');
  });

  test('urgency names the severity; a count that is no whole number is left out', () => {
    assert.equal(row({ urgency: 'critical' }).severity, 10);
    assert.equal(row({ count: 'many' }).count, 1);
    assert.equal(row({ count: '2000000' }).count, 1_000_000);
  });
});

describe('splunk source: ids', () => {
  test('one search triggering per result sends one body per row, under one sid: each row its own id', () => {
    const first = only(rawEvent).id;
    assert.equal(only(structuredClone(rawEvent)).id, first, 'a redelivery is the same alert');
    assert.notEqual(only({ ...rawEvent, result: { ...rawEvent.result, src_ip: '198.51.100.8' } }).id, first);
    assert.ok(first.startsWith(`${rawEvent.sid}:`));
  });
});

describe('splunk source: types', () => {
  test('the policy\'s mapping wins over the stock one', () => {
    const options = { sources: { splunk: { types: { 'search:Access - Brute Force Access Behavior Detected - Rule': 'auth.bruteforce' } } } };
    assert.equal(only(esBruteForce, options).type, 'auth.bruteforce');
  });

  test('a notable\'s rule_name is a key too, after the search name', () => {
    const notable = { ...rawEvent, search_name: 'Forward notables', result: { ...rawEvent.result, rule_name: 'Excessive Failed Logins' } };
    assert.equal(only(notable, { sources: { splunk: { types: { 'rule:Excessive Failed Logins': 'auth.failure' } } } }).type, 'auth.failure');
    assert.equal(only(notable).type, 'splunk.forward-notables');
  });
});

describe('splunk source: malformed bodies are a 400 naming the payload\'s path', () => {
  const sidless = omit(rawEvent, 'sid');
  const cases: ReadonlyArray<[name: string, body: unknown, paths: string[]]> = [
    ['no sid', sidless, ['sid']],
    ['a sid as a number', { ...rawEvent, sid: 1714564860 }, ['sid']],
    ['no result', omit(rawEvent, 'result'), ['result']],
    ['result as a list of rows', { ...rawEvent, result: [rawEvent.result] }, ['result']],
    ['result.src as a number', { ...rawEvent, result: { src: 3405803783 } }, ['result.src']],
    ['result.user as an object', { ...rawEvent, result: { user: { name: 'alice' } } }, ['result.user']],
    ['a list holding a number', { ...rawEvent, result: { src_ip: ['198.51.100.7', 7] } }, ['result.src_ip']],
    ['search_name as a number', { ...rawEvent, search_name: 5 }, ['search_name']],
    ['an array names the body at fault', [rawEvent, sidless], ['[1].sid']],
    ['not an object', 'sid=1', ['(body)']],
  ];
  for (const [name, body, paths] of cases) {
    test(name, () => assert.deepEqual(rejectedPaths('splunk', body), paths));
  }
});
