import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeAlerts, type NormalizeOptions } from '../../../api/sources/index.ts';
import { WAZUH_SEVERITY } from '../../../api/sources/wazuh.ts';
import { findPlaybook } from '../../../playbooks/index.ts';
import { rejectedPaths } from './rejection.ts';

const omit = (object: object, ...keys: string[]): Record<string, unknown> => Object.fromEntries(Object.entries(object).filter(([key]) => !keys.includes(key)));
const receivedAt = new Date('2024-05-01T12:00:00.000Z');
const normalize = (body: unknown, options?: NormalizeOptions) => normalizeAlerts('wazuh', body, receivedAt, options);
const only = (body: unknown, options?: NormalizeOptions) => {
  const alerts = normalize(body, options);
  assert.equal(alerts.length, 1);
  return alerts[0]!;
};

// The alerts.json record of the Wazuh documentation's SSH brute-force lab ("Detect an SSH brute-force attack",
// learning-wazuh/ssh-brute-force.rst), its attacker's address swapped for a documentation one.
const invalidUser = {
  timestamp: '2019-10-15T19:07:57.741+0000',
  rule: {
    level: 5,
    description: 'sshd: Attempt to login using a non-existent user',
    id: '5710',
    mitre: { id: ['T1110'], tactic: ['Credential Access'], technique: ['Brute Force'] },
    firedtimes: 7,
    mail: false,
    groups: ['syslog', 'sshd', 'invalid_login', 'authentication_failed'],
    pci_dss: ['10.2.4', '10.2.5', '10.6.1'],
    gpg13: ['7.1'],
    gdpr: ['IV_35.7.d', 'IV_32.2'],
    hipaa: ['164.312.b'],
    nist_800_53: ['AU.14', 'AC.7', 'AU.6'],
    tsc: ['CC6.1', 'CC6.8', 'CC7.2', 'CC7.3'],
  },
  agent: { id: '001', name: 'linux-agent' },
  manager: { name: 'wazuh-manager-master-0' },
  id: '1571166477.30198',
  cluster: { name: 'wazuh', node: 'wazuh-manager-master-0' },
  full_log: 'Oct 15 21:07:56 linux-agent sshd[29205]: Invalid user blimey from 203.0.113.18 port 48928',
  predecoder: { program_name: 'sshd', timestamp: 'Oct 15 21:07:56', hostname: 'linux-agent' },
  decoder: { parent: 'sshd', name: 'sshd' },
  data: { srcip: '203.0.113.18', srcport: '48928', srcuser: 'blimey' },
  location: '/var/log/auth.log',
};

// The same lab's correlation: rule 5712 (level 10, group authentication_failures, frequency 8), as the lab's
// wazuh-logtest output shows it.
const bruteForce = {
  ...invalidUser,
  id: '1571166490.31002',
  rule: {
    level: 10,
    description: 'sshd: brute force trying to get access to the system.',
    id: '5712',
    frequency: 8,
    firedtimes: 1,
    mail: false,
    groups: ['syslog', 'sshd', 'authentication_failures'],
  },
};

// A Windows logon failure (event 4625) under rule 60122, its event data named as in the eventchannel sample of
// Wazuh's ruleset (0580-win-security_rules.xml).
const windowsFailure = {
  timestamp: '2024-04-30T08:01:02.345+0000',
  rule: { level: 5, description: 'Logon Failure - Unknown user or bad password', id: '60122', groups: ['windows', 'windows_security', 'authentication_failed'] },
  agent: { id: '003', name: 'DC01', ip: '192.0.2.10' },
  id: '1714464062.5501',
  data: {
    win: {
      system: { eventID: '4625', computer: 'DC01.corp.example', severityValue: 'AUDIT_FAILURE' },
      eventdata: { targetUserName: 'Administrator', targetDomainName: 'CORP', logonType: '10', ipAddress: '198.51.100.23', ipPort: '51234' },
    },
  },
  location: 'EventChannel',
};

