import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeAlerts } from '../../../api/sources/index.ts';
import { findPlaybook } from '../../../playbooks/index.ts';
import { rejectedPaths } from './rejection.ts';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');

// The Webhook action's default message body template (Falcon LogScale, Action Type: Webhook,
// https://library.humio.com/data-analysis/automated-actions-webhooks.html, placeholders from
// https://library.humio.com/data-analysis/automated-actions-message-template.html), rendered for an alert whose query
// is `#event=sshd_failed | groupBy([src_ip, user])`: aggregate rows carry the grouped fields and `_count`, no `@id`.
const rendered = {
  repository: 'security',
  timestamp: '2024-05-01T11:58:30.120Z',
  alert: {
    name: 'SSH failed logins',
    description: 'More than 10 failed SSH logins from one address in 10 minutes',
    query: { queryString: '#event=sshd_failed | groupBy([src_ip, user]) | _count > 10 ', end: 'now', start: '10m' },
    notifierID: 'BTkuj8QArhIFMh_L39FoN0tnyTUEXplc',
    id: 'dIn3uuIvY4Gz90Bt2Dn2mVtDuB11ZUl2',
    linkURL: 'https://cloud.humio.com/security/search?query=…',
  },
  warnings: '',
  events: [
    { src_ip: '203.0.113.44', user: 'root', _count: '42' },
    { src_ip: '2001:DB8::44', user: 'admin', _count: '11' },
  ],
  numberOfEvents: 2,
};
const mapped = { sources: { humio: { types: { 'alert:SSH failed logins': 'auth.failure' } } } };

describe('humio source: the LogScale action\'s own JSON', () => {
  test('the default template, mapped in the policy: one auth.failure per event, for the brute-force playbook', () => {
    const alerts = normalizeAlerts('humio', rendered, receivedAt, mapped);
    assert.deepEqual(alerts.map((a) => [a.type, a.sourceIp, a.user, a.count, a.occurredAt, a.description]), [
      ['auth.failure', '203.0.113.44', 'root', 42, '2024-05-01T11:58:30.120Z', 'SSH failed logins: More than 10 failed SSH logins from one address in 10 minutes'],
      ['auth.failure', '2001:db8::44', 'admin', 11, '2024-05-01T11:58:30.120Z', 'SSH failed logins: More than 10 failed SSH logins from one address in 10 minutes'],
    ]);
    assert.deepEqual(alerts.map((a) => findPlaybook(a)?.name), ['brute-force', 'brute-force']);
    assert.deepEqual(alerts[0]?.raw, { src_ip: '203.0.113.44', user: 'root', _count: 42 }, 'raw is the event');
  });

  test('an unmapped alert passes through as humio.<alert name> and matches no playbook', () => {
    const alerts = normalizeAlerts('humio', rendered, receivedAt);
    assert.deepEqual(alerts.map((a) => a.type), ['humio.ssh-failed-logins', 'humio.ssh-failed-logins']);
    assert.deepEqual(alerts.map((a) => findPlaybook(a)), [undefined, undefined]);
  });

  test('an aggregate row\'s id is a digest of the trigger, the firing and the row: a redelivery repeats it, a later firing does not', () => {
    const ids = (body: unknown) => normalizeAlerts('humio', body, receivedAt, mapped).map((a) => a.id);
    const first = ids(rendered);
    assert.match(first[0]!, /^humio:[0-9a-f]{32}$/);
    assert.notEqual(first[0], first[1]);
    assert.deepEqual(ids(structuredClone(rendered)), first);
    assert.notDeepEqual(ids({ ...rendered, timestamp: '2024-05-01T12:08:30.120Z' }), first);
  });

  test('raw events keep their @id, and their @timestamp (milliseconds, as a number or as text) is when they happened', () => {
    const alerts = normalizeAlerts('humio', { ...rendered, events: [
      { '@id': 'vLd0hUnQSsjnYHrmJBXZ_0_1_1714564740', '@timestamp': 1714564740000, 'source.ip': '198.51.100.20', 'user.name': 'alice', 'host.name': 'Bastion01' },
      { '@id': 'vLd0hUnQSsjnYHrmJBXZ_0_2_1714564741', '@timestamp': '1714564741500', ip: '198.51.100.21', username: 'bob', hostname: 'bastion02' },
    ] }, receivedAt, mapped);
    assert.deepEqual(alerts.map((a) => [a.id, a.occurredAt, a.sourceIp, a.user, a.host, a.count]), [
      ['vLd0hUnQSsjnYHrmJBXZ_0_1_1714564740', '2024-05-01T11:59:00.000Z', '198.51.100.20', 'alice', 'bastion01', 1],
      ['vLd0hUnQSsjnYHrmJBXZ_0_2_1714564741', '2024-05-01T11:59:01.500Z', '198.51.100.21', 'bob', 'bastion02', 1],
    ]);
  });

  test('src_ip is read before source.ip and ip; a user or host that names no entity is left out', () => {
    const [alert] = normalizeAlerts('humio', { ...rendered, events: [{ src_ip: '198.51.100.1', 'source.ip': '198.51.100.2', ip: '198.51.100.3', user: 'John Smith', host: '10.0.0.5' }] }, receivedAt, mapped);
    assert.deepEqual([alert?.sourceIp, alert?.user, alert?.host], ['198.51.100.1', undefined, undefined]);
  });

  test('a row\'s severity on Riposte\'s 1–10 scale is the alert\'s; a log\'s own severity field is not, and refuses nothing', () => {
    const alerts = normalizeAlerts('humio', { ...rendered, events: [
      { src_ip: '198.51.100.1', severity: '8' },
      { src_ip: '198.51.100.2', severity: 9 },
      { src_ip: '198.51.100.3', severity: 'err' },
      { src_ip: '198.51.100.4', severity: '11' },
    ] }, receivedAt, mapped);
    assert.deepEqual(alerts.map((a) => a.severity), [8, 9, 5, 5]);
    assert.equal(alerts[2]?.raw?.severity, 'err');
  });

  test('a template naming the placeholders at the top level is read the same way', () => {
    const flat = { alert_name: 'SSH failed logins', alert_id: 'dIn3uuIvY4Gz90Bt2Dn2mVtDuB11ZUl2', alert_description: 'from a flat template', timestamp: rendered.timestamp, events: rendered.events };
    const alerts = normalizeAlerts('humio', flat, receivedAt, mapped);
    assert.deepEqual(alerts.map((a) => [a.type, a.sourceIp, a.description]), [
      ['auth.failure', '203.0.113.44', 'SSH failed logins: from a flat template'],
      ['auth.failure', '2001:db8::44', 'SSH failed logins: from a flat template'],
    ]);
  });

  test('without a usable trigger time, an aggregate row happened when it arrived', () => {
    const [alert] = normalizeAlerts('humio', { ...rendered, timestamp: 'last Tuesday' }, receivedAt, mapped);
    assert.equal(alert?.occurredAt, receivedAt.toISOString());
  });

  test('the seed template still reads as before', () => {
    const [alert] = normalizeAlerts('humio', { hostname: 'dc01', ip: '203.0.113.7' }, receivedAt);
    assert.deepEqual([alert?.type, alert?.sourceIp, alert?.host], ['auth.failure', '203.0.113.7', 'dc01']);
  });
});

