import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IPSET_MAX_TIMEOUT_S, ipsetTimeout, parseIpsetSave, restoreText, usableSetHeader } from '../../activities/enforce/ipsetEnforcer.ts';
import { canonicalCidr } from '../../domain/ip.ts';

const NOW = Date.parse('2026-12-02T05:19:24Z');

test('ipset save output: Riposte\'s sets only, canonical, with expiries from the seconds left', () => {
  const saved = [
    'create riposte4 hash:net family inet hashsize 1024 maxelem 1048576 timeout 0 bucketsize 12 initval 0x200c6cd9',
    'add riposte4 192.0.2.5 timeout 29',
    'add riposte4 203.0.113.0/24 timeout 3600',
    'add riposte4 198.51.100.7 timeout 0',
    'add riposte4 198.51.100.8',
    'create riposte6 hash:net family inet6 hashsize 1024 maxelem 1048576 timeout 0 bucketsize 12 initval 0x1',
    'add riposte6 2001:db8:1::66 timeout 60',
    'add riposte6 2001:0db8:0002:0000::/64 timeout 5',
    'add blocklist 192.0.2.99 timeout 100',
    'add riposte4 not-an-address timeout 5',
    '',
  ].join('\n');
  assert.deepEqual(parseIpsetSave(saved, NOW), [
    { address: '192.0.2.5', expiresAt: NOW + 29_000 },
    { address: '203.0.113.0/24', expiresAt: NOW + 3_600_000 },
    { address: '198.51.100.7', expiresAt: Number.MAX_SAFE_INTEGER },
    { address: '198.51.100.8', expiresAt: Number.MAX_SAFE_INTEGER },
    { address: '2001:db8:1::66', expiresAt: NOW + 60_000 },
    { address: '2001:db8:2::/64', expiresAt: NOW + 5_000 },
  ]);
  assert.deepEqual(parseIpsetSave('', NOW), []);
});

test('element timeouts round up to whole seconds, stop at the kernel\'s limit, and a past expiry has none', () => {
  assert.equal(ipsetTimeout(NOW + 1, NOW), 1);
  assert.equal(ipsetTimeout(NOW + 60_000, NOW), 60);
  assert.equal(ipsetTimeout(NOW + 60_001, NOW), 61);
  assert.equal(ipsetTimeout(NOW + 30 * 86_400_000, NOW), IPSET_MAX_TIMEOUT_S);
  assert.equal(ipsetTimeout(NOW, NOW), undefined);
  assert.equal(ipsetTimeout(NOW - 1_000, NOW), undefined);
});

test('restore input: one line per call in order, each to its family\'s set; a past expiry deletes', () => {
  const ops = [
    { target: canonicalCidr('192.0.2.5'), expiresAt: NOW + 10_000 },
    { target: canonicalCidr('2001:db8::/32'), expiresAt: NOW + 1_500 },
    { target: canonicalCidr('192.0.2.5') },
    { target: canonicalCidr('203.0.113.0/24'), expiresAt: NOW - 1 },
  ];
  assert.equal(restoreText(ops, NOW), [
    'add riposte4 192.0.2.5 timeout 10',
    'add riposte6 2001:db8::/32 timeout 2',
    'del riposte4 192.0.2.5',
    'del riposte4 203.0.113.0/24',
    '',
  ].join('\n'));
});

test('an existing set is used only when it is hash:net of the right family with timeouts', () => {
  const terse = (type: string, header: string) => `Name: riposte4\nType: ${type}\nRevision: 7\nHeader: ${header}\nSize in memory: 776\nReferences: 1\nNumber of entries: 5\n`;
  assert.equal(usableSetHeader(terse('hash:net', 'family inet hashsize 1024 maxelem 65536 timeout 0 bucketsize 12'), 4), true);
  assert.equal(usableSetHeader(terse('hash:net', 'family inet6 hashsize 1024 maxelem 65536 timeout 0'), 6), true);
  assert.equal(usableSetHeader(terse('hash:net', 'family inet6 hashsize 1024 maxelem 65536 timeout 0'), 4), false);
  assert.equal(usableSetHeader(terse('hash:net', 'family inet hashsize 1024 maxelem 65536 timeout 0'), 6), false);
  assert.equal(usableSetHeader(terse('hash:net', 'family inet hashsize 1024 maxelem 65536 bucketsize 12'), 4), false);
  assert.equal(usableSetHeader(terse('hash:ip', 'family inet hashsize 1024 maxelem 65536 timeout 0'), 4), false);
});
