import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nested } from '../../../api/sources/elastic.ts';
import { normalizeAlerts, type NormalizeOptions } from '../../../api/sources/index.ts';
import { findPlaybook } from '../../../playbooks/index.ts';
import { rejectedPaths } from './rejection.ts';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');
const normalize = (body: unknown, options?: NormalizeOptions) => normalizeAlerts('elastic', body, receivedAt, options);
const only = (body: unknown, options?: NormalizeOptions) => {
  const alerts = normalize(body, options);
  assert.equal(alerts.length, 1);
  return alerts[0]!;
};

// An Elastic Security alert document as `{{context.alerts}}` hands it to a rule action: Kibana's own fields dotted
// (the alert schema, https://www.elastic.co/guide/en/security/current/alert-schema.html), the source event's ECS
// fields nested as the event was indexed, here a Windows 4625 caught by the prebuilt rule "Multiple Logon Failure from
// the same Source Address" (rule_id 48b6edfc-079d-4907-b43c-baffa243270d in elastic/detection-rules), trimmed, with a
// documentation address.
const logonFailures = {
  '@timestamp': '2025-06-02T07:08:52.979Z',
  'kibana.alert.uuid': '10da92e0b4351ac7b6a3460814f87d13204b7dad67818290dadffdbfff7482b1',
  'kibana.alert.rule.name': 'Multiple Logon Failure from the same Source Address',
  'kibana.alert.rule.uuid': '0945c418-c530-45ea-b998-02350c260c5b',
  'kibana.alert.rule.rule_id': '48b6edfc-079d-4907-b43c-baffa243270d',
  'kibana.alert.rule.type': 'eql',
  'kibana.alert.rule.category': 'Event Correlation Rule',
  'kibana.alert.severity': 'medium',
  'kibana.alert.risk_score': 47,
  'kibana.alert.workflow_status': 'open',
  'kibana.alert.original_time': '2025-06-02T07:08:52.956Z',
  'kibana.alert.reason': 'authentication event with source 203.0.113.101 by denny on desktop-niu0ucp created medium alert Multiple Logon Failure from the same Source Address.',
  'kibana.alert.original_event.action': 'logon-failed',
  'kibana.alert.original_event.category': ['authentication'],
  'kibana.alert.original_event.outcome': 'failure',
  'kibana.space_ids': ['default'],
  'event.kind': 'signal',
  event: { code: '4625', action: 'logon-failed', category: ['authentication'], outcome: 'failure', module: 'system' },
  source: { ip: '203.0.113.101', domain: 'WORKSTATION' },
  user: { domain: '.', name: 'denny', id: 'S-1-0-0' },
  host: { hostname: 'DESKTOP-NIU0UCP', name: 'desktop-niu0ucp', os: { type: 'windows' } },
  winlog: { event_id: '4625', logon: { type: 'Network' } },
};
type Doc = Record<string, unknown>;
const doc = (changes: Doc): Doc => ({ ...logonFailures, ...changes });
const without = (...keys: (keyof typeof logonFailures)[]): Doc => Object.fromEntries(Object.entries(logonFailures).filter(([key]) => !keys.includes(key as keyof typeof logonFailures)));