describe('humio source: malformed action JSON is refused with the vendor path', () => {
  const withEvents = (...events: unknown[]) => ({ ...rendered, events });
  const cases: ReadonlyArray<[name: string, body: unknown, paths: string[]]> = [
    ['no alert name', { ...rendered, alert: undefined }, ['alert.name']],
    ['the alert name as a number', { ...rendered, alert: { ...rendered.alert, name: 7 } }, ['alert.name']],
    ['events as text ({events_str} where {events} belongs)', { ...rendered, events: JSON.stringify(rendered.events) }, ['events']],
    ['an event that is text', withEvents('src_ip=203.0.113.44'), ['events[0]']],
    ['an address as a number', withEvents(rendered.events[0], { src_ip: 3405803783 }), ['events[1].src_ip']],
    ['an ambiguous address', withEvents({ ip: '0x7f.1' }), ['events[0].ip']],
    ['a count with a sign', withEvents({ src_ip: '203.0.113.44', _count: '-3' }), ['events[0]._count']],
    ['a @timestamp in words', withEvents({ src_ip: '203.0.113.44', '@timestamp': 'yesterday' }), ['events[0].@timestamp']],
    ['a @timestamp past year 9999', withEvents({ src_ip: '203.0.113.44', '@timestamp': 253_402_300_800_000 }), ['events[0].@timestamp']],
    ['a user as an object', withEvents({ src_ip: '203.0.113.44', user: { name: 'root' } }), ['events[0].user']],
    ['a count of 0', withEvents({ src_ip: '203.0.113.44', _count: '0' }), ['events[0]._count']],
    ['no events at all', withEvents(), ['(body)']],
  ];
  for (const [name, body, paths] of cases) {
    test(name, () => assert.deepEqual(rejectedPaths('humio', body, mapped), paths));
  }
});
