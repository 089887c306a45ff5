/**
 * No configured secret ever reaches a log line or an audit record. Riposte runs as `npm start` does (its own embedded
 * Temporal server, the workers and the API in one process, logging at debug) with every kind of credential set; it
 * contains an incident, notifies, forwards its audit trail, and refuses a wrong key and a key in the wrong URL. Then
 * everything it wrote is searched for each secret.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../runtime/freePort.ts';
import { type HttpReceiver, startReceiver } from '../support/httpReceiver.ts';
import { eventually } from '../support/temporal.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');
const secret = (prefix: string) => `${prefix}${randomBytes(24).toString('hex')}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

const SECRETS = {
  adminKey: secret('admin-'),
  ingestKey: secret('ingest-'),
  viewerKey: secret('viewer-'),
  feedToken: secret('feed-'),
  feedConsumerToken: secret('edge-'),
  webhookSecret: secret('hmac-'),
  slackSigningSecret: randomBytes(16).toString('hex'),
  slackWebhookPath: secret('slackpath'),
  webhookPath: secret('hookpath'),
  hecToken: secret('hec-'),
  metricsToken: secret('scrape-'),
  pagerDutyKey: randomBytes(16).toString('hex'),
  wrongKey: secret('wrong-'),
};

const POLICY = `
enforcement: { points: [edl, log], notify: [] }
playbooks:
  brute-force: { mode: auto, blockDuration: 1h, reviewWindow: 1h, notify: [slack, webhook] }
`;
const PRINCIPALS = `
keys:
  - { name: siem-ingest, role: ingest, sha256: ${sha256(SECRETS.ingestKey)} }
  - { name: grafana, role: viewer, sha256: ${sha256(SECRETS.viewerKey)} }
feeds:
  - { name: pa-edge-1, sha256: ${sha256(SECRETS.feedConsumerToken)} }
`;

let dir: string;
let receiver: HttpReceiver;
let riposte: ChildProcess;
let apiUrl: string;
let stdout = '';
let stderr = '';
let exited: Promise<number | null>;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-secrets-'));
  receiver = await startReceiver();
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  await writeFile(join(dir, 'principals.yaml'), PRINCIPALS);
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  riposte = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectDir, 'runtime/start.ts')], {
    cwd: dir,
    detached: true,
    env: {
      PATH: process.env.PATH,
      RIPOSTE_DATA_DIR: join(dir, 'data'),
      RIPOSTE_POLICY_FILE: join(dir, 'policy.yaml'),
      RIPOSTE_PRINCIPALS_FILE: join(dir, 'principals.yaml'),
      RIPOSTE_LOG_LEVEL: 'debug',
      RIPOSTE_API_PORT: String(apiPort),
      RIPOSTE_DEV_SERVER_PORT: String(await freePort()),
      RIPOSTE_DEV_UI_PORT: String(await freePort()),
      RIPOSTE_WORKER_METRICS_PORT: String(await freePort()),
      RIPOSTE_API_KEYS: SECRETS.adminKey,
      RIPOSTE_FEED_TOKEN: SECRETS.feedToken,
      RIPOSTE_WEBHOOK_SECRETS: `siem:${SECRETS.webhookSecret}`,
      SLACK_SIGNING_SECRET: SECRETS.slackSigningSecret,
      SLACK_WEBHOOK_URL: `${receiver.url}/services/${SECRETS.slackWebhookPath}`,
      RIPOSTE_WEBHOOK_URL: `${receiver.url}/hook/${SECRETS.webhookPath}`,
      RIPOSTE_AUDIT_HEC_URL: receiver.url,
      RIPOSTE_AUDIT_HEC_TOKEN: SECRETS.hecToken,
      RIPOSTE_METRICS_TOKEN: SECRETS.metricsToken,
      PAGERDUTY_ROUTING_KEY: SECRETS.pagerDutyKey,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  riposte.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  riposte.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  exited = new Promise((ok) => riposte.once('exit', ok));
  await eventually('Riposte running', async () => ((await fetch(`${apiUrl}/healthz`)).ok ? true : undefined), 240_000);
});
after(async () => {
  if (riposte?.exitCode === null) process.kill(-riposte.pid!, 'SIGKILL');
  await receiver?.close();
  await rm(dir, { recursive: true, force: true });
});

function call(method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Response> {
  return fetch(`${apiUrl}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const basic = (password: string) => ({ authorization: `Basic ${Buffer.from(`anyone:${password}`).toString('base64')}` });

test('a full run with every secret configured writes none of them to its log or its audit trail', { timeout: 8 * 60_000 }, async () => {
  const alert = (ip: string) => ({ hostname: 'web01', ip, count: 12 });
  assert.equal((await call('POST', '/v1/alerts/humio', bearer(SECRETS.ingestKey), alert('203.0.113.41'))).status, 202);
  const signedBody = JSON.stringify(alert('203.0.113.42'));
  const t = Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', SECRETS.webhookSecret).update(`${t}.${signedBody}`).digest('hex');
  assert.equal((await call('POST', '/v1/alerts/humio', { 'x-riposte-signature': `t=${t},v1=${signature}` }, signedBody)).status, 202);
  assert.equal((await call('POST', `/v1/alerts/humio?key=${SECRETS.ingestKey}`, {}, alert('203.0.113.43'))).status, 202);

  assert.equal((await call('POST', `/v1/alerts/humio?key=${SECRETS.adminKey}`, {}, alert('203.0.113.44'))).status, 403);
  assert.equal((await call('GET', '/v1/incidents', bearer(SECRETS.wrongKey))).status, 401);
  assert.equal((await call('GET', `/v1/feeds/blocklist.txt?token=${SECRETS.wrongKey}`, {})).status, 401);
  assert.equal((await call('POST', '/v1/slack/actions', { 'x-slack-request-timestamp': String(t), 'x-slack-signature': `v0=${SECRETS.wrongKey}` }, 'payload=%7B%7D')).status, 401);
  assert.equal((await call('GET', '/v1/blocks', basic(SECRETS.adminKey))).status, 200);
  assert.equal((await call('GET', `/v1/feeds/blocklist.txt?token=${SECRETS.feedToken}`, {})).status, 200);
  assert.equal((await call('GET', `/v1/feeds/blocklist.txt?token=${SECRETS.feedConsumerToken}`, {})).status, 200);
  assert.equal((await call('GET', '/metrics', bearer(SECRETS.metricsToken))).status, 200);

  const id = 'brute-force:203.0.113.41';
  await eventually('the incident contained', async () => {
    const state = await (await call('GET', `/v1/incidents/${id}`, { 'x-api-key': SECRETS.viewerKey })).json();
    return state.status === 'contained' ? true : undefined;
  }, 120_000);
  await eventually('the address in the feed', async () => ((await (await call('GET', '/v1/feeds/blocklist.txt', bearer(SECRETS.viewerKey))).text()).includes('203.0.113.41') ? true : undefined), 60_000);
  const auditFile = join(dir, 'data', 'audit.jsonl');
  await eventually('the notifications, and the audit trail forwarded', () => {
    const paths = receiver.requests.map((r) => r.url);
    const sent = paths.some((p) => p.includes('/services/')) && paths.some((p) => p.includes('/hook/')) && paths.some((p) => p.includes('/services/collector'));
    return sent ? true : undefined;
  }, 60_000);

  riposte.kill('SIGTERM');
  assert.equal(await exited, 0, 'a clean shutdown');
  await eventually('the embedded Temporal server stopped with it', () => {
    try {
      process.kill(-riposte.pid!, 0);
      return undefined;
    } catch {
      return true;
    }
  }, 10_000);

  const audit = await readFile(auditFile, 'utf8');
  const written = {
    stderr,
    stdout,
    audit,
    dryRun: await readFile(join(dir, 'data', 'dry-run.jsonl'), 'utf8'),
    forwarded: receiver.requests.filter((r) => r.url.includes('/services/collector')).map((r) => r.body).join('\n'),
  };
  // What was searched is what it should be: the run's log, its refusals and its audit records.
  const logLines = stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line));
  const requests = logLines.filter((line) => line.message === 'request');
  assert.ok(requests.some((line) => line.status === 401 && line.path === '/v1/incidents' && line.principal === null), 'the 401 is in the access log');
  assert.ok(requests.some((line) => line.status === 403 && line.path === '/v1/alerts/humio'), 'the key in the URL was refused and logged, without its query');
  assert.ok(requests.some((line) => line.status === 202 && line.principal === 'webhook:siem'));
  assert.ok(audit.includes(id), 'the audit trail holds the containment');

  for (const [name, value] of Object.entries({ ...SECRETS, signature })) {
    for (const [where, text] of Object.entries(written)) assert.ok(!text.includes(value), `${name} is not in ${where}`);
  }
});
