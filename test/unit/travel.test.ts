import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalCidr } from '../../domain/ip.ts';
import { describeTravel, distanceKm, impossibleTravel, type Login } from '../../domain/travel.ts';

const LONDON = { latitude: 51.5143, longitude: -0.0912, city: 'London', country: 'GB' };
const SEATTLE = { latitude: 47.6062, longitude: -122.332, city: 'Seattle', country: 'US' };
const CROYDON = { latitude: 51.3762, longitude: -0.0982, city: 'Croydon', country: 'GB' };
const T0 = Date.parse('2026-12-01T10:00:00Z');
const MIN = 60_000;

const login = (address: string, at: number, geo?: Login['geo']): Login => ({ address, at, alertId: `a-${at}`, ...(geo ? { geo } : {}) });
const settings = { maxSpeedKmh: 1000, minDistanceKm: 300, trustedRanges: [] };

describe('distanceKm', () => {
  test('London to Seattle is about 7,700 km, and a place to itself is 0', () => {
    assert.ok(Math.abs(distanceKm(LONDON, SEATTLE) - 7_700) < 50, String(distanceKm(LONDON, SEATTLE)));
    assert.equal(distanceKm(LONDON, LONDON), 0);
  });
});

describe('impossibleTravel', () => {
  const london = login('81.2.69.142', T0, LONDON);

  test('London then Seattle ten minutes later is flagged, with distance and speed', () => {
    const found = impossibleTravel([london], login('54.240.196.1', T0 + 10 * MIN, SEATTLE), settings);
    assert.ok(found);
    assert.ok(found.kmh > 40_000);
    assert.match(describeTravel(found), /London, GB \(81\.2\.69\.142\).*Seattle, US \(54\.240\.196\.1\).*km apart/);
  });

  test('the same journey over a day is possible', () => {
    assert.equal(impossibleTravel([london], login('54.240.196.1', T0 + 24 * 60 * MIN, SEATTLE), settings), undefined);
  });

  test('a pair closer than the minimum distance is ignored, however fast', () => {
    assert.equal(impossibleTravel([london], login('198.51.100.1', T0 + MIN, CROYDON), settings), undefined);
  });

  test('a pair with unknown GeoIP on either side is ignored', () => {
    assert.equal(impossibleTravel([login('192.0.2.1', T0)], login('54.240.196.1', T0 + MIN, SEATTLE), settings), undefined);
    assert.equal(impossibleTravel([london], login('192.0.2.1', T0 + MIN), settings), undefined);
  });

  test('a login from a trusted range (VPN, corporate egress) is ignored on either side', () => {
    const vpn = { ...settings, trustedRanges: [canonicalCidr('54.240.196.0/24')] };
    assert.equal(impossibleTravel([london], login('54.240.196.1', T0 + 10 * MIN, SEATTLE), vpn), undefined);
    const office = { ...settings, trustedRanges: [canonicalCidr('81.2.69.0/24')] };
    assert.equal(impossibleTravel([london], login('54.240.196.1', T0 + 10 * MIN, SEATTLE), office), undefined);
  });

  test('two logins at the same moment from far apart are flagged', () => {
    const found = impossibleTravel([london], login('54.240.196.1', T0, SEATTLE), settings);
    assert.equal(found?.kmh, Number.POSITIVE_INFINITY);
    assert.match(describeTravel(found!), /at the same moment/);
  });

  test('a login that arrives late (earlier occurredAt) is compared all the same', () => {
    assert.ok(impossibleTravel([login('54.240.196.1', T0 + 10 * MIN, SEATTLE)], london, settings));
  });
});
