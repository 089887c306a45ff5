import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, parseDuration } from '../../domain/duration.ts';
import { DEFAULT_PLAYBOOK_POLICY, playbookPolicy, policySchema, type PolicySnapshot } from '../../domain/policy.ts';
import { DEFAULT_REDACTED_FIELDS } from '../../domain/sourceMapping.ts';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** The issues of a policy that must be refused, as `path → code` pairs. */
function issues(input: unknown): Array<{ path: PropertyKey[]; code: string }> {
  const result = policySchema.safeParse(input);
  assert.equal(result.success, false, `expected ${JSON.stringify(input)} to be refused`);
  return result.error?.issues.map((issue) => ({ path: issue.path, code: issue.code })) ?? [];
}

describe('policySchema: defaults', () => {
  test('an empty document gets the defaults', () => {
    assert.deepEqual(policySchema.parse({}), {
      allowlist: [],
      maxBlockWidth: { ipv4: 24, ipv6: 48 },
      circuitBreaker: { maxNewBlocks: 50, window: 10 * 60_000 },
      offenceMemory: 90 * DAY,
      promotion: { minPrecision: 0.95, minVerdicts: 20 },
      protect: { users: [], hosts: [], domains: [] },
      approvals: {},
      playbooks: {},
      sources: {},
      redactFields: DEFAULT_REDACTED_FIELDS,
      enforcement: { points: ['edl', 'log'], maxActionsPerSecond: 100, retryFailedEvery: 60_000, reconcileEvery: 30_000, notify: ['slack', 'webhook'] },
    });
  });

  test('an empty playbook entry gets approve mode, a 24h block and a 1h approval timeout', () => {
    assert.deepEqual(policySchema.parse({ playbooks: { 'brute-force': {} } }).playbooks['brute-force'], {
      mode: 'approve',
      blockDuration: [24 * HOUR],
      blockPrefix: { ipv4: 32, ipv6: 128 },
      thresholds: { minAlerts: 1, minSeverity: 1 },
      approvalTimeout: HOUR,
      onApprovalTimeout: 'deny',
      escalateTo: ['pagerduty'],
      autoApproveWindows: [],
      timeZone: 'UTC',
      reviewWindow: 24 * HOUR,
      notify: ['slack', 'webhook'],
      actionModes: {},
      travel: { maxSpeedKmh: 1000, minDistanceKm: 300, trustedRanges: [], disableUser: false },
    });
  });

  test('DEFAULT_PLAYBOOK_POLICY is the same default', () => {
    assert.equal(DEFAULT_PLAYBOOK_POLICY.mode, 'approve');
    assert.deepEqual(DEFAULT_PLAYBOOK_POLICY.blockDuration, [24 * HOUR]);
    assert.equal(DEFAULT_PLAYBOOK_POLICY.approvalTimeout, HOUR);
  });

  test('an empty enforcement section gets the default points', () => {
    assert.deepEqual(policySchema.parse({ enforcement: {} }).enforcement, { points: ['edl', 'log'], maxActionsPerSecond: 100, retryFailedEvery: 60_000, reconcileEvery: 30_000, notify: ['slack', 'webhook'] });
  });

  test('playbookPolicy falls back to the default for an unconfigured playbook', () => {
    const snapshot: PolicySnapshot = {
      ...policySchema.parse({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '7d' } } }),
      version: 'sha256:test',
    };
    assert.equal(playbookPolicy(snapshot, 'brute-force').mode, 'auto');
    assert.deepEqual(playbookPolicy(snapshot, 'brute-force').blockDuration, [7 * DAY]);
    assert.deepEqual(playbookPolicy(snapshot, 'port-scan'), DEFAULT_PLAYBOOK_POLICY);
  });
});

describe('durations', () => {
  const valid: ReadonlyArray<[text: string, ms: number]> = [
    ['1s', 1_000],
    ['90s', 90_000],
    ['15m', 15 * 60_000],
    ['24h', 24 * HOUR],
    ['7d', 7 * DAY],
    ['30d', 30 * DAY],
    ['9999999s', 9_999_999_000],
  ];
  for (const [text, ms] of valid) {
    test(`${text} parses to ${ms} ms, in parseDuration and in the policy`, () => {
      assert.equal(parseDuration(text), ms);
      const parsed = policySchema.parse({ playbooks: { p: { blockDuration: text, approvalTimeout: text, reviewWindow: text } } });
      assert.deepEqual(parsed.playbooks.p?.blockDuration, [ms]);
      assert.equal(parsed.playbooks.p?.approvalTimeout, ms);
      assert.equal(parsed.playbooks.p?.reviewWindow, ms);
    });
  }

  const invalid: ReadonlyArray<[value: unknown, why: string]> = [
    ['0h', 'zero'],
    ['1.5h', 'fraction'],
    ['24', 'no unit'],
    ['h', 'no number'],
    ['-1h', 'negative'],
    ['+1h', 'signed'],
    ['024h', 'leading zero'],
    ['24H', 'upper-case unit'],
    ['1w', 'unknown unit'],
    ['24 h', 'space'],
    [' 24h', 'leading space'],
    ['24h ', 'trailing space'],
    ['1h30m', 'compound'],
    ['10000000s', 'eight digits'],
    ['\u0662\u0664h', 'Arabic-Indic digits'],
    ['', 'empty'],
    [86_400_000, 'a number'],
  ];
  for (const field of ['blockDuration', 'approvalTimeout', 'reviewWindow'] as const) {
    for (const [value, why] of invalid) {
      test(`${field} ${JSON.stringify(value)} (${why}) is refused at playbooks.brute-force.${field}`, () => {
        const found = issues({ playbooks: { 'brute-force': { [field]: value } } });
        assert.ok(found.length > 0);
        for (const issue of found) assert.deepEqual(issue.path, ['playbooks', 'brute-force', field]);
      });
    }
  }

  for (const [value] of invalid.filter(([v]) => typeof v === 'string')) {
    test(`parseDuration(${JSON.stringify(value)}) throws`, () => {
      assert.throws(() => parseDuration(value as string), /invalid duration/);
    });
  }

  const formatted: ReadonlyArray<[ms: number, text: string]> = [
    [DAY, '24h'],
    [7 * DAY, '7d'],
    [2 * DAY, '2d'],
    [90_000, '90s'],
    [60_000, '1m'],
    [HOUR, '1h'],
    [25 * HOUR, '25h'],
    [36 * HOUR, '36h'],
    [90 * 60_000, '90m'],
    [1_000, '1s'],
  ];
  for (const [ms, text] of formatted) {
    test(`formatDuration(${ms}) === ${JSON.stringify(text)}`, () => {
      assert.equal(formatDuration(ms), text);
    });
  }

  test('formatDuration round-trips every policy duration to the same milliseconds', () => {
    for (const unit of ['s', 'm', 'h', 'd']) {
      for (const n of [1, 2, 59, 60, 61, 90, 120, 1440, 3600, 86400, 9_999_999]) {
        const ms = parseDuration(`${n}${unit}`);
        const text = formatDuration(ms);
        assert.equal(parseDuration(text), ms, `${n}${unit} → ${text}`);
      }
    }
  });
});

