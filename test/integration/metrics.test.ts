/**
 * Prometheus metrics as a deployment scrapes them: `npm start` (runtime/start.ts) runs as its own process against the
 * suite's Temporal server; a brute-force incident waits for approval, is approved and contained; then GET /metrics
 * (a viewer key, or the scrape token) and the worker metrics port show the incident, the block at each point and its
 * time to contain, with the Temporal SDK's worker metrics beside them.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createApp } from '../../api/app.ts';
import { freePort } from '../../runtime/freePort.ts';
import { reconcileScheduleId } from '../../runtime/reconcileSchedule.ts';
import { dashboardMetricNames } from '../support/grafanaDashboard.ts';
import { isolatedNamespace } from '../support/namespace.ts';
import { type RiposteProcess, startRiposteProcess } from '../support/processes.ts';
import { parseExposition, type Sample, sampleValue } from '../support/prometheus.ts';
import { eventually, serveApp, suiteServer, TEST_API_KEY, testKey, testPolicy, uniqueAddress } from '../support/temporal.ts';

const POLICY = `
enforcement: { points: [edl, log], maxActionsPerSecond: 10000, reconcileEvery: 5s, notify: [] }
circuitBreaker: { maxNewBlocks: 1000000 }
playbooks:
  brute-force: { mode: approve, blockDuration: 1h, approvalTimeout: 1h, reviewWindow: 1h, notify: [] }
`;
const taskQueue = `test-metrics-${randomBytes(4).toString('hex')}`;
const address = uniqueAddress();
const incidentId = `brute-force:${address}`;
const scrapeToken = `rip_scrape_${randomBytes(24).toString('base64url')}`;
const siem = testKey('siem', 'ingest');
const grafana = testKey('grafana', 'viewer');
const analyst = testKey('analyst', 'responder');

let dataDir: string;
let riposte: RiposteProcess;
let api: string;
let workerMetrics: string;
let connection: Connection;
let namespace: string;

const call = async (url: string, init: RequestInit = {}) => {
  const response = await fetch(url, init);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
};
const post = (path: string, body: unknown, headers: Record<string, string>) => call(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const scrape = async (headers: Record<string, string> = grafana.auth): Promise<Sample[]> => {
  const answer = await call(`${api}/metrics`, { headers });
  assert.equal(answer.status, 200, answer.text);
  return parseExposition(answer.text);
};

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'riposte-metrics-'));
  await writeFile(join(dataDir, 'policy.yaml'), POLICY);
  await writeFile(join(dataDir, 'principals.yaml'), `keys:\n${[siem, grafana, analyst].map(({ spec }) => `  - { name: ${spec.name}, role: ${spec.role}, sha256: ${spec.sha256} }`).join('\n')}\n`);
  connection = await Connection.connect({ address: suiteServer().address });
  namespace = await isolatedNamespace(connection, 'riposte-metrics');
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  api = `http://127.0.0.1:${apiPort}`;
  workerMetrics = `http://127.0.0.1:${workerPort}/metrics`;
  riposte = startRiposteProcess('runtime/start.ts', {
    TEMPORAL_ADDRESS: suiteServer().address,
    TEMPORAL_NAMESPACE: namespace,
    RIPOSTE_TASK_QUEUE: taskQueue,
    RIPOSTE_DATA_DIR: dataDir,
    RIPOSTE_POLICY_FILE: join(dataDir, 'policy.yaml'),
    RIPOSTE_PRINCIPALS_FILE: join(dataDir, 'principals.yaml'),
    RIPOSTE_API_PORT: String(apiPort),
    RIPOSTE_WORKER_METRICS_PORT: String(workerPort),
    RIPOSTE_METRICS_TOKEN: scrapeToken,
  });
  const exited = new Promise<never>((_, fail) => riposte.child.once('exit', (code) => fail(new Error(`runtime/start.ts exited (${code}) before it answered`))));
  // Bundling the workflow code at start-up takes a while on a busy machine.
  await Promise.race([exited, eventually('the API', async () => ((await fetch(`${api}/healthz`)).ok ? true : undefined), 5 * 60_000)]);
});

after(async () => {
  await riposte?.stop();
  await new Client({ connection, namespace }).schedule.getHandle(reconcileScheduleId(taskQueue)).delete().catch(() => undefined);
  await connection?.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('an incident waiting for approval, then contained, shows in GET /metrics with its block and its time to contain', { timeout: 5 * 60_000 }, async () => {
  assert.equal((await post('/v1/alerts/humio', { hostname: 'web01', ip: address, count: 12 }, {})).status, 401);
  assert.equal((await post('/v1/alerts/humio', { hostname: 'web01', ip: address, count: 12 }, siem.auth)).status, 202);

  // Scrape-time gauges are read from Temporal at most every 10 s, so each state shows within a few scrapes.
  await eventually('the incident awaiting approval', async () => {
    const samples = await scrape();
    return sampleValue(samples, 'riposte_incidents_open', { playbook: 'brute-force', status: 'awaiting_approval' }) === 1 && sampleValue(samples, 'riposte_approvals_waiting') === 1 ? true : undefined;
  }, 60_000);

  const approved = await post(`/v1/incidents/${encodeURIComponent(incidentId)}/approve`, { comment: 'hostile' }, analyst.auth);
  assert.ok(approved.status < 300, approved.text);
  const samples = await eventually('the contained incident, both points reconciled', async () => {
    const scraped = await scrape();
    const shown = sampleValue(scraped, 'riposte_incidents_open', { playbook: 'brute-force', status: 'contained' }) === 1
      && sampleValue(scraped, 'riposte_enforcement_enforced_ratio', { point: 'edl' }) === 1
      && sampleValue(scraped, 'riposte_enforcement_enforced_ratio', { point: 'log' }) === 1;
    return shown ? scraped : undefined;
  }, 120_000);

  assert.equal(sampleValue(samples, 'riposte_approvals_waiting'), 0);
  assert.equal(sampleValue(samples, 'riposte_incidents_open', { playbook: 'brute-force', status: 'awaiting_approval' }), 0);
  for (const point of ['edl', 'log']) {
    assert.ok(sampleValue(samples, 'riposte_actions_total', { kind: 'block.apply', point, outcome: 'success' })! >= 1, `the block applied at ${point}`);
    assert.equal(sampleValue(samples, 'riposte_blocks_active', { point }), 1, `one live block at ${point}`);
  }
  assert.ok(sampleValue(samples, 'riposte_actions_total', { kind: 'block.request', point: 'none', outcome: 'success' })! >= 1, 'the lease request');
  assert.equal(sampleValue(samples, 'riposte_time_to_contain_seconds_count', { playbook: 'brute-force' }), 1, 'one time-to-contain sample');
  assert.ok(sampleValue(samples, 'riposte_time_to_contain_seconds_sum', { playbook: 'brute-force' })! > 0, 'it includes the approval wait');
  assert.equal(sampleValue(samples, 'riposte_alert_requests_total', { source: 'humio', status: '202' }), 1);
  assert.equal(sampleValue(samples, 'riposte_alert_requests_total', { source: 'humio', status: '401' }), 1, 'refused requests are counted too');
  assert.equal(sampleValue(samples, 'riposte_temporal_up', { read: 'incidents' }), 1);
  assert.equal(sampleValue(samples, 'riposte_temporal_up', { read: 'control' }), 1);
  assert.equal(sampleValue(samples, 'riposte_kill_switch_engaged'), 0);
  assert.equal(sampleValue(samples, 'riposte_circuit_breaker_tripped'), 0);
  assert.ok(samples.some((sample) => sample.name.startsWith('temporal_')), 'npm start: the API shows the SDK\'s worker metrics too');
  assert.ok(samples.some((sample) => sample.name === 'process_resident_memory_bytes'));
});

test('GET /metrics: the scrape token and a viewer key are let in; an ingest key gets 403, no key 401', async () => {
  const token = await call(`${api}/metrics`, { headers: { authorization: `Bearer ${scrapeToken}` } });
  assert.equal(token.status, 200);
  assert.match(token.type ?? '', /^text\/plain; version=0\.0\.4/);
  assert.equal(sampleValue(parseExposition(token.text), 'riposte_temporal_up', { read: 'incidents' }), 1);
  assert.equal((await call(`${api}/metrics`, { headers: siem.auth })).status, 403);
  assert.equal((await call(`${api}/metrics`)).status, 401);
  assert.equal((await call(`${api}/metrics?key=${scrapeToken}`)).status, 401, 'the token is never read from the URL');
});

test('the worker metrics port serves the same registry and the SDK\'s worker metrics, among them every temporal_ metric the dashboard reads', async () => {
  const answer = await call(workerMetrics);
  assert.equal(answer.status, 200);
  const samples = parseExposition(answer.text);
  assert.ok(sampleValue(samples, 'riposte_actions_total', { kind: 'block.apply', point: 'edl', outcome: 'success' })! >= 1);
  const served = new Set(samples.map((sample) => sample.name));
  const temporal = [...await dashboardMetricNames()].filter((name) => name.startsWith('temporal_'));
  assert.deepEqual(temporal.filter((name) => !served.has(name)), [], 'the SDK exports every temporal_ metric the dashboard reads');
  assert.equal((await call(workerMetrics.replace('/metrics', '/'))).status, 404);
});

test('with Temporal unreachable GET /metrics still answers: riposte_temporal_up 0, and no stale state', async () => {
  const nobody = `127.0.0.1:${await freePort()}`;
  const app = createApp({
    client: new Client({ connection: Connection.lazy({ address: nobody }) }),
    taskQueue,
    apiKeys: [TEST_API_KEY],
    maxBodyBytes: 64 * 1024,
    coalesceWindowMs: 5,
    policy: () => testPolicy(),
    blocklist: new EdlFile(join(dataDir, 'unreachable-edl.json')),
    links: {},
    log: () => undefined,
  });
  const down = await serveApp(app);
  try {
    const answer = await down.call('GET', '/metrics');
    assert.equal(answer.status, 200);
    const samples = parseExposition(answer.text);
    assert.deepEqual([sampleValue(samples, 'riposte_temporal_up', { read: 'incidents' }), sampleValue(samples, 'riposte_temporal_up', { read: 'control' })], [0, 0]);
    for (const unknown of ['riposte_incidents_open', 'riposte_approvals_waiting', 'riposte_kill_switch_engaged', 'riposte_circuit_breaker_tripped', 'riposte_blocks_active']) {
      assert.equal(samples.filter((sample) => sample.name === unknown).length, 0, `${unknown} is left out, not shown as 0`);
    }
  } finally {
    await down.close();
  }
});