describe('wazuh source: the integrator alert', () => {
  test('the documented sshd alert becomes an auth.failure for its address, which the brute-force playbook takes', () => {
    const alert = only(invalidUser);
    assert.deepEqual({ ...alert, raw: undefined }, {
      id: '1571166477.30198',
      source: 'wazuh',
      type: 'auth.failure',
      severity: 4,
      description: 'sshd: Attempt to login using a non-existent user (Wazuh rule 5710, level 5)',
      sourceIp: '203.0.113.18',
      user: 'blimey',
      host: 'linux-agent',
      count: 1,
      occurredAt: '2019-10-15T19:07:57.741Z',
      raw: undefined,
    });
    assert.equal(findPlaybook(alert)?.name, 'brute-force');
    assert.deepEqual(alert.raw?.data, invalidUser.data);
    assert.equal(alert.raw?.full_log, invalidUser.full_log);
  });

  test('the brute-force correlation counts the failures it correlated, at level 10', () => {
    const alert = only(bruteForce);
    assert.deepEqual([alert.type, alert.count, alert.severity, alert.sourceIp], ['auth.failure', 8, 7, '203.0.113.18']);
  });

  test('a Windows logon failure (RDP included) names the address and the account from the event data', () => {
    const alert = only(windowsFailure);
    assert.deepEqual([alert.type, alert.sourceIp, alert.user, alert.host], ['auth.failure', '198.51.100.23', 'administrator', 'dc01']);
  });

  test('a successful sign-in (sshd rule 5715) is an auth.success with its account, for the impossible-travel playbook', () => {
    const alert = only({
      ...invalidUser,
      rule: { level: 3, description: 'sshd: authentication success.', id: '5715', groups: ['syslog', 'sshd', 'authentication_success'] },
      data: { srcip: '198.51.100.7', srcport: '50022', dstuser: 'alice' },
    });
    assert.deepEqual([alert.type, alert.user, alert.sourceIp], ['auth.success', 'alice', '198.51.100.7']);
    assert.equal(findPlaybook(alert)?.name, 'impossible-travel');
  });

  test('a local Windows logon (ipAddress "-") is an auth.success without an address', () => {
    const alert = only({
      ...windowsFailure,
      rule: { level: 3, description: 'Windows Logon Success', id: '60106', groups: ['windows', 'windows_security', 'authentication_success'] },
      data: { win: { eventdata: { targetUserName: 'alice', ipAddress: '-' } } },
    });
    assert.deepEqual([alert.type, alert.user, alert.sourceIp], ['auth.success', 'alice', undefined]);
  });

  test('the Shuffle integration\'s wrapper is read through its all_fields', () => {
    // shuffle.py's generate_msg: {severity, pretext, title, text, rule_id, timestamp, id, all_fields}.
    const wrapper = { severity: 3, pretext: 'WAZUH Alert', title: bruteForce.rule.description, text: bruteForce.full_log, rule_id: '5712', timestamp: bruteForce.timestamp, id: bruteForce.id, all_fields: bruteForce };
    const alert = only(wrapper);
    assert.deepEqual({ ...alert, raw: undefined }, { ...only(bruteForce), raw: undefined });
    assert.deepEqual([alert.raw?.id, alert.raw?.pretext], [bruteForce.id, undefined], 'raw is the alert, not the wrapper');
  });
});

describe('wazuh source: severity', () => {
  test('rule levels 0–16 map onto 1–10, never falling as the level rises', () => {
    const expected: Record<number, number> = { 0: 1, 2: 1, 3: 2, 5: 4, 7: 5, 10: 7, 12: 8, 14: 9, 15: 10, 16: 10 };
    for (const [level, severity] of Object.entries(expected)) {
      assert.equal(only({ ...invalidUser, rule: { ...invalidUser.rule, level: Number(level) } }).severity, severity, `level ${level}`);
    }
    assert.equal(WAZUH_SEVERITY.length, 17);
    WAZUH_SEVERITY.forEach((severity, level) => assert.ok(level === 0 || severity >= WAZUH_SEVERITY[level - 1]!, `level ${level}`));
  });
});