describe('policySchema: structure', () => {
  const unknownKeys: ReadonlyArray<[name: string, input: unknown, path: PropertyKey[]]> = [
    ['at the top', { allowList: [] }, []],
    ['in a playbook', { playbooks: { 'brute-force': { blockduration: '1h' } } }, ['playbooks', 'brute-force']],
    ['in enforcement', { enforcement: { points: ['edl'], pointz: [] } }, ['enforcement']],
  ];
  for (const [name, input, path] of unknownKeys) {
    test(`an unknown key ${name} is refused`, () => {
      assert.deepEqual(issues(input), [{ path, code: 'unrecognized_keys' }]);
    });
  }

  const badValues: ReadonlyArray<[name: string, input: unknown, path: PropertyKey[]]> = [
    ['unknown mode', { playbooks: { 'brute-force': { mode: 'yolo' } } }, ['playbooks', 'brute-force', 'mode']],
    ['unknown notify route', { playbooks: { 'brute-force': { notify: ['slack', 'pager'] } } }, ['playbooks', 'brute-force', 'notify', 1]],
    ['malformed enforcement point name', { enforcement: { points: ['Ip Tables'] } }, ['enforcement', 'points', 0]],
    ['malformed source rule key', { sources: { wazuh: { types: { sshd: 'auth.failure' } } } }, ['sources', 'wazuh', 'types', 'sshd']],
    ['source type outside the alert-type alphabet', { sources: { wazuh: { types: { 'rule:5710': 'Auth Failure' } } } }, ['sources', 'wazuh', 'types', 'rule:5710']],
    ['no enforcement points', { enforcement: { points: [] } }, ['enforcement', 'points']],
    ['allowlist not an array', { allowlist: '10.0.0.0/8' }, ['allowlist']],
  ];
  for (const [name, input, path] of badValues) {
    test(`${name} is refused at ${path.join('.') || '(root)'}`, () => {
      const found = issues(input);
      assert.equal(found.length, 1);
      assert.deepEqual(found[0]?.path, path);
    });
  }
});

describe('policySchema: allowlist', () => {
  test('entries are canonicalised', () => {
    const { allowlist } = policySchema.parse({
      allowlist: ['10.1.2.3/8', '203.0.113.7', '203.0.113.7/32', '2001:DB8::/32', '::ffff:192.0.2.0/120', '::ffff:198.51.100.1'],
    });
    assert.deepEqual(allowlist, ['10.0.0.0/8', '203.0.113.7', '203.0.113.7', '2001:db8::/32', '192.0.2.0/24', '198.51.100.1']);
  });

  const invalid: ReadonlyArray<string> = ['10.0.0.1/33', '010.0.0.0/8', '10.0.0.0/033', '::/129', '::ffff:192.0.2.0/64', 'fe80::/10%eth0', '10.0.0.0/8 ', 'example.com', ''];
  for (const entry of invalid) {
    test(`${JSON.stringify(entry)} is refused at allowlist.1`, () => {
      assert.deepEqual(issues({ allowlist: ['192.0.2.0/24', entry, '198.51.100.0/24'] }), [{ path: ['allowlist', 1], code: 'custom' }]);
    });
  }

  test('every invalid entry is reported with its own index', () => {
    assert.deepEqual(issues({ allowlist: ['10.0.0.1/33', '192.0.2.0/24', '010.0.0.0/8'] }).map((i) => i.path), [['allowlist', 0], ['allowlist', 2]]);
  });

  test('the message explains the fault', () => {
    const result = policySchema.safeParse({ allowlist: ['10.0.0.1/33'] });
    assert.match(result.error?.issues[0]?.message ?? '', /prefix above 32/);
  });
});

test('reconcile runs at most every 5 seconds', () => {
  const parsed = policySchema.safeParse({ enforcement: { reconcileEvery: '2s' } });
  assert.equal(parsed.success, false);
  assert.deepEqual(parsed.error?.issues.map((i) => [i.path.join('.'), i.message]), [['enforcement.reconcileEvery', 'at least 5s']]);
});
