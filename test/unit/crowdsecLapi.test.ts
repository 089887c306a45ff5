import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertFor, CROWDSEC_ORIGIN, CROWDSEC_SCENARIO, parseGoDuration, riposteDecisions } from '../../activities/enforce/crowdsecEnforcer.ts';
import { canonicalCidr } from '../../domain/ip.ts';

const NOW = Date.parse('2026-12-02T05:19:24Z');

test('Go durations as the LAPI prints the time left: rounded (1.5+), to the nanosecond (1.4), negative once expired', () => {
  assert.equal(parseGoDuration('59m58s'), 3_598_000);
  assert.equal(parseGoDuration('1h0m0s'), 3_600_000);
  assert.equal(parseGoDuration('719h59m59s'), 2_591_999_000);
  assert.equal(parseGoDuration('59m59.357420104s'), 3_599_357.420104);
  assert.equal(parseGoDuration('-74.574156ms'), -74.574156);
  assert.equal(parseGoDuration('-2s'), -2_000);
  assert.equal(parseGoDuration('1.5µs'), 0.0015);
  assert.equal(parseGoDuration('0s'), 0);
  assert.equal(parseGoDuration('0'), 0);
  for (const text of ['', '4h ', 'soon', '1d', '1h-2m', 'h', '--1s', '3600']) assert.equal(parseGoDuration(text), undefined, text);
});

test('only Riposte\'s active bans are read from GET /v1/alerts, canonical, with their expiry', () => {
  const ours = { origin: CROWDSEC_ORIGIN, scenario: CROWDSEC_SCENARIO, type: 'ban' };
  const alerts = [
    { id: 1, scenario: CROWDSEC_SCENARIO, decisions: [{ ...ours, id: 11, scope: 'Ip', value: '192.0.2.7', duration: '59m58s' }] },
    {
      id: 2,
      scenario: CROWDSEC_SCENARIO,
      decisions: [
        { ...ours, id: 21, scope: 'Range', value: '2001:0db8:0001::/64', duration: '1m0.5s' },
        { ...ours, id: 22, scope: 'Ip', value: '192.0.2.8', duration: '-1.2s' },
        { ...ours, id: 23, scope: 'Ip', value: '192.0.2.9', duration: '0s' },
        { ...ours, id: 24, origin: 'cscli', scope: 'Ip', value: '192.0.2.10', duration: '1h' },
        { ...ours, id: 25, scenario: 'crowdsecurity/ssh-bf', scope: 'Ip', value: '192.0.2.11', duration: '1h' },
        { ...ours, id: 26, type: 'captcha', scope: 'Ip', value: '192.0.2.12', duration: '1h' },
        { ...ours, id: 27, scope: 'Ip', value: 'not an address', duration: '1h' },
        { ...ours, scope: 'Ip', value: '192.0.2.13', duration: '1h' },
      ],
    },
    { id: 3, decisions: null },
    null,
  ];
  assert.deepEqual(riposteDecisions(alerts, NOW), [
    { id: 11, address: '192.0.2.7', expiresAt: NOW + 3_598_000 },
    { id: 21, address: '2001:db8:1::/64', expiresAt: NOW + 60_500 },
  ]);
  assert.deepEqual(riposteDecisions(null, NOW), [], 'the LAPI answers null when nothing matches');
  assert.deepEqual(riposteDecisions({ message: 'oops' }, NOW), []);
});

test('a block\'s alert: one ban decision, scope Ip or Range, ending exactly at the expiry', () => {
  const address = alertFor(canonicalCidr('192.0.2.7'), NOW + 3_600_000, NOW);
  assert.deepEqual(address, {
    scenario: CROWDSEC_SCENARIO,
    scenario_hash: '',
    scenario_version: '',
    message: 'Riposte blocks 192.0.2.7 until 2026-12-02T06:19:24.000Z',
    events_count: 1,
    start_at: '2026-12-02T05:19:24.000Z',
    stop_at: '2026-12-02T05:19:24.000Z',
    capacity: 0,
    leakspeed: '0',
    simulated: false,
    events: [],
    source: { scope: 'Ip', value: '192.0.2.7', ip: '192.0.2.7' },
    decisions: [{ origin: CROWDSEC_ORIGIN, type: 'ban', scope: 'Ip', value: '192.0.2.7', duration: '3600s', scenario: CROWDSEC_SCENARIO }],
  });

  // A part second: stop_at moves back so that stop_at plus the whole seconds lands on the expiry.
  const range = alertFor(canonicalCidr('203.0.113.0/24'), NOW + 90_250, NOW) as { stop_at: string; source: unknown; decisions: Array<{ scope: string; duration: string }> };
  assert.deepEqual(range.source, { scope: 'Range', value: '203.0.113.0/24', range: '203.0.113.0/24' });
  assert.equal(range.decisions[0]!.scope, 'Range');
  assert.equal(range.decisions[0]!.duration, '91s');
  assert.equal(Date.parse(range.stop_at) + 91_000, NOW + 90_250);
});
