import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createJsonlAuditReader, JsonlAuditSink } from '../../activities/audit/index.ts';
import type { ReportSummary } from '../../domain/reports/summary.ts';
import { eventually, startApi, startRiposte, type TestApi, testKey, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');
const bruteForce = { blockDuration: '1h', reviewWindow: '2m', notify: [] };
const promotion = { minPrecision: 0.6, minVerdicts: 3 };
const approvePolicy = testPolicy({ promotion, playbooks: { 'brute-force': { ...bruteForce, mode: 'approve' } } });
const observePolicy = testPolicy({ promotion, playbooks: { 'brute-force': { ...bruteForce, mode: 'observe' } } });
const rita = testKey('rita', 'responder');
const victor = testKey('victor', 'viewer');
const ingest = testKey('siem', 'ingest');

let dir: string;
let file: JsonlAuditSink;
let riposte: TestRiposte;
let approveApi: TestApi;
let observeApi: TestApi;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-reports-'));
  file = await JsonlAuditSink.open(join(dir, 'audit.jsonl'));
  riposte = await startRiposte({ policy: approvePolicy, audit: file });
  const options = { keys: [rita.spec, victor.spec, ingest.spec], audit: createJsonlAuditReader(join(dir, 'audit.jsonl')) };
  approveApi = await startApi(riposte, approvePolicy, options);
  observeApi = await startApi(riposte, observePolicy, options);
});
after(async () => {
  await approveApi?.close();
  await observeApi?.close();
  await riposte?.stop();
  await file?.close();
  await rm(dir, { recursive: true, force: true });
});

async function incidentIn(api: TestApi, ip: string, status: string): Promise<string> {
  assert.equal((await api.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 2 })).status, 202);
  const id = `brute-force:${ip}`;
  await eventually(`${id} ${status}`, async () => ((await api.call('GET', `/v1/incidents/${id}`)).json?.status === status ? true : undefined));
  return id;
}

async function post(api: TestApi, path: string, body: unknown): Promise<void> {
  const answer = await api.call('POST', path, body, rita.auth);
  assert.equal(answer.status, 202, answer.text);
}

const summary = async (api: TestApi, query = '') => api.call('GET', `/v1/reports/summary${query}`, undefined, victor.auth);

test('the summary counts enforcements, false positives, time to contain, rules, entities and the promotion from the audit trail', async () => {
  const [a, b, c, d] = await Promise.all([0, 1, 2, 3].map(() => incidentIn(approveApi, uniqueAddress(), 'awaiting_approval')));
  for (const id of [a!, b!, c!]) await post(approveApi, `/v1/incidents/${id}/approve`, { comment: 'seen' });
  await Promise.all([a!, b!, c!].map((id) => eventually(`${id} contained`, async () => ((await approveApi.call('GET', `/v1/incidents/${id}`)).json.status === 'contained' ? true : undefined))));
  await post(approveApi, `/v1/incidents/${a}/verdict`, { verdict: 'true_positive' });
  await post(approveApi, `/v1/incidents/${b}/verdict`, { verdict: 'true_positive' });
  await post(approveApi, `/v1/incidents/${c}/verdict`, { verdict: 'false_positive', comment: 'our scanner' });
  const observed = await incidentIn(observeApi, uniqueAddress(), 'observed');
  await post(observeApi, `/v1/incidents/${observed}/verdict`, { verdict: 'true_positive' });

  const answer = await summary(approveApi, `?since=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`);
  assert.equal(answer.status, 200, answer.text);
  const report = answer.json as ReportSummary;
  const weeks = report.enforcementsVsFalsePositives.filter((row) => row.playbook === 'brute-force');
  assert.equal(weeks.reduce((sum, row) => sum + row.enforcements, 0), 3, 'one enforcement per approved block, whatever the points');
  assert.equal(weeks.reduce((sum, row) => sum + row.falsePositives, 0), 1);
  assert.equal(report.timeToContain.reduce((sum, row) => sum + row.count, 0), 3);
  for (const row of report.timeToContain) assert.ok(row.p50Seconds > 0 && row.p95Seconds >= row.p50Seconds, JSON.stringify(row));
  const entities = [a, b, c, d, observed].map((id) => id!.slice('brute-force:'.length));
  assert.deepEqual(report.topEntities.map((row) => row.entity).sort(), [...entities].sort());
  assert.ok(report.topEntities.every((row) => row.incidents === 1));
  assert.deepEqual(report.topRules, [{ rule: 'auth.failure', alerts: 10 }]);
  const row = report.promotion.find((p) => p.playbook === 'brute-force');
  assert.deepEqual(row && { ...row, why: undefined }, {
    playbook: 'brute-force', mode: 'approve', nextMode: 'auto', wouldHaveActed: 4, confirmed: 2, refuted: 1, precision: 2 / 3,
    threshold: 0.6, minVerdicts: 3, recommendation: 'promote', why: undefined,
  });
  assert.match(row!.why, /2 of 3 verdicts confirmed it/);

  const observing = (await summary(observeApi)).json as ReportSummary;
  const observeRow = observing.promotion.find((p) => p.playbook === 'brute-force')!;
  assert.deepEqual([observeRow.mode, observeRow.nextMode, observeRow.wouldHaveActed, observeRow.confirmed, observeRow.refuted, observeRow.precision, observeRow.recommendation], ['observe', 'approve', 1, 1, 0, 1, 'not_enough_verdicts']);

  const run = promisify(execFile);
  const env = { ...process.env, RIPOSTE_URL: approveApi.url, RIPOSTE_API_KEY: victor.key, RIPOSTE_DATA_DIR: join(dir, 'empty') };
  const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', join(projectDir, 'cli/riposte.ts'), 'report', ...args], { cwd: projectDir, env, timeout: 60_000 });
  const printed = (await cli(['--since', '1h'])).stdout;
  assert.match(printed, /^Promotion$/m);
  assert.match(printed, /^brute-force\s+approve → auto\s+4\s+2\s+1\s+0\.67\s+0\.60, 3 verdicts\s+promote$/m);
  assert.match(printed, /^auth\.failure\s+10$/m);
  assert.match(printed, /brute-force: 2 of 3 verdicts confirmed it/);
  const json = JSON.parse((await cli(['--since', '1h', '--json'])).stdout) as ReportSummary;
  assert.deepEqual(json.promotion.find((p) => p.playbook === 'brute-force'), row);
  await post(approveApi, `/v1/incidents/${d}/reject`, { reason: 'done with the test' });
});

test('bad windows are refused with the field at fault; a viewer may read, an ingest key may not', async () => {
  const until = '2026-01-01T00:00:00Z';
  const refusals = [
    [`?since=yesterday`, 'query.since'],
    [`?until=2026-13-01T00:00:00Z`, 'query.until'],
    [`?since=${until}&until=${until}`, 'query.since'],
    [`?since=2024-01-01T00:00:00Z&until=${until}`, 'query.since'],
    [`?from=${until}`, 'query'],
  ] as const;
  for (const [query, path] of refusals) {
    const answer = await summary(approveApi, query);
    assert.equal(answer.status, 400, `${query}: ${answer.text}`);
    assert.equal(answer.json.issues[0].path, path, query);
  }
  const defaults = (await summary(approveApi, `?until=${until}`)).json as ReportSummary;
  assert.deepEqual([defaults.since, defaults.until], ['2025-12-02T00:00:00.000Z', '2026-01-01T00:00:00.000Z']);
  assert.equal((await approveApi.call('GET', '/v1/reports/summary', undefined, ingest.auth)).status, 403);
});
