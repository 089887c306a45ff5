import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AlertInput, alertSchema, summarizeAlert } from '../../domain/alert.ts';

const minimal = { id: 'alert-1', source: 'generic', type: 'auth.failure' } as const satisfies AlertInput;

describe('alertSchema: valid alerts', () => {
  test('fills defaults: severity 5, count 1, empty description', () => {
    assert.deepEqual(alertSchema.parse(minimal), {
      id: 'alert-1',
      source: 'generic',
      type: 'auth.failure',
      severity: 5,
      description: '',
      count: 1,
    });
  });

  test('keeps every given field', () => {
    const full = {
      id: 'x-9',
      source: 'humio',
      type: 'login.failure',
      severity: 10,
      description: 'ten failures',
      sourceIp: '198.51.100.4',
      user: 'root',
      host: 'dc01',
      count: 1_000_000,
      occurredAt: '2024-05-01T12:00:00.123+02:00',
      raw: { anything: [1, 2, 3] },
    } satisfies AlertInput;
    assert.deepEqual(alertSchema.parse(full), full);
  });

  const ips: ReadonlyArray<[input: string, canonical: string]> = [
    ['203.0.113.7', '203.0.113.7'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:CB00:7107', '203.0.113.7'],
    ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
  ];
  for (const [input, canonical] of ips) {
    test(`canonicalises sourceIp ${input} to ${canonical}`, () => {
      assert.equal(alertSchema.parse({ ...minimal, sourceIp: input }).sourceIp, canonical);
    });
  }

  const entities: ReadonlyArray<[field: 'user' | 'host' | 'url' | 'domain', input: string, canonical: string]> = [
    ['user', 'Alice@Example.ORG', 'alice@example.org'],
    ['user', 'CORP\\Administrator', 'corp\\administrator'],
    ['host', 'DC01.Corp.Example.', 'dc01.corp.example'],
    ['host', 'SQL_01', 'sql_01'],
    ['url', 'HTTP://user:pass@EVIL.Example:80/a#frag', 'http://evil.example/a'],
    ['domain', 'Bücher.Example', 'xn--bcher-kva.example'],
  ];
  for (const [field, input, canonical] of entities) {
    test(`canonicalises ${field} ${input} to ${canonical}`, () => {
      assert.equal(alertSchema.parse({ ...minimal, [field]: input })[field], canonical);
    });
  }

  test('accepts the edges of the numeric ranges', () => {
    assert.equal(alertSchema.parse({ ...minimal, severity: 1 }).severity, 1);
    assert.equal(alertSchema.parse({ ...minimal, severity: 10 }).severity, 10);
    assert.equal(alertSchema.parse({ ...minimal, count: 1 }).count, 1);
  });

  test('accepts occurredAt in UTC and with an offset', () => {
    assert.equal(alertSchema.parse({ ...minimal, occurredAt: '2024-05-01T12:00:00Z' }).occurredAt, '2024-05-01T12:00:00Z');
    assert.equal(alertSchema.parse({ ...minimal, occurredAt: '2024-05-01T12:00:00-05:00' }).occurredAt, '2024-05-01T12:00:00-05:00');
  });
});

describe('alertSchema: each bad input gives an issue at its path', () => {
  const cases: ReadonlyArray<[name: string, input: Record<string, unknown>, path: PropertyKey[], code: string]> = [
    ['severity 0', { ...minimal, severity: 0 }, ['severity'], 'too_small'],
    ['severity 11', { ...minimal, severity: 11 }, ['severity'], 'too_big'],
    ['severity 2.5', { ...minimal, severity: 2.5 }, ['severity'], 'invalid_type'],
    ['severity as a string', { ...minimal, severity: '5' }, ['severity'], 'invalid_type'],
    ['non-integer count', { ...minimal, count: 1.5 }, ['count'], 'invalid_type'],
    ['count 0', { ...minimal, count: 0 }, ['count'], 'too_small'],
    ['count above a million', { ...minimal, count: 1_000_001 }, ['count'], 'too_big'],
    ['unknown source', { ...minimal, source: 'qradar' }, ['source'], 'invalid_value'],
    ['type with upper case', { ...minimal, type: 'Auth.Failure' }, ['type'], 'invalid_format'],
    ['type with a space', { ...minimal, type: 'auth failure' }, ['type'], 'invalid_format'],
    ['empty type', { ...minimal, type: '' }, ['type'], 'too_small'],
    ['empty id', { ...minimal, id: '' }, ['id'], 'too_small'],
    ['id of 201 characters', { ...minimal, id: 'i'.repeat(201) }, ['id'], 'too_big'],
    ['missing id', { source: 'generic', type: 'auth.failure' }, ['id'], 'invalid_type'],
    ['occurredAt not a date', { ...minimal, occurredAt: 'yesterday' }, ['occurredAt'], 'invalid_format'],
    ['occurredAt without an offset', { ...minimal, occurredAt: '2024-05-01T12:00:00' }, ['occurredAt'], 'invalid_format'],
    ['occurredAt a date only', { ...minimal, occurredAt: '2024-05-01' }, ['occurredAt'], 'invalid_format'],
    ['occurredAt as epoch milliseconds', { ...minimal, occurredAt: 1714564800000 }, ['occurredAt'], 'invalid_type'],
    ['sourceIp with a leading zero', { ...minimal, sourceIp: '010.0.0.1' }, ['sourceIp'], 'custom'],
    ['sourceIp as an integer string', { ...minimal, sourceIp: '2130706433' }, ['sourceIp'], 'custom'],
    ['sourceIp with a zone id', { ...minimal, sourceIp: 'fe80::1%eth0' }, ['sourceIp'], 'custom'],
    ['sourceIp as a number', { ...minimal, sourceIp: 2130706433 }, ['sourceIp'], 'invalid_type'],
    ['sourceIp over 64 characters', { ...minimal, sourceIp: '1'.repeat(65) }, ['sourceIp'], 'too_big'],
    ['raw not an object', { ...minimal, raw: 'text' }, ['raw'], 'invalid_type'],
    ['user with a Cyrillic letter', { ...minimal, user: '\u0430dmin' }, ['user'], 'custom'],
    ['user with a trailing space', { ...minimal, user: 'admin ' }, ['user'], 'custom'],
    ['user of 257 characters', { ...minimal, user: 'u'.repeat(257) }, ['user'], 'too_big'],
    ['host with a space', { ...minimal, host: 'dc 01' }, ['host'], 'custom'],
    ['host that is an address', { ...minimal, host: '203.0.113.7' }, ['host'], 'custom'],
    ['host of 254 characters', { ...minimal, host: 'h'.repeat(254) }, ['host'], 'too_big'],
    ['url with a javascript: scheme', { ...minimal, url: 'javascript:alert(1)' }, ['url'], 'custom'],
    ['url with a tab', { ...minimal, url: 'http://evil.example/\tx' }, ['url'], 'custom'],
    ['url of 2049 characters', { ...minimal, url: `http://evil.example/${'a'.repeat(2029)}` }, ['url'], 'too_big'],
    ['domain given as a URL', { ...minimal, domain: 'https://evil.example/' }, ['domain'], 'custom'],
    ['domain with a zero-width space', { ...minimal, domain: 'evil\u200b.example' }, ['domain'], 'custom'],
  ];
  for (const [name, input, path, code] of cases) {
    test(name, () => {
      const result = alertSchema.safeParse(input);
      assert.equal(result.success, false);
      const issues = result.error?.issues ?? [];
      assert.ok(issues.length > 0);
      // Every issue is at the faulty field (an empty type is both too short and off-pattern), and the expected one is there.
      for (const issue of issues) assert.deepEqual(issue.path, path);
      assert.ok(issues.some((issue) => issue.code === code), `expected a ${code} issue, got ${issues.map((i) => i.code).join(', ')}`);
    });
  }

  test('an unknown extra field is rejected by strict, naming the key', () => {
    const result = alertSchema.safeParse({ ...minimal, sourceIP: '203.0.113.7' });
    assert.equal(result.success, false);
    const [issue, ...rest] = result.error?.issues ?? [];
    assert.equal(rest.length, 0);
    assert.equal(issue?.code, 'unrecognized_keys');
    assert.deepEqual(issue?.path, []);
    assert.deepEqual((issue as { keys?: string[] }).keys, ['sourceIP']);
  });

  test('an entity issue carries the canonicaliser\'s reason', () => {
    const result = alertSchema.safeParse({ ...minimal, host: 'dc 01', url: 'ftp://evil.example/' });
    assert.deepEqual(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message]), [
      ['host', 'character " " at position 3 is not allowed in a host name'],
      ['url', 'only http: and https: URLs are accepted, not ftp:'],
    ]);
  });

  test('several faults are all reported', () => {
    const result = alertSchema.safeParse({ ...minimal, severity: 0, sourceIp: '1.2.3', type: 'X' });
    assert.deepEqual(result.error?.issues.map((issue) => issue.path.join('.')).sort(), ['severity', 'sourceIp', 'type']);
  });
});

