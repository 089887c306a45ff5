import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import type { EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { statusQuery, timelineQuery } from '../../workflows/messages.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

// The kill switch holds one deployment (its main task queue), so pausing it here never pauses another file's workers.
const INCIDENTS = 50;
const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '5m', notify: [] } } });
const applies: { address: string; at: number }[] = [];
let riposte: TestRiposte;
let api: TestApi;

/** The real EDL point, noting when each enforcement call reaches it. */
function recordingPoint(dataDir: string): EnforcementPoint {
  const edl = createEdlEnforcer(new EdlFile(join(dataDir, 'edl.json')));
  return { ...edl, apply: (target) => {
    applies.push({ address: target.address, at: Date.now() });
    return edl.apply(target);
  } };
}

before(async () => {
  riposte = await startRiposte({ policy, points: (dir) => [recordingPoint(dir)] });
  api = await startApi(riposte, policy);
});
after(async () => {
  await api?.call('POST', '/v1/control/resume', {});
  await api?.close();
  await riposte?.stop();
});

test(`with ${INCIDENTS} incidents in flight, no enforcement call starts after the pause is acknowledged, and all continue after resume`, async () => {
  assert.deepEqual((await api.call('GET', '/v1/control')).json, { paused: false, breaker: { tripped: false, recentBlocks: 0 } });
  const addresses = Array.from({ length: INCIDENTS }, () => uniqueAddress());
  const posts = addresses.map((ip) => api.call('POST', '/v1/alerts/humio', { hostname: 'web01', ip }));
  await new Promise((r) => setTimeout(r, 150));
  const paused = await api.call('POST', '/v1/control/pause', { reason: 'bad parser deploy' });
  const acknowledgedAt = Date.now();
  assert.equal(paused.status, 200);
  assert.equal(paused.json.paused, true);
  assert.match(paused.json.by, /^api-key:/);
  for (const r of await Promise.all(posts)) assert.equal(r.status, 202, 'alerts are still accepted while paused');

  await new Promise((r) => setTimeout(r, 4_000));
  const late = applies.filter((a) => a.at > acknowledgedAt);
  assert.deepEqual(late, [], 'an enforcement call started after the pause was acknowledged');
  const containedBefore = new Set(applies.map((a) => a.address)).size;
  assert.ok(containedBefore < INCIDENTS, `the pause landed while incidents were in flight (${containedBefore} contained before it)`);

  const state = await api.call('GET', '/v1/control');
  assert.deepEqual([state.json.paused, state.json.reason], [true, 'bad parser deploy']);
  const waiting = await riposte.client.workflow.getHandle(`brute-force:${addresses.find((a) => !applies.some((x) => x.address === a))}`).query(statusQuery);
  assert.equal(waiting.status, 'paused');

  const resumed = await api.call('POST', '/v1/control/resume', {});
  const resumedAt = Date.now();
  assert.equal(resumed.json.paused, false);
  await eventually('every incident contained after resume', async () => {
    const states = await Promise.all(addresses.map((ip) => riposte.client.workflow.getHandle(`brute-force:${ip}`).query(statusQuery)));
    return states.every((s) => s.status === 'contained') ? true : undefined;
  }, 30_000);
  // An incident continues when its workflow leaves the kill-switch hold, which its timeline records in workflow time.
  const held = addresses.filter((ip) => !applies.some((a) => a.address === ip && a.at < acknowledgedAt));
  const continued = await Promise.all(held.map(async (ip) => {
    const timeline = await riposte.client.workflow.getHandle(`brute-force:${ip}`).query(timelineQuery);
    const entry = timeline.find((e) => e.event === 'status:containing' && Date.parse(e.at) >= resumedAt - 1_000);
    return entry ? Date.parse(entry.at) : undefined;
  }));
  const resumedTimes = continued.filter((t): t is number => t !== undefined);
  assert.ok(resumedTimes.length > 0, 'some incidents were held by the kill switch itself');
  const firstContinued = Math.min(...resumedTimes);
  assert.ok(firstContinued - resumedAt < 5_000, `waiting incidents continued ${firstContinued - resumedAt} ms after resume`);
});

test('the kill switch survives a restart of the workers', async () => {
  await api.call('POST', '/v1/control/pause', { reason: 'maintenance' });
  await riposte.stop();
  riposte = await startRiposte({ policy, taskQueue: riposte.taskQueue, points: (dir) => [recordingPoint(dir)] });
  await api.close();
  api = await startApi(riposte, policy);
  const state = await api.call('GET', '/v1/control');
  assert.deepEqual([state.json.paused, state.json.reason], [true, 'maintenance']);
  const count = applies.length;
  const ip = uniqueAddress();
  await api.call('POST', '/v1/alerts/humio', { hostname: 'web01', ip });
  await eventually('the new incident held by the kill switch', async () => ((await riposte.client.workflow.getHandle(`brute-force:${ip}`).query(statusQuery)).status === 'paused' ? true : undefined));
  assert.equal(applies.length, count);
  await api.call('POST', '/v1/control/resume', {});
  await eventually('contained after resume', async () => ((await riposte.client.workflow.getHandle(`brute-force:${ip}`).query(statusQuery)).status === 'contained' ? true : undefined));
});
