import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sha256Hex } from '../../api/auth.ts';
import { ConfigError, loadConfig } from '../../runtime/config.ts';
import { parsePrincipals, parseWebhookSecrets } from '../../runtime/principals.ts';

const HASH = sha256Hex('rip_some-key-for-the-principals-test');
const SECRET = 's'.repeat(32);
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-principals-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

test('a principals file gives named keys with roles; CIDRs are canonical and hashes lower-case', async () => {
  const path = await file('ok.yaml', `
keys:
  - name: splunk-prod
    role: ingest
    sha256: ${HASH.toUpperCase()}
    allowFrom: [10.1.2.7/24, "::ffff:192.0.2.1", 2001:DB8::/32]
    ratePerMinute: 600
  - name: alice@example.com
    role: responder
    sha256: ${sha256Hex('another')}
`);
  const config = loadConfig({ RIPOSTE_PRINCIPALS_FILE: path });
  assert.equal(config.api.principalsFile, path);
  assert.deepEqual(config.api.principals, [
    { name: 'splunk-prod', role: 'ingest', sha256: HASH, allowFrom: ['10.1.2.0/24', '192.0.2.1', '2001:db8::/32'], ratePerMinute: 600 },
    { name: 'alice@example.com', role: 'responder', sha256: sha256Hex('another') },
  ]);
  assert.deepEqual(config.api.keys, []);
});

test('without RIPOSTE_PRINCIPALS_FILE and without config/principals.yaml there are no named keys', () => {
  const config = loadConfig({});
  assert.deepEqual([config.api.principals, config.api.principalsFile, config.api.webhookSecrets], [[], undefined, []]);
});

test('an invalid principals file is refused at start-up with the file and the path of every field at fault', async () => {
  const entry = (fields: string) => `  - name: k\n    role: viewer\n    sha256: ${HASH}\n${fields}`;
  const cases: [string, string, RegExp][] = [
    ['bad role', `keys:\n  - name: k\n    role: superuser\n    sha256: ${HASH}\n`, /keys\[0\]\.role: Invalid option: expected one of "ingest"\|"viewer"\|"responder"\|"admin"/],
    ['bad CIDR', `keys:\n${entry('    allowFrom: [10.0.0.0/8, 010.0.0.1/32]\n')}`, /keys\[0\]\.allowFrom\[1\]: invalid IP address "010\.0\.0\.1"/],
    ['prefix too long', `keys:\n${entry('    allowFrom: [10.0.0.0/33]\n')}`, /keys\[0\]\.allowFrom\[0\]: .*prefix above 32/],
    ['hash too short', `keys:\n  - name: k\n    role: viewer\n    sha256: ${HASH.slice(0, 63)}\n`, /keys\[0\]\.sha256: the hex SHA-256 of the key: 64 hex digits/],
    ['hash not hex', `keys:\n  - name: k\n    role: viewer\n    sha256: ${'z'.repeat(64)}\n`, /keys\[0\]\.sha256/],
    ['a plain key instead of a hash', `keys:\n  - name: k\n    role: viewer\n    key: rip_plaintext\n`, /keys\[0\]\.sha256: required[\s\S]*keys\[0\]: Unrecognized key: "key"/],
    ['a hash YAML reads as a number', `keys:\n  - name: k\n    role: viewer\n    sha256: ${'1'.repeat(64)}\n`, /keys\[0\]\.sha256: .*quote it/],
    ['colon in the name', `keys:\n  - name: "webhook:siem"\n    role: admin\n    sha256: ${HASH}\n`, /keys\[0\]\.name: letters, digits and \. _ @ \+ - \(no colon\)/],
    ['duplicate name', `keys:\n${entry('')}  - name: K\n    role: admin\n    sha256: ${sha256Hex('x')}\n`, /keys\[1\]\.name: the name K is already used by keys\[0\]/],
    ['duplicate key', `keys:\n${entry('')}  - name: other\n    role: admin\n    sha256: ${HASH}\n`, /keys\[1\]\.sha256: the same key as keys\[0\]/],
    ['rate not a whole number', `keys:\n${entry('    ratePerMinute: 1.5\n')}`, /keys\[0\]\.ratePerMinute/],
    ['burst without rate', `keys:\n${entry('    burst: 10\n')}`, /keys\[0\]\.burst: burst needs ratePerMinute/],
    ['empty allowFrom', `keys:\n${entry('    allowFrom: []\n')}`, /keys\[0\]\.allowFrom: list at least one network/],
    ['no keys list', 'key: []\n', /keys: .*expected array/],
    ['not YAML', 'keys: [\n', /not valid YAML/],
  ];
  for (const [what, text, message] of cases) {
    const path = await file(`${what.replace(/\W+/g, '-')}.yaml`, text);
    assert.throws(() => loadConfig({ RIPOSTE_PRINCIPALS_FILE: path }), (err: Error) => {
      assert.ok(err instanceof ConfigError, what);
      assert.ok(err.message.includes(path), `${what}: names the file`);
      assert.match(err.message, message, what);
      return true;
    }, what);
  }
  assert.throws(() => loadConfig({ RIPOSTE_PRINCIPALS_FILE: join(dir, 'missing.yaml') }), /RIPOSTE_PRINCIPALS_FILE: cannot read .*ENOENT/);
});

