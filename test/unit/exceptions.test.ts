import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { actionKind } from '../../domain/actions/index.ts';
import {
  addressException, canonicalExceptionValue, type Exception, exceptionFor, exceptionRefusal, expiryRefusal, liveExceptions, MAX_EXCEPTION_MS, nextExpiry,
} from '../../domain/exceptions.ts';
import { canonicalBlockTarget } from '../../domain/ip.ts';

const NOW = Date.parse('2026-01-10T12:00:00Z');
const later = (ms: number) => new Date(NOW + ms).toISOString();

function exception(kind: Exception['kind'], value: string, expiresIn = 3_600_000, id = `${kind}-${value}`): Exception {
  return { id, kind, value, reason: 'partner pentest', by: 'alice', createdAt: new Date(NOW).toISOString(), expiresAt: later(expiresIn) };
}

describe('exception values', () => {
  test('each kind leaves in its one canonical spelling', () => {
    assert.equal(canonicalExceptionValue('address', '::ffff:198.51.100.9'), '198.51.100.9');
    assert.equal(canonicalExceptionValue('address', '2001:DB8:0::/48'), '2001:db8::/48');
    assert.equal(canonicalExceptionValue('user', 'Alice@Example.ORG'), 'alice@example.org');
    assert.equal(canonicalExceptionValue('host', 'WS-042.Corp.Example'), 'ws-042.corp.example');
    assert.equal(canonicalExceptionValue('domain', 'Partner.Example.'), 'partner.example');
  });

  test('ambiguous or wildcard values are refused with the reason', () => {
    assert.throws(() => canonicalExceptionValue('address', '010.0.0.1'));
    assert.throws(() => canonicalExceptionValue('address', '198.51.100.9/24'), /host bits/);
    assert.throws(() => canonicalExceptionValue('domain', '*.example.org'), /wildcard/);
  });
});

describe('expiry', () => {
  test('must be in the future and at most 90 days ahead', () => {
    assert.equal(expiryRefusal(NOW + 60_000, NOW), undefined);
    assert.equal(expiryRefusal(NOW + MAX_EXCEPTION_MS, NOW), undefined);
    assert.match(expiryRefusal(NOW + MAX_EXCEPTION_MS + 1, NOW)!, /at most 90d/);
    assert.match(expiryRefusal(NOW, NOW)!, /future/);
    assert.match(expiryRefusal(Number.NaN, NOW)!, /not a time/);
  });

  test('live ones are sorted by expiry, expired ones left out; the nearest expiry is the timer', () => {
    const list = [exception('user', 'bob', 7_200_000), exception('user', 'carol', -1), exception('user', 'dave', 60_000)];
    assert.deepEqual(liveExceptions(list, NOW).map((e) => e.value), ['dave', 'bob']);
    assert.equal(nextExpiry(list), NOW - 1);
    assert.equal(nextExpiry([]), undefined);
  });
});

describe('coverage', () => {
  const live = [exception('address', '198.51.100.0/28'), exception('address', '203.0.113.9'), exception('host', 'ws-042'), exception('domain', 'partner.example'), exception('user', 'corp\\svc-scan')];

  test('an address exception covers the address, ranges holding it, and addresses inside its range', () => {
    assert.equal(addressException(canonicalBlockTarget('198.51.100.5'), live, NOW)?.value, '198.51.100.0/28');
    assert.equal(addressException(canonicalBlockTarget('198.51.100.0/24'), live, NOW)?.value, '198.51.100.0/28');
    assert.equal(addressException(canonicalBlockTarget('203.0.113.9'), live, NOW)?.value, '203.0.113.9');
    assert.equal(addressException(canonicalBlockTarget('198.51.100.16'), live, NOW), undefined);
    assert.equal(addressException(canonicalBlockTarget('203.0.113.9'), [exception('address', '203.0.113.9', -1)], NOW), undefined, 'expired');
  });

  test('every action kind reads an exception as it reads the allowlist or protect list', () => {
    const refusal = (kind: string, params: unknown) => exceptionRefusal(actionKind(kind)!, params, live, NOW);
    assert.match(refusal('block', { address: '198.51.100.3', durationMs: 60_000 })!, /covered by exception address-198\.51\.100\.0\/28 .*by alice.*partner pentest/);
    assert.equal(refusal('block', { address: '198.51.100.99', durationMs: 60_000 }), undefined);
    assert.match(refusal('isolate_host', { host: 'ws-042.corp.example' })!, /exception host-ws-042/);
    assert.match(refusal('blocklist_domain', { domain: 'partner.example' })!, /exception domain-partner\.example/);
    assert.match(refusal('disable_user', { user: 'CORP\\svc-scan' })!, /exception user-/);
    assert.equal(refusal('disable_user', { user: 'corp\\alice' }), undefined);
    assert.equal(exceptionRefusal(actionKind('block')!, { address: '203.0.113.9', durationMs: 60_000 }, [exception('address', '203.0.113.9', -1)], NOW), undefined);
  });

  test('exceptionFor answers what explain shows, a URL by its domain', () => {
    assert.equal(exceptionFor('url', 'https://partner.example/login', live, NOW)?.kind, 'domain');
    assert.equal(exceptionFor('host', 'ws-042', live, NOW)?.kind, 'host');
    assert.equal(exceptionFor('address', '198.51.100.7', live, NOW)?.kind, 'address');
    assert.equal(exceptionFor('user', 'corp\\alice', live, NOW), undefined);
  });
});
