import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HttpError } from '../../api/errors.ts';
import { humioBodySchema, normalizeHumio } from '../../api/sources/humio.ts';
import { MAX_ALERTS_PER_REQUEST, normalizeAlerts, SUPPORTED_SOURCES } from '../../api/sources/index.ts';

const receivedAt = new Date('2024-05-01T12:00:00.000Z');
const seedBody = { hostname: 'dc01', ip: '203.0.113.7' };

/** Runs fn, which must throw an HttpError, and returns it. */
function httpError(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof HttpError, `expected an HttpError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an HttpError, nothing was thrown');
}

describe('humio source: the seed body', () => {
  test('normalises to one auth.failure alert from humio', () => {
    const alerts = normalizeAlerts('humio', seedBody, receivedAt);
    assert.equal(alerts.length, 1);
    assert.deepEqual(alerts[0], {
      id: `humio:203.0.113.7:${receivedAt.getTime()}`,
      source: 'humio',
      type: 'auth.failure',
      severity: 5,
      description: 'Failed logins on dc01',
      sourceIp: '203.0.113.7',
      host: 'dc01',
      count: 1,
      occurredAt: '2024-05-01T12:00:00.000Z',
      raw: { hostname: 'dc01', ip: '203.0.113.7' },
    });
  });

  test('normalizeHumio alone gives the same alert input', () => {
    const body = humioBodySchema.parse(seedBody);
    const input = normalizeHumio(body, receivedAt);
    assert.equal(input.type, 'auth.failure');
    assert.equal(input.host, 'dc01');
    assert.equal(input.sourceIp, '203.0.113.7');
    assert.equal(input.count, 1);
  });
});

describe('humio source: optional and extra fields', () => {
  const numbers: ReadonlyArray<[field: 'count' | 'severity', value: unknown, expected: number]> = [
    ['count', '12', 12],
    ['count', 12, 12],
    ['count', '1000000', 1_000_000],
    ['severity', '9', 9],
    ['severity', 2, 2],
  ];
  for (const [field, value, expected] of numbers) {
    test(`${field} given as ${JSON.stringify(value)} becomes ${expected}`, () => {
      const [alert] = normalizeAlerts('humio', { ...seedBody, [field]: value }, receivedAt);
      assert.equal(alert?.[field], expected);
    });
  }

  test('an id is kept', () => {
    const [alert] = normalizeAlerts('humio', { ...seedBody, id: 'logscale-42' }, receivedAt);
    assert.equal(alert?.id, 'logscale-42');
  });

  test('a description is kept', () => {
    const [alert] = normalizeAlerts('humio', { ...seedBody, description: 'from LogScale' }, receivedAt);
    assert.equal(alert?.description, 'from LogScale');
  });

  test('extra fields are allowed and kept in raw only', () => {
    const [alert] = normalizeAlerts('humio', { ...seedBody, query: 'failed logins', window: '5m', nested: { a: 1 } }, receivedAt);
    assert.ok(alert);
    assert.deepEqual(alert.raw, { hostname: 'dc01', ip: '203.0.113.7', query: 'failed logins', window: '5m', nested: { a: 1 } });
    assert.equal(Object.hasOwn(alert, 'query'), false);
  });

  const folded: ReadonlyArray<[ip: string, canonical: string]> = [
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:CB00:7107', '203.0.113.7'],
    ['2001:DB8::0:1', '2001:db8::1'],
  ];
  for (const [ip, canonical] of folded) {
    test(`ip ${ip} is canonicalised to ${canonical}`, () => {
      const [alert] = normalizeAlerts('humio', { ...seedBody, ip }, receivedAt);
      assert.equal(alert?.sourceIp, canonical);
      assert.ok(alert?.id.includes(canonical));
    });
  }
});

describe('humio source: bad bodies give a 400 naming the field', () => {
  const cases: ReadonlyArray<[name: string, body: unknown, paths: string[]]> = [
    ['missing ip', { hostname: 'dc01' }, ['ip']],
    ['leading-zero ip', { hostname: 'dc01', ip: '010.0.0.1' }, ['ip']],
    ['integer ip', { hostname: 'dc01', ip: '2130706433' }, ['ip']],
    ['ip with a zone id', { hostname: 'dc01', ip: 'fe80::1%eth0' }, ['ip']],
    ['ip as a number', { hostname: 'dc01', ip: 3405803783 }, ['ip']],
    ['missing hostname', { ip: '203.0.113.7' }, ['hostname']],
    ['empty hostname', { hostname: '', ip: '203.0.113.7' }, ['hostname']],
    ['count with a sign', { ...seedBody, count: '-3' }, ['count']],
    ['count as words', { ...seedBody, count: 'twelve' }, ['count']],
    ['count 0 (passes the humio shape, fails the alert)', { ...seedBody, count: '0' }, ['count']],
    ['severity 11', { ...seedBody, severity: '11' }, ['severity']],
    ['a string instead of an object', 'hostname=dc01', ['(body)']],
    ['null', null, ['(body)']],
    ['array items are named by index', [seedBody, { hostname: 'dc02' }, { hostname: 'dc03', ip: '1.2.3' }], ['[1].ip', '[2].ip']],
  ];
  for (const [name, body, paths] of cases) {
    test(name, () => {
      const err = httpError(() => normalizeAlerts('humio', body, receivedAt));
      assert.equal(err.status, 400);
      assert.equal(err.code, 'validation_failed');
      assert.deepEqual(err.issues?.map((issue) => issue.path), paths);
      for (const issue of err.issues ?? []) assert.ok(issue.message.length > 0);
    });
  }

  // A hostname of up to 256 characters is valid, and the generated id must still fit alertSchema's 200.
  test('a hostname that is no valid host name stays in the description, and the alert is still accepted', () => {
    for (const hostname of ['h'.repeat(256), '10.0.0.5', 'web 01']) {
      const [alert] = normalizeAlerts('humio', { hostname, ip: '203.0.113.7' }, receivedAt);
      assert.equal(alert?.host, undefined, hostname);
      assert.equal(alert?.description, `Failed logins on ${hostname}`);
    }
    const [valid] = normalizeAlerts('humio', { hostname: 'DC01.corp.example', ip: '203.0.113.7' }, receivedAt);
    assert.equal(valid?.host, 'dc01.corp.example');
  });
});

describe('normalizeAlerts: request shape', () => {
  test('an array of bodies gives one alert each, in order', () => {
    const alerts = normalizeAlerts('humio', [seedBody, { hostname: 'dc02', ip: '198.51.100.1' }], receivedAt);
    assert.deepEqual(alerts.map((a) => [a.host, a.sourceIp]), [['dc01', '203.0.113.7'], ['dc02', '198.51.100.1']]);
  });

  test('an empty array is a 400', () => {
    const err = httpError(() => normalizeAlerts('humio', [], receivedAt));
    assert.equal(err.status, 400);
    assert.deepEqual(err.issues?.map((issue) => issue.path), ['(body)']);
  });

  test(`exactly ${MAX_ALERTS_PER_REQUEST} alerts are accepted`, () => {
    const alerts = normalizeAlerts('humio', Array.from({ length: MAX_ALERTS_PER_REQUEST }, () => seedBody), receivedAt);
    assert.equal(alerts.length, MAX_ALERTS_PER_REQUEST);
  });

  test(`more than ${MAX_ALERTS_PER_REQUEST} alerts is a 413`, () => {
    const err = httpError(() => normalizeAlerts('humio', Array.from({ length: MAX_ALERTS_PER_REQUEST + 1 }, () => seedBody), receivedAt));
    assert.equal(err.status, 413);
    assert.equal(err.code, 'too_many_alerts');
  });

  test('the 413 comes before validating items', () => {
    const err = httpError(() => normalizeAlerts('humio', Array.from({ length: MAX_ALERTS_PER_REQUEST + 1 }, () => ({})), receivedAt));
    assert.equal(err.status, 413);
  });
});

describe('normalizeAlerts: sources', () => {
  test('supported sources include generic and humio', () => {
    assert.ok(SUPPORTED_SOURCES.includes('generic'));
    assert.ok(SUPPORTED_SOURCES.includes('humio'));
  });

  for (const source of ['qradar', 'HUMIO', '', 'humio ']) {
    test(`unknown source ${JSON.stringify(source)} is a 404`, () => {
      const err = httpError(() => normalizeAlerts(source, seedBody, receivedAt));
      assert.equal(err.status, 404);
      assert.equal(err.code, 'unknown_source');
    });
  }

  test('the 404 message does not echo a long source name whole', () => {
    const err = httpError(() => normalizeAlerts('x'.repeat(500), seedBody, receivedAt));
    assert.equal(err.status, 404);
    assert.ok(!err.message.includes('x'.repeat(41)));
  });

  // The route passes `:source` straight through, so `POST /v1/alerts/constructor` reaches this lookup: inherited
  // Object.prototype names must be unknown sources, not normalizers.
  for (const source of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
    test(`inherited name ${JSON.stringify(source)} is an unknown source (404)`, () => {
      const smuggled = { alert: { id: 'x', source: 'generic', type: 'auth.failure', sourceIp: '010.0.0.1' }, issues: [] };
      const err = httpError(() => normalizeAlerts(source, smuggled, receivedAt));
      assert.equal(err.status, 404);
    });
  }

  test('generic source accepts a full alert', () => {
    const body = {
      id: 'g-1',
      source: 'generic',
      type: 'auth.failure',
      severity: 7,
      sourceIp: '::ffff:198.51.100.9',
      user: 'admin',
      host: 'web01',
      count: 3,
      occurredAt: '2024-05-01T11:59:00Z',
    };
    const alerts = normalizeAlerts('generic', body, receivedAt);
    assert.deepEqual(alerts, [{ ...body, sourceIp: '198.51.100.9', description: '' }]);
  });

  test('generic source refuses a humio-shaped body, naming the missing fields', () => {
    const err = httpError(() => normalizeAlerts('generic', seedBody, receivedAt));
    assert.equal(err.status, 400);
    const paths = err.issues?.map((issue) => issue.path) ?? [];
    for (const field of ['id', 'source', 'type']) assert.ok(paths.includes(field), `no issue at ${field}: ${paths.join(', ')}`);
  });

  test('generic array issues carry the index prefix', () => {
    const good = { id: 'g-1', source: 'generic', type: 'auth.failure' };
    const err = httpError(() => normalizeAlerts('generic', [good, { ...good, severity: 0 }, { ...good, sourceIp: '127.1' }], receivedAt));
    assert.deepEqual(err.issues?.map((issue) => issue.path), ['[1].severity', '[2].sourceIp']);
  });

  test('one bad item rejects the whole request', () => {
    const err = httpError(() => normalizeAlerts('humio', [seedBody, seedBody, { hostname: 'dc01', ip: '256.0.0.1' }], receivedAt));
    assert.equal(err.status, 400);
    assert.deepEqual(err.issues?.map((issue) => issue.path), ['[2].ip']);
  });
});
