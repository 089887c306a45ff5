import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertSourceNamed, normalizeAlerts } from '../../../api/sources/index.ts';
import { findPlaybook } from '../../../playbooks/index.ts';
import { rejectedPaths } from './rejection.ts';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');

// The sample event delivery payload of Okta's event hooks page
// (https://developer.okta.com/docs/concepts/event-hooks/#sample-event-delivery-payload), its client address swapped
// for a documentation one.
const oktaSample = {
  eventType: 'com.okta.event_hook',
  eventTypeVersion: '1.0',
  cloudEventsVersion: '0.1',
  contentType: 'application/json',
  eventId: 'b5a188b9-5ece-4636-b041-482ffda96311',
  eventTime: '2019-03-27T16:59:53.032Z',
  source: 'https://{yourOktaDomain}/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3',
  data: {
    events: [{
      version: '0',
      severity: 'INFO',
      client: {
        zone: 'OFF_NETWORK',
        device: 'Unknown',
        userAgent: { os: 'Unknown', browser: 'UNKNOWN', rawUserAgent: 'UNKNOWN-DOWNLOAD' },
        ipAddress: '203.0.113.90',
      },
      actor: { id: '00u1qw6mqitPHM8AJ0g7', type: 'User', alternateId: 'admin@example.com', displayName: 'Example Admin' },
      outcome: { result: 'SUCCESS' },
      uuid: 'f790999f-fe87-467a-9880-6982a583986c',
      published: '2018-03-28T22:23:07.777Z',
      eventType: 'user.session.start',
      displayMessage: 'User login to Okta',
      transaction: { type: 'WEB', id: 'V04Oy4ubUOc5UuG6s9DyNQAABtc' },
      legacyEventType: 'core.user_auth.login_success',
      authenticationContext: { authenticationStep: 0, externalSessionId: '1013FfF-DKQSvCI4RVXChzX-w' },
    }],
  },
};
type LogEvent = Record<string, unknown>;
const sampleEvent: LogEvent = oktaSample.data.events[0]!;

const hook = (...events: LogEvent[]) => ({ ...oktaSample, data: { events } });
const event = (changes: LogEvent): LogEvent => ({ ...sampleEvent, ...changes });
// A failed sign-in as the System Log records one: the same event type, outcome FAILURE with Okta's reason.
const failure = (uuid: string, ipAddress = '203.0.113.90') => event({
  uuid,
  client: { ...(sampleEvent.client as object), ipAddress },
  outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
  legacyEventType: 'core.user_auth.login_failed',
});