test('the example principals file is valid', () => {
  const config = loadConfig({ RIPOSTE_PRINCIPALS_FILE: 'config/principals.example.yaml' });
  assert.deepEqual(config.api.principals.map((p) => `${p.name}:${p.role}`), ['splunk-prod:ingest', 'grafana:viewer', 'alice@example.com:responder', 'soc-lead:admin']);
  assert.deepEqual(config.api.slackUsers, [{ slackUserId: 'U024BE7LH', principal: 'alice@example.com', role: 'responder' }]);
});

test('slackUsers map Slack member IDs to keys of the same file, and take the key\'s role', async () => {
  const keys = `keys:\n  - {name: rita, role: responder, sha256: ${HASH}}\n  - {name: vic, role: viewer, sha256: ${sha256Hex('vic')}}\n`;
  const path = await file('slack.yaml', `${keys}slackUsers:\n  - { slackUserId: U024BE7LH, principal: rita }\n  - { slackUserId: W0ENTERPRISE1, principal: vic }\n`);
  assert.deepEqual(loadConfig({ RIPOSTE_PRINCIPALS_FILE: path }).api.slackUsers, [
    { slackUserId: 'U024BE7LH', principal: 'rita', role: 'responder' },
    { slackUserId: 'W0ENTERPRISE1', principal: 'vic', role: 'viewer' },
  ]);
  assert.deepEqual(parsePrincipals(keys, 'no-slack.yaml').slackUsers, [], 'slackUsers is optional');

  const cases: [string, string, RegExp][] = [
    ['unknown principal', '  - { slackUserId: U024BE7LH, principal: nobody }\n', /slackUsers\[0\]\.principal: no key named nobody under keys/],
    ['principal in another case', '  - { slackUserId: U024BE7LH, principal: RITA }\n', /slackUsers\[0\]\.principal: no key named RITA/],
    ['duplicate Slack user', '  - { slackUserId: U024BE7LH, principal: rita }\n  - { slackUserId: U024BE7LH, principal: vic }\n', /slackUsers\[1\]\.slackUserId: U024BE7LH is already mapped by slackUsers\[0\]/],
    ['a name, not a member ID', '  - { slackUserId: "@rita", principal: rita }\n', /slackUsers\[0\]\.slackUserId: a Slack member ID such as U024BE7LH/],
    ['lower-case ID', '  - { slackUserId: u024be7lh, principal: rita }\n', /slackUsers\[0\]\.slackUserId/],
    ['missing principal', '  - { slackUserId: U024BE7LH }\n', /slackUsers\[0\]\.principal/],
    ['unknown field', '  - { slackUserId: U024BE7LH, principal: rita, role: admin }\n', /slackUsers\[0\]: Unrecognized key: "role"/],
  ];
  for (const [what, entries, message] of cases) {
    assert.throws(() => parsePrincipals(`${keys}slackUsers:\n${entries}`, 'slack.yaml'), (err: Error) => {
      assert.match(err.message, /^principals file slack\.yaml is invalid/, what);
      assert.match(err.message, message, what);
      return true;
    }, what);
  }
});

test('parsePrincipals reports every issue at once', () => {
  assert.throws(() => parsePrincipals(`keys:\n  - {name: a, role: root, sha256: abc}\n  - {name: b, role: admin, sha256: ${HASH}, allowFrom: [nope]}\n`, 'test.yaml'), (err: Error) => {
    const lines = err.message.split('\n').slice(1).map((line) => line.trim().split(':')[0]);
    assert.deepEqual(lines, ['keys[0].role', 'keys[0].sha256', 'keys[1].allowFrom[0]']);
    return true;
  });
});

test('webhook secrets are name:secret pairs, from the variable or its _FILE; a name may repeat to rotate', async () => {
  assert.deepEqual(parseWebhookSecrets(` siem:${SECRET} , siem:${SECRET}x,ci.bot:${SECRET}:with-colon `), [
    { name: 'siem', secret: SECRET },
    { name: 'siem', secret: `${SECRET}x` },
    { name: 'ci.bot', secret: `${SECRET}:with-colon` },
  ]);
  const path = await file('secrets', `siem:${SECRET}\nother:${SECRET}\n`);
  assert.deepEqual(loadConfig({ RIPOSTE_WEBHOOK_SECRETS_FILE: path }).api.webhookSecrets.map((w) => w.name), ['siem', 'other']);
  const bad: [string, RegExp][] = [
    [`siem${SECRET}`, /RIPOSTE_WEBHOOK_SECRETS\[0\]: expected name:secret/],
    [`siem:short`, /RIPOSTE_WEBHOOK_SECRETS\[0\] \(siem\): the secret must be at least 24 characters/],
    [`ok:${SECRET},bad name:${SECRET}`, /RIPOSTE_WEBHOOK_SECRETS\[1\]/],
  ];
  for (const [value, message] of bad) {
    assert.throws(() => loadConfig({ RIPOSTE_WEBHOOK_SECRETS: value }), (err: Error) => err instanceof ConfigError && message.test(err.message), value);
  }
  assert.doesNotMatch((() => {
    try {
      loadConfig({ RIPOSTE_WEBHOOK_SECRETS: 'siem:short-secret' });
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  })(), /short-secret/, 'a secret never appears in an error');
});