describe('elastic source: alert documents', () => {
  test('the documented alert becomes an auth.failure for its address, which the brute-force playbook takes', () => {
    const alert = only(logonFailures);
    assert.deepEqual({ ...alert, raw: undefined }, {
      id: '10da92e0b4351ac7b6a3460814f87d13204b7dad67818290dadffdbfff7482b1',
      source: 'elastic',
      type: 'auth.failure',
      severity: 5,
      description: logonFailures['kibana.alert.reason'],
      sourceIp: '203.0.113.101',
      user: 'denny',
      host: 'desktop-niu0ucp',
      count: 1,
      occurredAt: '2025-06-02T07:08:52.956Z',
      raw: undefined,
    });
    assert.equal(findPlaybook(alert)?.name, 'brute-force');
  });

  test('raw keeps the document with its dotted keys folded, as Elasticsearch reads it', () => {
    const raw = only(logonFailures).raw as { kibana: { alert: { rule: { name: string } } }; event: Doc; winlog: Doc };
    assert.equal(raw.kibana.alert.rule.name, logonFailures['kibana.alert.rule.name']);
    assert.deepEqual(raw.event, { ...logonFailures.event, kind: 'signal' });
    assert.deepEqual(raw.winlog, logonFailures.winlog);
  });

  test('a document past 8 KiB keeps its event\'s fields in raw, its rule\'s investigation guide cut', () => {
    const raw = only(doc({ 'kibana.alert.rule.note': `## Triage and analysis\n${'x'.repeat(20_000)}`, 'kibana.alert.rule.parameters': { risk_score: 47 } })).raw!;
    assert.equal(raw.truncated, true);
    const json = raw.json as string;
    for (const kept of ['"source":{"ip":"203.0.113.101"', '"user":{', '"uuid":"10da92e0', '"name":"Multiple Logon Failure']) {
      assert.ok(json.includes(kept), kept);
    }
    assert.ok(json.indexOf('"note"') > json.indexOf('"source"'));
  });

  test('dotted, nested and mixed spellings of one document give one alert', () => {
    const dotted: Doc = { ...without('source'), 'source.ip': '203.0.113.101', 'user.name': 'denny', 'host.name': 'desktop-niu0ucp' };
    delete dotted.user;
    delete dotted.host;
    const nestedDoc = nested(logonFailures);
    const expected = { ...only(logonFailures), raw: undefined };
    assert.deepEqual({ ...only(dotted), raw: undefined }, expected);
    assert.deepEqual({ ...only(nestedDoc), raw: undefined }, expected);
  });

  test('the alert happened at the source event\'s time, else the alert\'s, else when it arrived', () => {
    assert.equal(only(without('kibana.alert.original_time')).occurredAt, '2025-06-02T07:08:52.979Z');
    assert.equal(only(without('@timestamp', 'kibana.alert.original_time')).occurredAt, receivedAt.toISOString());
  });

  test('a threshold rule\'s count is the alert\'s count', () => {
    const threshold = doc({
      'kibana.alert.rule.name': 'Potential macOS SSH Brute Force Detected',
      'kibana.alert.rule.rule_id': 'ace1e989-a541-44df-93a8-a8b0591b63c0',
      'kibana.alert.rule.type': 'threshold',
      'kibana.alert.threshold_result': { terms: [{ field: 'host.id', value: 'abc' }], count: 37, from: '2025-06-02T07:00:00.000Z' },
    });
    assert.deepEqual([only(threshold).type, only(threshold).count], ['auth.failure', 37]);
  });

  test('values that name no entity are left out and the alert is kept', () => {
    const alert = only(doc({ source: { ip: 'not-an-address' }, user: { name: 'Denny "Admin" D.' }, host: { name: 'desktop 01' } }));
    assert.deepEqual([alert.sourceIp, alert.user, alert.host], [undefined, undefined, undefined]);
  });

  test('a field held as a list gives its first usable value', () => {
    assert.equal(only(doc({ source: { ip: ['-', '198.51.100.4', '203.0.113.9'] } })).sourceIp, '198.51.100.4');
  });
});

describe('elastic source: the forms a webhook body takes', () => {
  const second = doc({ 'kibana.alert.uuid': 'second-alert', source: { ip: '198.51.100.20' } });

  test('{ "alerts": {{{context.alerts}}} } gives one alert per document, in order', () => {
    const alerts = normalize({ alerts: [logonFailures, second] });
    assert.deepEqual(alerts.map((a) => [a.id, a.sourceIp]), [[logonFailures['kibana.alert.uuid'], '203.0.113.101'], ['second-alert', '198.51.100.20']]);
  });

  test('a top-level array of documents gives one alert per document', () => {
    assert.deepEqual(normalize([logonFailures, second]).map((a) => a.id), [logonFailures['kibana.alert.uuid'], 'second-alert']);
  });

  test('a search hit is read through its _source, its _id naming an alert without kibana.alert.uuid', () => {
    const hit = { _index: '.internal.alerts-security.alerts-default-000001', _id: 'hit-id-1', _score: 1, _source: without('kibana.alert.uuid') };
    assert.equal(only(hit).id, 'hit-id-1');
    assert.equal(only({ alerts: [hit] }).sourceIp, '203.0.113.101');
    assert.equal(only(hit).raw?._index, undefined, 'raw is the document, not the hit');
  });

  test('a document with neither is named by its fields, stably', () => {
    const anonymous = without('kibana.alert.uuid');
    assert.match(only(anonymous).id, /^elastic:[0-9a-f]{32}$/);
    assert.equal(only(structuredClone(anonymous)).id, only(anonymous).id);
    assert.notEqual(only({ ...anonymous, source: { ip: '198.51.100.1' } }).id, only(anonymous).id);
  });
});

describe('elastic source: severity', () => {
  test('the risk score sets it, on Elastic\'s own bands (low 21, medium 47, high 73, critical 99)', () => {
    const at = (risk: number) => only(doc({ 'kibana.alert.risk_score': risk })).severity;
    assert.deepEqual([0, 21, 47, 73, 99, 100].map(at), [1, 3, 5, 8, 10, 10]);
  });

  test('without a risk score the severity name sets it, and without either the default holds', () => {
    const named = (severity: string) => only({ ...without('kibana.alert.risk_score'), 'kibana.alert.severity': severity }).severity;
    assert.deepEqual(['low', 'medium', 'high', 'critical', 'unheard-of'].map(named), [3, 5, 8, 10, 5]);
  });
});