describe('summarizeAlert', () => {
  test('keeps the summary fields, the entities it names and the bounded raw copy, never the description, and adds receivedAt', () => {
    const alert = alertSchema.parse({
      ...minimal,
      severity: 8,
      count: 12,
      description: 'secret-bearing description',
      sourceIp: '203.0.113.7',
      user: 'admin',
      host: 'dc01',
      occurredAt: '2024-05-01T12:00:00Z',
      raw: { rule: { id: '5710' } },
    });
    const summary = summarizeAlert(alert, '2024-05-01T12:00:05.000Z');
    assert.deepEqual(summary, {
      id: 'alert-1',
      source: 'generic',
      type: 'auth.failure',
      severity: 8,
      count: 12,
      occurredAt: '2024-05-01T12:00:00Z',
      receivedAt: '2024-05-01T12:00:05.000Z',
      sourceIp: '203.0.113.7',
      user: 'admin',
      host: 'dc01',
      raw: { rule: { id: '5710' } },
    });
    for (const dropped of ['description']) {
      assert.equal(Object.hasOwn(summary, dropped), false, `${dropped} must not be kept`);
    }
    assert.equal(JSON.stringify(summary).includes('hunter2'), false);
  });

  test('an alert without occurredAt has no occurredAt in its JSON summary', () => {
    const summary = summarizeAlert(alertSchema.parse(minimal), '2024-05-01T12:00:05.000Z');
    assert.deepEqual(JSON.parse(JSON.stringify(summary)), {
      id: 'alert-1',
      source: 'generic',
      type: 'auth.failure',
      severity: 5,
      count: 1,
      receivedAt: '2024-05-01T12:00:05.000Z',
    });
  });
});