describe('okta source: event hook deliveries', () => {
  test('the documented sample: a successful sign-in becomes auth.success, which the impossible-travel playbook takes', () => {
    const [alert, ...rest] = normalizeAlerts('okta', oktaSample, receivedAt);
    assert.equal(rest.length, 0);
    assert.ok(alert);
    assert.deepEqual({ ...alert, raw: undefined }, {
      id: 'f790999f-fe87-467a-9880-6982a583986c',
      source: 'okta',
      type: 'auth.success',
      severity: 2,
      description: 'User login to Okta (SUCCESS)',
      sourceIp: '203.0.113.90',
      user: 'admin@example.com',
      count: 1,
      occurredAt: '2018-03-28T22:23:07.777Z',
      raw: undefined,
    });
    assert.deepEqual(alert.raw, sampleEvent, 'raw is the event itself, not the hook envelope');
    assert.equal(findPlaybook(alert)?.name, 'impossible-travel');
  });

  test('failed sign-ins become one auth.failure each, on the brute-force playbook', () => {
    const alerts = normalizeAlerts('okta', hook(failure('e-1'), failure('e-2'), failure('e-3', '2001:DB8::7')), receivedAt);
    assert.deepEqual(alerts.map((a) => [a.id, a.type, a.sourceIp, a.user, a.description]), [
      ['e-1', 'auth.failure', '203.0.113.90', 'admin@example.com', 'User login to Okta (FAILURE: INVALID_CREDENTIALS)'],
      ['e-2', 'auth.failure', '203.0.113.90', 'admin@example.com', 'User login to Okta (FAILURE: INVALID_CREDENTIALS)'],
      ['e-3', 'auth.failure', '2001:db8::7', 'admin@example.com', 'User login to Okta (FAILURE: INVALID_CREDENTIALS)'],
    ]);
    assert.deepEqual(alerts.map((a) => findPlaybook(a)?.name), ['brute-force', 'brute-force', 'brute-force']);
  });

  test('a ThreatInsight detection is an auth.failure of the address it flags', () => {
    const [alert] = normalizeAlerts('okta', hook(event({
      uuid: 't-1', eventType: 'security.threat.detected', displayMessage: 'Request from suspicious actor', severity: 'WARN',
      actor: { id: 'unknown', type: 'User', alternateId: 'unknown', displayName: 'unknown' }, outcome: { result: 'DENY', reason: 'Password Spray' },
    })), receivedAt);
    assert.deepEqual([alert?.type, alert?.severity, alert?.sourceIp, alert?.description], ['auth.failure', 5, '203.0.113.90', 'Request from suspicious actor (DENY: Password Spray)']);
    assert.equal(alert && findPlaybook(alert)?.name, 'brute-force');
  });

  test('a user reporting suspicious activity is an account compromise of that user', () => {
    const [alert] = normalizeAlerts('okta', hook(event({ uuid: 'r-1', eventType: 'user.account.report_suspicious_activity_by_enduser', outcome: { result: 'SUCCESS' } })), receivedAt);
    assert.deepEqual([alert?.type, alert?.user], ['account.compromise', 'admin@example.com']);
    assert.equal(alert && findPlaybook(alert)?.name, 'account-compromise');
  });

  test('an unmapped event passes through as okta.<eventType> and matches no playbook; the policy maps it', () => {
    const lock = hook(event({ uuid: 'l-1', eventType: 'user.account.lock', displayMessage: 'Max sign in attempts exceeded', outcome: { result: 'SUCCESS' } }));
    const [unmapped] = normalizeAlerts('okta', lock, receivedAt);
    assert.equal(unmapped?.type, 'okta.user.account.lock');
    assert.equal(unmapped && findPlaybook(unmapped), undefined);
    const [mapped] = normalizeAlerts('okta', lock, receivedAt, { sources: { okta: { types: { 'event:user.account.lock': 'account.compromise' } } } });
    assert.deepEqual([mapped?.type, mapped?.user], ['account.compromise', 'admin@example.com']);
    assert.equal(mapped && findPlaybook(mapped)?.name, 'account-compromise');
  });

  test('the policy wins over the stock mapping, the event with its outcome before the event alone', () => {
    const types = { 'event:user.session.start': 'okta.sign-in', 'event:user.session.start:FAILURE': 'auth.bruteforce' };
    const alerts = normalizeAlerts('okta', hook(failure('p-1'), sampleEvent), receivedAt, { sources: { okta: { types } } });
    assert.deepEqual(alerts.map((a) => a.type), ['auth.bruteforce', 'okta.sign-in']);
  });

  test('an administrator acting on a user: the target user is the account, not the administrator', () => {
    const [alert] = normalizeAlerts('okta', hook(event({
      uuid: 'm-1', eventType: 'user.mfa.factor.deactivate', displayMessage: 'Reset factor for user',
      target: [{ id: '00u2', type: 'User', alternateId: 'Jane.Doe@Example.com', displayName: 'Jane Doe' }, { id: 'f1', type: 'Factor', alternateId: 'push' }],
    })), receivedAt);
    assert.equal(alert?.user, 'jane.doe@example.com');
  });

  test('no client address and an actor that is no user: the alert carries neither', () => {
    const [alert] = normalizeAlerts('okta', hook(event({
      uuid: 's-1', client: { ipAddress: null, device: 'Unknown' }, actor: { id: '0oa1', type: 'PublicClientApp', alternateId: 'my-app', displayName: 'My App' }, severity: null,
    })), receivedAt);
    assert.deepEqual([alert?.sourceIp, alert?.user, alert?.severity], [undefined, undefined, 5]);
  });

  test('a user name that names no account (a display name) is left out; the address still counts', () => {
    const [alert] = normalizeAlerts('okta', hook(event({ uuid: 'd-1', actor: { id: 'unknown', type: 'User', alternateId: 'Jane Doe' }, outcome: { result: 'FAILURE' } })), receivedAt);
    assert.deepEqual([alert?.user, alert?.sourceIp, alert?.type], [undefined, '203.0.113.90', 'auth.failure']);
  });
});