describe('elastic source: types', () => {
  test('a prebuilt rule is known by its rule_id whatever it is called here, and by its name when copied', () => {
    assert.equal(only(doc({ 'kibana.alert.rule.name': 'Renamed locally' })).type, 'auth.failure');
    assert.equal(only(doc({ 'kibana.alert.rule.rule_id': 'my-copy', 'kibana.alert.rule.uuid': 'my-copy' })).type, 'auth.failure');
  });

  test('the policy\'s mapping wins over the stock one', () => {
    const options = { sources: { elastic: { types: { 'rule:Multiple Logon Failure from the same Source Address': 'auth.bruteforce' } } } };
    assert.equal(only(logonFailures, options).type, 'auth.bruteforce');
  });

  test('the policy may map a custom rule\'s event action or category and outcome', () => {
    const custom = doc({ 'kibana.alert.rule.name': 'Our VPN failures', 'kibana.alert.rule.rule_id': 'ours', 'kibana.alert.rule.uuid': 'ours' });
    assert.equal(only(custom, { sources: { elastic: { types: { 'action:logon-failed': 'auth.failure' } } } }).type, 'auth.failure');
    assert.equal(only(custom, { sources: { elastic: { types: { 'category:authentication:failure': 'login.failure' } } } }).type, 'login.failure');
  });

  test('an unmapped rule passes through as elastic.<rule name>', () => {
    const custom = doc({ 'kibana.alert.rule.name': 'Suspicious PowerShell Download', 'kibana.alert.rule.rule_id': 'x', 'kibana.alert.rule.uuid': 'x' });
    assert.equal(only(custom).type, 'elastic.suspicious-powershell-download');
    assert.equal(findPlaybook(only(custom)), undefined);
  });

  test('a click on a URL, mapped by the policy, is a phishing click by the user', () => {
    const click = doc({
      'kibana.alert.rule.name': 'Proxy: click on a known phishing URL',
      'kibana.alert.rule.rule_id': 'proxy-phish',
      'kibana.alert.rule.uuid': 'proxy-phish',
      user: { name: 'alice@example.org' },
      url: { full: 'https://login.example.net/verify?id=1', domain: 'login.example.net' },
    });
    const alert = only(click, { sources: { elastic: { types: { 'rule:Proxy: click on a known phishing URL': 'phishing.click' } } } });
    assert.deepEqual([alert.user, alert.url, alert.domain], ['alice@example.org', 'https://login.example.net/verify?id=1', 'login.example.net']);
    assert.equal(findPlaybook(alert)?.name, 'phishing');
  });
});

describe('elastic source: dotted keys', () => {
  test('a `__proto__` key is a field like any other, never an object\'s prototype', () => {
    const folded = nested(JSON.parse('{"__proto__.polluted": "yes", "a": {"__proto__": {"polluted": "yes"}}}')) as Record<string, Record<string, unknown>>;
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(folded), Object.prototype);
    assert.deepEqual(Object.keys(folded), ['__proto__', 'a']);
    assert.equal(Object.getOwnPropertyDescriptor(folded, '__proto__')?.value.polluted, 'yes');
  });

  test('a value where the other spelling has sub-fields is refused at that path, in either order', () => {
    assert.deepEqual(rejectedPaths('elastic', doc({ source: '203.0.113.101', 'source.ip': '203.0.113.101' })), ['source']);
    assert.deepEqual(rejectedPaths('elastic', { 'source.ip': '203.0.113.101', ...doc({ source: '203.0.113.101' }) }), ['source']);
  });
});

describe('elastic source: malformed bodies are a 400 naming the document\'s path', () => {
  const cases: ReadonlyArray<[name: string, body: unknown, paths: string[]]> = [
    ['no rule name', without('kibana.alert.rule.name'), ['kibana.alert.rule.name']],
    ['the second document of an array without a rule name', [logonFailures, without('kibana.alert.rule.name')], ['[1].kibana.alert.rule.name']],
    ['the second alert of the list without a rule name', { alerts: [logonFailures, without('kibana.alert.rule.name')] }, ['alerts[1].kibana.alert.rule.name']],
    ['a rule name as a number', doc({ 'kibana.alert.rule.name': 42 }), ['kibana.alert.rule.name']],
    ['kibana.alert as text', { ...without('kibana.alert.rule.name'), kibana: { alert: 'high' } }, ['kibana.alert']],
    ['a risk score as text', doc({ 'kibana.alert.risk_score': '47' }), ['kibana.alert.risk_score']],
    ['a risk score past 100', doc({ 'kibana.alert.risk_score': 470 }), ['kibana.alert.risk_score']],
    ['source as an address instead of an object', doc({ source: '203.0.113.101' }), ['source']],
    ['user.name as a number', doc({ user: { name: 7 } }), ['user.name']],
    ['a timestamp without a zone', doc({ '@timestamp': '2025-06-02 07:08:52' }), ['@timestamp']],
    ['an empty alerts list', { alerts: [] }, ['alerts']],
    ['alerts as an object', { alerts: logonFailures }, ['alerts']],
    ['a hit whose _source is text', { _id: 'x', _source: 'kibana.alert.rule.name=x' }, ['_source']],
    ['a hit in the list whose document is broken', { alerts: [{ _id: 'x', _source: doc({ 'kibana.alert.risk_score': 'high' }) }] }, ['alerts[0]._source.kibana.alert.risk_score']],
    ['not an object', 'Multiple Logon Failure', ['(body)']],
  ];
  for (const [name, body, paths] of cases) {
    test(name, () => assert.deepEqual(rejectedPaths('elastic', body), paths));
  }
});
