import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alertTypeFor, boundedRaw, MAX_RAW_BYTES, passthroughType } from '../../domain/sourceMapping.ts';

describe('alert types from a source rule', () => {
  const stock = { 'group:authentication_failed': 'auth.failure', 'rule:5710': 'auth.failure' };
  test('the policy wins over the stock mapping, and the first key either maps wins', () => {
    assert.equal(alertTypeFor('wazuh', ['rule:5710', 'group:sshd'], 'sshd', { 'group:sshd': 'process.lateral_movement' }, stock), 'process.lateral_movement');
    assert.equal(alertTypeFor('wazuh', ['rule:5710', 'group:authentication_failed'], 'sshd', {}, stock), 'auth.failure');
  });
  test('an unmapped rule passes through as <source>.<rule>, folded into the alert-type alphabet', () => {
    assert.equal(alertTypeFor('wazuh', ['rule:1'], 'Audit: Disk Full!', {}, stock), 'wazuh.audit-disk-full');
    assert.equal(passthroughType('splunk', '***'), 'splunk.unnamed');
    assert.ok(passthroughType('sentinel', 'x'.repeat(300)).length <= 100);
  });
  test('a key named like an Object prototype member is not a mapping', () => {
    assert.equal(alertTypeFor('okta', ['constructor'], 'constructor', {}, {}), 'okta.constructor');
  });
});

describe('the bounded raw copy', () => {
  test('strips redacted fields at any depth, whatever their case or separators', () => {
    const raw = boundedRaw({ user: 'alice', Password: 'hunter2', nested: { 'api-key': 'k', list: [{ client_secret: 's' }] } });
    assert.deepEqual(raw, { user: 'alice', Password: '[redacted]', nested: { 'api-key': '[redacted]', list: [{ client_secret: '[redacted]' }] } });
  });
  test('keeps a body within 8 KiB as it is, and cuts a larger one to 8 KiB of JSON text', () => {
    assert.deepEqual(boundedRaw({ a: 1 }), { a: 1 });
    const big = boundedRaw({ log: 'é"'.repeat(10_000) });
    assert.equal(big.truncated, true);
    assert.ok(Buffer.byteLength(JSON.stringify(big)) <= MAX_RAW_BYTES);
    assert.ok((big.json as string).startsWith('{"log":"é\\"'));
  });
  test('a configured field list replaces the default one', () => {
    assert.deepEqual(boundedRaw({ password: 'p', ssn: '1' }, ['ssn']), { password: 'p', ssn: '[redacted]' });
  });
});