describe('okta source: malformed deliveries are refused with the vendor path', () => {
  const cases: ReadonlyArray<[name: string, body: unknown, paths: string[]]> = [
    ['an inline hook, not an event hook', { ...oktaSample, eventType: 'com.okta.oauth2.tokens.transform' }, ['eventType']],
    ['no data', { ...oktaSample, data: undefined }, ['data']],
    ['events at the top level instead of under data', { eventType: 'com.okta.event_hook', events: oktaSample.data.events }, ['data']],
    ['data.events an object', { ...oktaSample, data: { events: sampleEvent } }, ['data.events']],
    ['no events', hook(), ['data.events']],
    ['an event without its uuid', hook(event({ uuid: undefined })), ['data.events[0].uuid']],
    ['published not a time', hook(event({ published: 'yesterday' })), ['data.events[0].published']],
    ['an address as a number', hook(sampleEvent, event({ client: { ipAddress: 3405803783 } })), ['data.events[1].client.ipAddress']],
    ['an ambiguous address', hook(event({ client: { ipAddress: '010.0.0.1' } })), ['data.events[0].client.ipAddress']],
    ['a severity Okta has not', hook(event({ severity: 'CRITICAL' })), ['data.events[0].severity']],
    ['an outcome as text', hook(event({ outcome: 'SUCCESS' })), ['data.events[0].outcome']],
    ['targets as an object', hook(event({ target: { type: 'User' } })), ['data.events[0].target']],
    ['one bad event in an array of deliveries', [oktaSample, hook(event({ uuid: '' }))], ['[1].data.events[0].uuid']],
  ];
  for (const [name, body, paths] of cases) {
    test(name, () => assert.deepEqual(rejectedPaths('okta', body), paths));
  }
});

describe('okta source: the one-time verification', () => {
  const okta = alertSourceNamed('okta')!;
  const headers = (values: Record<string, string>) => (name: string) => values[name.toLowerCase()];

  test('the challenge of Okta\'s support article is answered verbatim', () => {
    // https://support.okta.com/help/s/article/Unable-to-verify-event-hook-Hook-hook-name-execution-failed
    const challenge = 'Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg';
    assert.deepEqual(okta.verification?.(headers({ 'x-okta-verification-challenge': challenge })), { verification: challenge });
  });

  test('a request without the header is no verification', () => {
    assert.equal(okta.verification?.(headers({})), undefined);
  });

  for (const value of ['', 'short', 'with spaces in it', '<script>alert(1)</script>', 'x'.repeat(257), '"quoted-value-here"']) {
    test(`an implausible challenge (${JSON.stringify(value.slice(0, 30))}) is not echoed`, () => {
      assert.equal(okta.verification?.(headers({ 'x-okta-verification-challenge': value })), undefined);
    });
  }

  test('sources with no such check have no verification', () => {
    assert.equal(alertSourceNamed('humio')?.verification, undefined);
    assert.equal(alertSourceNamed('sentinel')?.verification, undefined);
  });
});
