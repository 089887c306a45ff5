import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadPollers, parsePollers } from '../../runtime/pollers.ts';

const EXAMPLE = resolve(fileURLToPath(import.meta.url), '../../../config/pollers.example.yaml');
const ENV = { ELASTIC_API_KEY: 'ZWxhc3RpYzpzZWNyZXQ=', SOC_API_KEY: 'soc-secret-0123456789' };

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-pollers-'));
});
after(() => rm(dir, { recursive: true, force: true }));

/** The message a file's text is refused with. */
function refusal(text: string, env: NodeJS.ProcessEnv = ENV): string {
  try {
    parsePollers(text, 'pollers.yaml', env);
  } catch (err) {
    assert.equal((err as Error).name, 'ConfigError', 'start-up prints a ConfigError without its stack');
    return (err as Error).message;
  }
  return assert.fail('the file was accepted');
}

const HTTP = `
pollers:
  - name: soc-api
    kind: http
    every: 1m
    url: https://soc.example.com/alerts
    items: $.data.alerts[*]
    cursor: { field: occurredAt, param: since }
`;

test('the committed example is valid: defaults filled, each auth header read from the environment', async () => {
  const pollers = parsePollers(await readFile(EXAMPLE, 'utf8'), EXAMPLE, ENV);
  assert.deepEqual(pollers.map(({ name, kind, everyMs, source, remember, maxPages, headers }) => ({ name, kind, everyMs, source, remember, maxPages, headers })), [
    { name: 'elastic-security', kind: 'elastic', everyMs: 30_000, source: 'elastic', remember: 10_000, maxPages: 10, headers: { Authorization: `ApiKey ${ENV.ELASTIC_API_KEY}` } },
    { name: 'soc-api', kind: 'http', everyMs: 60_000, source: 'generic', remember: 10_000, maxPages: 10, headers: { 'X-Api-Key': ENV.SOC_API_KEY } },
  ]);
  const elastic = pollers[0]!.settings;
  assert.deepEqual([elastic.index, elastic.startFrom, elastic.pageSize, elastic.keepAlive, elastic.timestampField], ['.alerts-security.alerts-default', 'now-1h', 500, '1m', '@timestamp']);
  assert.deepEqual(pollers[1]!.settings.items, [{ member: 'data' }, { member: 'alerts' }, { wildcard: true }]);
  assert.equal('auth' in elastic || 'name' in elastic || 'every' in elastic, false, "the kind's settings hold its own fields only");
});

test('a secret comes from NAME_FILE as well, and the file never holds it', async () => {
  const keyFile = join(dir, 'elastic.key');
  await writeFile(keyFile, 'from-a-file\n');
  const [poller] = parsePollers(`
pollers:
  - { name: es, kind: elastic, every: 30s, url: 'https://es:9200', index: alerts, auth: { header: Authorization, prefix: 'ApiKey ', valueFrom: ES_KEY } }
`, 'pollers.yaml', { ES_KEY_FILE: keyFile });
  assert.deepEqual(poller!.headers, { Authorization: 'ApiKey from-a-file' });
});

test('every field at fault is named by its path, with the reason', () => {
  const message = refusal(`
pollers:
  - name: Elastic_Prod
    kind: elastic
    every: 2s
    url: ftp://es.example.com
    index: alerts
    pageSize: 20000
    remember: 100000
  - name: soc
    kind: http
    every: 1m
    url: https://soc.example.com/alerts
    items: data.alerts[*]
    cursor: { field: occurredAt }
    verbose: true
  - name: wmi
    kind: wmi
`);
  for (const expected of [
    'pollers[0].name: lower-case letters',
    'pollers[0].every: at least 5s',
    'pollers[0].url:',
    'pollers[0].pageSize:',
    'pollers[0].remember:',
    'pollers[1].items: a JSONPath begins with $',
    'pollers[1].cursor.param:',
    'pollers[1]: Unrecognized key: "verbose"',
    "pollers[2].kind: Invalid discriminator value. Expected 'elastic' | 'http'",
  ]) assert.ok(message.includes(expected), `expected "${expected}" in:\n${message}`);
  assert.ok(message.startsWith('pollers file pollers.yaml is invalid:'));
});

test('a missing secret, an unknown alert source and a repeated name are refused; the value of no secret is printed', () => {
  const message = refusal(`
pollers:
  - { name: soc, kind: http, every: 1m, url: 'https://a.example/x', items: '$[*]', cursor: { field: id, param: after }, source: qradar, auth: { header: X-Api-Key, valueFrom: SOC_KEY } }
  - { name: soc, kind: http, every: 1m, url: 'https://b.example/x', items: '$[*]', cursor: { field: id, param: after }, auth: { header: X-Api-Key, valueFrom: ELASTIC_API_KEY } }
`);
  assert.match(message, /pollers\[0\]\.source: unknown alert source qradar; known: generic, /);
  assert.match(message, /pollers\[0\]\.auth\.valueFrom: set SOC_KEY \(or SOC_KEY_FILE\)/);
  assert.match(message, /pollers\[1\]\.name: soc is already the name of pollers\[0\]/);
  assert.ok(!message.includes(ENV.ELASTIC_API_KEY));
});

test('not YAML, or not a list of pollers, is refused with the file named', () => {
  assert.match(refusal('pollers: [unclosed'), /^pollers file pollers\.yaml: not valid YAML/);
  assert.match(refusal('pollers: { name: x }'), /pollers: /);
  assert.match(refusal('poller: []'), /\(top level\): Unrecognized key: "poller"/);
});

test('without RIPOSTE_POLLERS_FILE and without config/pollers.yaml there are no pollers; a named file must be readable', async () => {
  assert.deepEqual(loadPollers({}), { pollers: [] });
  assert.throws(() => loadPollers({ RIPOSTE_POLLERS_FILE: join(dir, 'absent.yaml') }), /RIPOSTE_POLLERS_FILE: cannot read .*absent\.yaml \(ENOENT\)/);
  const path = join(dir, 'pollers.yaml');
  await writeFile(path, HTTP);
  const loaded = loadPollers({ RIPOSTE_POLLERS_FILE: path });
  assert.deepEqual([loaded.file, loaded.pollers.map((p) => p.name)], [path, ['soc-api']]);
});