describe('wazuh source: types', () => {
  test('the policy\'s mapping wins over the stock one, for any of the alert\'s keys', () => {
    const options = { sources: { wazuh: { types: { 'group:authentication_failures': 'account.compromise' } } } };
    assert.equal(only(bruteForce, options).type, 'account.compromise');
    assert.equal(only(bruteForce, { sources: { wazuh: { types: { 'rule:5712': 'auth.bruteforce' } } } }).type, 'auth.bruteforce');
  });

  test('a rule the stock mapping does not know passes through as wazuh.<description>', () => {
    const rotated = { ...invalidUser, rule: { level: 3, description: 'Log file rotated.', id: '591', groups: ['ossec'] }, data: {} };
    const alert = only(rotated);
    assert.equal(alert.type, 'wazuh.log-file-rotated');
    assert.equal(findPlaybook(alert), undefined);
    assert.equal(only({ ...rotated, rule: { level: 3, id: '100200' } }).type, 'wazuh.rule-100200');
  });

  test('the stock mapping also knows Windows authentication failures by group', () => {
    const custom = { ...windowsFailure, rule: { level: 5, description: 'Custom RDP failure', id: '100300', groups: ['windows', 'win_authentication_failed'] } };
    assert.equal(only(custom).type, 'auth.failure');
  });
});

describe('wazuh source: optional values', () => {
  test('values that name no entity are left out and the alert is kept', () => {
    const alert = only({ ...invalidUser, agent: { id: '002', name: 'web 01!' }, data: { srcip: 'scanner.example.net', srcuser: '(no user)' } });
    assert.deepEqual([alert.sourceIp, alert.user, alert.host], [undefined, undefined, undefined]);
    assert.equal(alert.type, 'auth.failure');
  });

  test('without an id the alert is named by its fields: the same alert the same id, another alert another', () => {
    const anonymous = omit(invalidUser, 'id');
    const first = only(anonymous).id;
    assert.match(first, /^wazuh:[0-9a-f]{32}$/);
    assert.equal(only(structuredClone(anonymous)).id, first);
    assert.notEqual(only({ ...anonymous, timestamp: '2019-10-15T19:08:00.000+0000' }).id, first);
  });

  test('without a timestamp the alert happened when it arrived', () => {
    assert.equal(only(omit(invalidUser, 'timestamp')).occurredAt, receivedAt.toISOString());
  });
});

describe('wazuh source: malformed bodies are a 400 naming Wazuh\'s path', () => {
  const cases: ReadonlyArray<[name: string, body: unknown, paths: string[]]> = [
    ['no rule', omit(invalidUser, 'rule'), ['rule']],
    ['no rule level', { ...invalidUser, rule: { id: '5710' } }, ['rule.level']],
    ['a level as text', { ...invalidUser, rule: { ...invalidUser.rule, level: '5' } }, ['rule.level']],
    ['a level past 16', { ...invalidUser, rule: { ...invalidUser.rule, level: 17 } }, ['rule.level']],
    ['a rule id as a number', { ...invalidUser, rule: { ...invalidUser.rule, id: 5710 } }, ['rule.id']],
    ['groups as one text', { ...invalidUser, rule: { ...invalidUser.rule, groups: 'sshd' } }, ['rule.groups']],
    ['an address as a number', { ...invalidUser, data: { srcip: 3405803783 } }, ['data.srcip']],
    ['data as a list', { ...invalidUser, data: [invalidUser.data] }, ['data']],
    ['Windows event data as text', { ...windowsFailure, data: { win: { eventdata: 'ipAddress=198.51.100.23' } } }, ['data.win.eventdata']],
    ['a timestamp without a zone', { ...invalidUser, timestamp: '2019-10-15 19:07:57' }, ['timestamp']],
    ['a Shuffle wrapper around a broken alert', { title: 'x', all_fields: { ...invalidUser, rule: { ...invalidUser.rule, level: 'high' } } }, ['all_fields.rule.level']],
    ['a Shuffle wrapper around nothing', { title: 'x', all_fields: null }, ['all_fields']],
    ['an array names the item at fault', [invalidUser, { ...invalidUser, rule: { level: 5 } }], ['[1].rule.id']],
    ['not an object', 'rule.id=5710', ['(body)']],
  ];
  for (const [name, body, paths] of cases) {
    test(name, () => assert.deepEqual(rejectedPaths('wazuh', body), paths));
  }
});
