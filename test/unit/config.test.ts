import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConfigError, loadConfig } from '../../runtime/config.ts';

const KEY = 'k'.repeat(32);
let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-config-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('defaults are the embedded, loopback-only set-up', () => {
  const config = loadConfig({});
  assert.equal(config.temporal.address, undefined);
  assert.equal(config.temporal.namespace, 'default');
  assert.equal(config.temporal.tls, false);
  assert.deepEqual([config.api.host, config.api.port], ['127.0.0.1', 8080]);
  assert.deepEqual(config.api.keys, []);
  assert.equal(config.taskQueue, 'riposte');
});

test('cluster settings: namespace, mTLS paths and API key turn TLS on', () => {
  const mtls = loadConfig({ TEMPORAL_ADDRESS: 'temporal:7233', TEMPORAL_NAMESPACE: 'soc', TEMPORAL_TLS_CLIENT_CERT_PATH: '/c.pem', TEMPORAL_TLS_CLIENT_KEY_PATH: '/c.key' });
  assert.deepEqual([mtls.temporal.address, mtls.temporal.namespace, mtls.temporal.tls], ['temporal:7233', 'soc', true]);
  assert.equal(loadConfig({ TEMPORAL_API_KEY: 'abc' }).temporal.tls, true);
  assert.equal(loadConfig({ TEMPORAL_API_KEY: 'abc', TEMPORAL_TLS: 'false' }).temporal.tls, false);
});

test('API keys are comma-separated, trimmed, and at least 24 characters', () => {
  assert.deepEqual(loadConfig({ RIPOSTE_API_KEYS: ` ${KEY} , ${KEY}x ` }).api.keys, [KEY, `${KEY}x`]);
  assert.throws(() => loadConfig({ RIPOSTE_API_KEYS: 'short' }), (err: Error) => err instanceof ConfigError && /24 characters/.test(err.message));
});

test('secrets can come from NAME_FILE, but not from both NAME and NAME_FILE', async () => {
  const file = join(dir, 'keys');
  await writeFile(file, `${KEY}\n`);
  assert.deepEqual(loadConfig({ RIPOSTE_API_KEYS_FILE: file }).api.keys, [KEY]);
  assert.throws(() => loadConfig({ RIPOSTE_API_KEYS_FILE: file, RIPOSTE_API_KEYS: KEY }), /not both/);
  assert.throws(() => loadConfig({ SLACK_WEBHOOK_URL_FILE: join(dir, 'missing') }), /cannot read .*ENOENT/);
});

test('invalid values are refused with the variable named', () => {
  const cases: [string, string][] = [['RIPOSTE_API_PORT', '70000'], ['TEMPORAL_TLS', 'yes'], ['RIPOSTE_PUBLIC_URL', 'not a url'], ['RIPOSTE_LOG_LEVEL', 'loud']];
  for (const [name, value] of cases) {
    assert.throws(() => loadConfig({ [name]: value }), (err: Error) => err instanceof ConfigError && err.message.includes(name), name);
  }
});

test('Slack approvals: off without a signing secret; the secret may come from its _FILE; response URLs default to Slack', async () => {
  const off = loadConfig({});
  assert.equal(off.api.slack, undefined, 'no signing secret: POST /v1/slack/actions answers 503');
  assert.deepEqual(off.api.slackUsers, []);
  const secret = 'a'.repeat(32);
  assert.deepEqual(loadConfig({ SLACK_SIGNING_SECRET: secret }).api.slack, { signingSecret: secret, responseUrlPrefix: 'https://hooks.slack.com/' });
  const file = join(dir, 'slack-signing-secret');
  await writeFile(file, `${secret}\n`);
  assert.deepEqual(loadConfig({ SLACK_SIGNING_SECRET_FILE: file, SLACK_RESPONSE_URL_PREFIX: 'http://127.0.0.1:9999/' }).api.slack, { signingSecret: secret, responseUrlPrefix: 'http://127.0.0.1:9999/' });
  assert.throws(() => loadConfig({ SLACK_SIGNING_SECRET: 'tiny-secret' }), (err: Error) => err instanceof ConfigError && /SLACK_SIGNING_SECRET: too short/.test(err.message) && !err.message.includes('tiny-secret'));
  for (const prefix of ['https://hooks.slack.com', 'ftp://hooks.slack.com/', 'hooks.slack.com/']) {
    assert.throws(() => loadConfig({ SLACK_RESPONSE_URL_PREFIX: prefix }), (err: Error) => err instanceof ConfigError && err.message.includes('SLACK_RESPONSE_URL_PREFIX'), prefix);
  }
});

test('PagerDuty: off without a routing key; a key not shaped like an integration key is refused without echoing it', () => {
  assert.equal(loadConfig({}).notify.pagerduty, undefined);
  const routingKey = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
  assert.deepEqual(loadConfig({ PAGERDUTY_ROUTING_KEY: routingKey }).notify.pagerduty, { routingKey, url: 'https://events.pagerduty.com/v2/enqueue' });
  assert.equal(loadConfig({ PAGERDUTY_ROUTING_KEY: routingKey, PAGERDUTY_EVENTS_URL: 'http://127.0.0.1:9999/v2/enqueue' }).notify.pagerduty?.url, 'http://127.0.0.1:9999/v2/enqueue');
  assert.throws(() => loadConfig({ PAGERDUTY_ROUTING_KEY: 'not-a-key' }), (err: Error) => err instanceof ConfigError && /PAGERDUTY_ROUTING_KEY/.test(err.message) && !err.message.includes('not-a-key'));
});
