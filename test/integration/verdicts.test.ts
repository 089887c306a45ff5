import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { IncidentState } from '../../domain/incident.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testKey, testPolicy, uniqueAddress } from '../support/temporal.ts';

const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1m', notify: [] } } });
const shortReview = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '2s', notify: [] } } });
const rita = testKey('rita', 'responder');
const victor = testKey('victor', 'viewer');
let riposte: TestRiposte;
let api: TestApi;
let shortApi: TestApi;

before(async () => {
  riposte = await startRiposte({ policy });
  api = await startApi(riposte, policy, { keys: [rita.spec, victor.spec] });
  shortApi = await startApi(riposte, shortReview, { keys: [rita.spec] });
});
after(async () => {
  await api?.close();
  await shortApi?.close();
  await riposte?.stop();
});

async function contained(server: TestApi, ip: string): Promise<IncidentState> {
  assert.equal((await server.call('POST', '/v1/alerts/humio', { hostname: 'web01', ip })).status, 202);
  return eventually(`${ip} contained`, async () => {
    const state = await riposte.client.workflow.getHandle(`brute-force:${ip}`).query(statusQuery);
    return state.status === 'contained' ? state : undefined;
  });
}

const inFeed = async (ip: string) => (await riposte.edl.read()).some((t) => t.address === ip);
const verdictCounts = async () => (await api.call('GET', '/v1/verdicts')).json.playbooks['brute-force'] as Record<string, number>;

test('a false positive lifts the block at once, records who said so, is counted, and is given only once', async () => {
  const ip = uniqueAddress();
  await contained(api, ip);
  await eventually('the address in the feed', async () => ((await inFeed(ip)) ? true : undefined));
  assert.equal((await riposte.blocks.read(ip))?.state, 'active');
  const before = await verdictCounts();

  const verdict = await api.call('POST', `/v1/incidents/brute-force:${ip}/verdict`, { verdict: 'false_positive', comment: 'our pentest' }, rita.auth);
  assert.equal(verdict.status, 202, verdict.text);
  assert.equal(verdict.json.by, 'rita');
  await eventually('the address out of the feed', async () => ((await inFeed(ip)) ? undefined : true));
  // The entry leaves its shard once every point has removed it.
  await eventually('the block gone from its shard', async () => ((await riposte.blocks.read(ip)) === null ? true : undefined));

  const state = (await api.call('GET', `/v1/incidents/brute-force:${ip}`)).json;
  assert.equal(state.status, 'reverted');
  assert.deepEqual(state.verdict.verdict, 'false_positive');
  assert.equal(state.verdict.by, 'rita');
  assert.equal(state.actions.find((a: { kind: string }) => a.kind === 'block').outcome, 'reverted');
  assert.ok(state.timeline.some((e: { event: string; by?: string }) => e.event === 'block:reverted' && e.by === 'rita'));

  const again = await api.call('POST', `/v1/incidents/brute-force:${ip}/verdict`, { verdict: 'true_positive' }, rita.auth);
  assert.equal(again.status, 409);
  assert.match(again.json.message, /already has the verdict false_positive from rita/);

  await eventually('the false positive counted', async () => {
    const after = await verdictCounts();
    return after.false_positive === before.false_positive! + 1 && after.true_positive === before.true_positive ? true : undefined;
  });
});

test('a true positive keeps the block and is counted', async () => {
  const ip = uniqueAddress();
  await contained(api, ip);
  await eventually('the address in the feed', async () => ((await inFeed(ip)) ? true : undefined));
  const before = await verdictCounts();
  const verdict = await api.call('POST', `/v1/incidents/brute-force:${ip}/verdict`, { verdict: 'true_positive' }, rita.auth);
  assert.equal(verdict.status, 202);
  const block = await riposte.blocks.read(ip);
  assert.ok(block, 'the block is still held');
  assert.equal(block.state, 'active');
  assert.deepEqual(block.leases.map((l) => l.requester), [`brute-force:${ip}`], 'the incident still holds its lease');
  assert.equal(await inFeed(ip), true, 'a true positive leaves the block in place');
  assert.equal((await api.call('GET', `/v1/incidents/brute-force:${ip}`)).json.status, 'contained');
  await eventually('the true positive counted', async () => ((await verdictCounts()).true_positive === before.true_positive! + 1 ? true : undefined));
});

test('a verdict needs a responder and a valid body, and is refused once the review window has ended', async () => {
  const ip = uniqueAddress();
  await contained(shortApi, ip);
  const path = `/v1/incidents/brute-force:${ip}/verdict`;
  assert.equal((await api.call('POST', path, { verdict: 'false_positive' }, victor.auth)).status, 403);
  const invalid = await api.call('POST', path, { verdict: 'maybe' }, rita.auth);
  assert.equal(invalid.status, 400);
  assert.deepEqual(invalid.json.issues.map((i: { path: string }) => i.path), ['verdict']);
  assert.equal((await api.call('POST', path, { verdict: 'false_positive', by: 'someone-else' }, rita.auth)).status, 400, 'the actor never comes from the body');
  assert.equal((await api.call('POST', '/v1/incidents/brute-force:2001:db8::dead/verdict', { verdict: 'false_positive' }, rita.auth)).status, 404);

  await eventually('the incident closed', async () => ((await riposte.client.workflow.getHandle(`brute-force:${ip}`).describe()).status.name === 'COMPLETED' ? true : undefined));
  const late = await api.call('POST', path, { verdict: 'false_positive' }, rita.auth);
  assert.equal(late.status, 409);
  assert.match(late.json.message, /review window has ended/);
  assert.equal(await inFeed(ip), true, 'a refused verdict changes nothing');
});
