import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Alert, type AlertInput, alertSchema } from '../../domain/alert.ts';
import { type PlaybookPolicy, policySchema } from '../../domain/policy.ts';
import { bruteForce } from '../../playbooks/brute-force.ts';
import { findPlaybook, playbookByName, playbooks } from '../../playbooks/index.ts';
import { type Facts, incidentKey } from '../../playbooks/playbook.ts';

function alert(fields: Partial<AlertInput> = {}): Alert {
  return alertSchema.parse({ id: 'a-1', source: 'generic', type: 'auth.failure', sourceIp: '203.0.113.7', ...fields });
}

function policyFor(playbook: Record<string, unknown>): PlaybookPolicy {
  const parsed = policySchema.parse({ playbooks: { 'brute-force': playbook } }).playbooks['brute-force'];
  assert.ok(parsed);
  return parsed;
}

const facts: Facts = { entity: '203.0.113.7', alertCount: 12, maxSeverity: 6, samples: [], previousIncidents: 0, priorOffences: 0 };

describe('brute-force: matches', () => {
  const cases: ReadonlyArray<[name: string, fields: Partial<AlertInput>, matches: boolean]> = [
    ['auth.failure with an IPv4 source', {}, true],
    ['auth.failure with an IPv6 source', { sourceIp: '2001:db8::1' }, true],
    ['auth.bruteforce', { type: 'auth.bruteforce' }, true],
    ['authentication.failure', { type: 'authentication.failure' }, true],
    ['login.failure', { type: 'login.failure' }, true],
    ['auth.failure without a source IP', { sourceIp: undefined }, false],
    ['auth.success', { type: 'auth.success' }, false],
    ['malware.detected', { type: 'malware.detected' }, false],
    ['a type that only starts like an auth failure', { type: 'auth.failure.extra' }, false],
    ['login.failure without a source IP', { type: 'login.failure', sourceIp: undefined }, false],
  ];
  for (const [name, fields, matches] of cases) {
    test(`${name} → ${matches ? 'matches' : 'does not match'}`, () => {
      const subject = alert(fields);
      assert.equal(bruteForce.matches(subject), matches);
      assert.equal(findPlaybook(subject), matches ? bruteForce : undefined);
    });
  }
});

describe('brute-force: entity and incident key', () => {
  test('the key is brute-force:<canonical ip>', () => {
    assert.equal(incidentKey(bruteForce, alert()), 'brute-force:203.0.113.7');
  });

  const spellings = ['203.0.113.7', '::ffff:203.0.113.7', '::FFFF:CB00:7107', '0:0:0:0:0:ffff:cb00:7107'];
  test('every spelling of one address gives one key, after alertSchema parsing', () => {
    const keys = new Set(spellings.map((sourceIp) => incidentKey(bruteForce, alert({ sourceIp }))));
    assert.deepEqual([...keys], ['brute-force:203.0.113.7']);
  });

  test('IPv6 keys use the RFC 5952 text', () => {
    assert.equal(incidentKey(bruteForce, alert({ sourceIp: '2001:DB8:0:0:0:0:0:1' })), 'brute-force:2001:db8::1');
  });

  test('different addresses give different keys', () => {
    assert.notEqual(incidentKey(bruteForce, alert({ sourceIp: '203.0.113.7' })), incidentKey(bruteForce, alert({ sourceIp: '203.0.113.8' })));
  });

  test('entity refuses an alert without a source IP', () => {
    assert.throws(() => bruteForce.entity(alert({ sourceIp: undefined })), /source IP/);
  });

  test('the title names the entity', () => {
    assert.equal(bruteForce.title('203.0.113.7'), 'Brute force from 203.0.113.7');
  });
});

describe('brute-force: plan', () => {
  const policies: ReadonlyArray<[name: string, policy: Record<string, unknown>, durationMs: number]> = [
    ['default policy', {}, 86_400_000],
    ['7d block', { blockDuration: '7d' }, 7 * 86_400_000],
    ['90s block', { blockDuration: '90s' }, 90_000],
    ['15m block', { blockDuration: '15m' }, 900_000],
  ];
  for (const [name, policy, durationMs] of policies) {
    test(`${name}: one block for the policy's duration`, () => {
      assert.deepEqual(bruteForce.plan(facts, policyFor(policy)), [
        { kind: 'block', params: { address: '203.0.113.7', durationMs, reason: '12 authentication failures' } },
      ]);
    });
  }

  test('blocks the entity from the facts', () => {
    const [block] = bruteForce.plan({ ...facts, entity: '2001:db8::1', alertCount: 1 }, policyFor({}));
    assert.deepEqual(block, { kind: 'block', params: { address: '2001:db8::1', durationMs: 86_400_000, reason: '1 authentication failures' } });
  });

  test('a repeat offender climbs the ladder, and stays on its last step', () => {
    const ladder = policyFor({ blockDuration: ['24h', '7d', '30d'] });
    const durations = [0, 1, 2, 3, 9].map((priorOffences) => bruteForce.plan({ ...facts, priorOffences }, ladder)[0]!.params.durationMs);
    assert.deepEqual(durations, [86_400_000, 7 * 86_400_000, 30 * 86_400_000, 30 * 86_400_000, 30 * 86_400_000]);
    assert.match(String(bruteForce.plan({ ...facts, priorOffences: 2 }, ladder)[0]!.params.reason), /offence 3/);
  });

  test('blockPrefix widens the block to the network around the entity', () => {
    const policy = policyFor({ blockPrefix: { ipv4: 24, ipv6: 64 } });
    assert.equal(bruteForce.plan(facts, policy)[0]!.params.address, '203.0.113.0/24');
    assert.equal(bruteForce.plan({ ...facts, entity: '2001:db8:1:2:3::9' }, policy)[0]!.params.address, '2001:db8:1:2::/64');
  });
});

describe('playbook registry', () => {
  test('brute-force is registered under its name', () => {
    assert.ok(playbooks.includes(bruteForce));
    assert.equal(playbookByName('brute-force'), bruteForce);
  });

  test('an unknown name gives undefined', () => {
    assert.equal(playbookByName('bruteforce'), undefined);
    assert.equal(playbookByName(''), undefined);
  });

  test('findPlaybook returns undefined for an alert no playbook matches', () => {
    assert.equal(findPlaybook(alert({ type: 'dns.query', sourceIp: undefined })), undefined);
  });

  test('playbook names are unique', () => {
    const names = playbooks.map((p) => p.name);
    assert.equal(new Set(names).size, names.length);
  });
});
