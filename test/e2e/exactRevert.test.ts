import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBlockActivities } from '../../activities/blocks.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, alertSchema, EMPTY_BATCH, summarizeAlert } from '../../domain/alert.ts';
import type { IncidentState } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { blockShardOf, blockShardWorkflowId, offenceHistoryWorkflowId } from '../../workflows/ids.ts';
import { statusQuery, timelineQuery, verdictUpdate } from '../../workflows/messages.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const DAY = 24 * 60 * 60_000;
// A review window far longer than each test, so the incident is still open for its verdict.
const twoSeconds = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '2s', reviewWindow: '10m', notify: [] } } });
const oneHour = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '10m', notify: [] } } });
let riposte: TestRiposte;
let blocks: ReturnType<typeof createBlockActivities>;

before(async () => {
  riposte = await startRiposte({ policy: oneHour });
  blocks = createBlockActivities({ client: riposte.client, taskQueue: riposte.taskQueue, enforcementTaskQueue: `${riposte.taskQueue}-enforcement` });
});
after(() => riposte?.stop());

async function raise(policy: PolicySnapshot, address: string) {
  const alert = alertSchema.parse({ id: `auth-${address}`, source: 'generic', type: 'auth.failure', severity: 6, sourceIp: address, count: 20 });
  const id = `brute-force:${address}`;
  await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'brute-force', entity: address, policy, links: {} }, addToBatch(EMPTY_BATCH, [summarizeAlert(alert, new Date().toISOString())]));
  return { id, handle: riposte.client.workflow.getHandle(id) };
}

async function statusOf(id: string, wanted: IncidentState['status']): Promise<IncidentState> {
  return eventually(`${id} to be ${wanted}`, async () => {
    const state = await riposte.client.workflow.getHandle(id).query(statusQuery);
    return state.status === wanted ? state : undefined;
  }, 30_000);
}

const feedEntry = async (address: string) => (await riposte.edl.read()).find((t) => t.address === address);
const manual = (address: string, durationMs: number) => blocks.requestBlock({ address, durationMs, reason: 'seen scanning our VPN', requestedBy: 'rita', points: ['edl'] });
const falsePositive = (id: string) => riposte.client.workflow.getHandle(id).executeUpdate(verdictUpdate, { args: [{ verdict: 'false_positive', by: 'dave', comment: 'our pentest' }] });
const blockLeaseOf = (state: IncidentState) => state.actions.find((a) => a.kind === 'block')?.result?.ref;
// A withdrawal is handled by the shard after the verdict returns; give a wrong removal time to show itself.
const settle = () => sleep(2000);
/** The address's entry has left its shard: every point removed it. */
const gone = (address: string, timeoutMs?: number) => eventually(`the block of ${address} to end`, async () => ((await riposte.blocks.read(address)) === null ? true : undefined), timeoutMs);
const requesters = (block: { leases: { requester: string }[] } | null) => (block?.leases ?? []).map((l) => l.requester).sort();

test("a false positive on an old incident leaves a newer manual block of the same address in place", async () => {
  const address = uniqueAddress();
  const { id } = await raise(twoSeconds, address);
  const contained = await statusOf(id, 'contained');
  const lease = blockLeaseOf(contained);
  assert.ok(lease?.leaseId, JSON.stringify(contained.actions));
  assert.deepEqual([lease.workflowId, lease.address], [blockShardWorkflowId(riposte.taskQueue, blockShardOf(address)), address]);
  await gone(address);
  // The control for the last test: an expired block is an offence.
  await eventually('the expiry on the offence ladder', async () => (await riposte.client.workflow.getHandle(offenceHistoryWorkflowId(address)).describe()).runId);
  const ended = await statusOf(id, 'ended');
  assert.equal(ended.actions.find((a) => a.kind === 'block')?.outcome, 'ended');

  const rita = await manual(address, 7 * DAY);
  assert.equal(rita.workflowId, lease.workflowId, 'the same shard holds the address');
  assert.notEqual(rita.leaseId, lease.leaseId, 'the manual block is a new grant');
  await eventually('the manual block in the feed', feedEntry.bind(null, address));

  await falsePositive(id);
  await settle();
  const block = await riposte.blocks.read(address);
  assert.ok(block, 'the manual block is still held');
  assert.equal(block.state, 'active');
  assert.deepEqual(requesters(block), ['rita']);
  assert.ok((await feedEntry(address))!.expiresAt > Date.now() + 6 * DAY, 'the manual block is still in the feed');

  const timeline = await riposte.client.workflow.getHandle(id).query(timelineQuery);
  const events = timeline.map((e) => e.event);
  assert.ok(events.indexOf('block:expired') >= 0 && events.indexOf('block:expired') < events.indexOf('verdict:false_positive'), events.join(', '));
  assert.ok(!timeline.some((e) => e.event === 'block:revert_failed'), JSON.stringify(timeline));
  const after = await riposte.client.workflow.getHandle(id).query(statusQuery);
  assert.equal(after.verdict?.verdict, 'false_positive');
  assert.equal(after.actions.find((a) => a.kind === 'block')?.outcome, 'ended', 'an ended block is not reverted again');
});

test('a false positive takes back only the lease its incident was granted: a newer grant to the same requester stays', async () => {
  const address = uniqueAddress();
  const { id } = await raise(oneHour, address);
  const lease = blockLeaseOf(await statusOf(id, 'contained'));
  assert.ok(lease?.leaseId);
  await eventually('the block in the feed', feedEntry.bind(null, address));
  // A later grant under the same requester (as a later run of the incident would hold): it replaces the lease id.
  const newer = await blocks.requestBlock({ address, durationMs: 7 * DAY, reason: 'asked again', requestedBy: id, incidentId: id, points: ['edl'], leaseId: `${lease.leaseId}-newer` });
  assert.equal(newer.workflowId, lease.workflowId);
  await eventually('the newer grant applied', async () => ((await feedEntry(address))?.expiresAt ?? 0) > Date.now() + 6 * DAY || undefined);

  await falsePositive(id);
  await statusOf(id, 'reverted');
  await settle();
  const block = await riposte.blocks.read(address);
  assert.ok(block, 'the newer grant still holds the block');
  assert.equal(block.state, 'active');
  assert.deepEqual(requesters(block), [id]);
  assert.ok((await feedEntry(address))!.expiresAt > Date.now() + 6 * DAY, 'still in the feed with the newer grant\'s expiry');

  // The lease id that was granted last is the one that takes it back.
  assert.equal(await blocks.withdrawBlock({ lease: newer, requester: id, by: 'dave', reason: 'done' }), 'withdrawn');
  await gone(address);
  assert.equal(await feedEntry(address), undefined);
});

test('a false positive withdraws only its own lease from a block a manual request extended', async () => {
  const address = uniqueAddress();
  const { id } = await raise(oneHour, address);
  const lease = blockLeaseOf(await statusOf(id, 'contained'));
  const rita = await manual(address, 7 * DAY);
  assert.equal(rita.workflowId, lease?.workflowId, 'the manual request goes to the same shard');
  assert.notEqual(rita.leaseId, lease?.leaseId, 'each requester holds a lease of its own');
  await eventually('the extension applied', async () => ((await feedEntry(address))?.expiresAt ?? 0) > Date.now() + 6 * DAY || undefined);
  const extended = await riposte.blocks.read(address);
  assert.deepEqual(requesters(extended), [id, 'rita'].sort());
  assert.equal(extended?.requests, 2, 'one block of the address, asked for twice');

  await falsePositive(id);
  const reverted = await statusOf(id, 'reverted');
  assert.equal(reverted.actions.find((a) => a.kind === 'block')?.outcome, 'reverted');
  const timeline = await riposte.client.workflow.getHandle(id).query(timelineQuery);
  assert.match(timeline.find((e) => e.event === 'block:reverted')?.detail ?? '', /this incident's block of .* withdrawn/);

  await settle();
  const block = await riposte.blocks.read(address);
  assert.ok(block, 'the manual lease still holds the block');
  assert.equal(block.state, 'active');
  assert.deepEqual(requesters(block), ['rita']);
  assert.equal(block.expiresAt, block.leases[0]!.until, 'the block now lasts as long as the manual lease');
  assert.ok((await feedEntry(address))!.expiresAt > Date.now() + 6 * DAY);
});

test('once the incident is withdrawn, the block ends when the remaining manual lease does, not at the incident\'s expiry', async () => {
  const address = uniqueAddress();
  const { id } = await raise(oneHour, address);
  await statusOf(id, 'contained');
  await manual(address, 4000);
  await falsePositive(id);
  await statusOf(id, 'reverted');
  await settle();
  assert.ok(await feedEntry(address), 'the manual lease still holds the block');
  assert.deepEqual(requesters(await riposte.blocks.read(address)), ['rita']);
  await gone(address, 20_000);
  assert.equal(await feedEntry(address), undefined);
});

test('after an early unblock the incident shows lifted, and a false positive still succeeds', async () => {
  const address = uniqueAddress();
  const { id } = await raise(oneHour, address);
  await statusOf(id, 'contained');
  await eventually('the block in the feed', feedEntry.bind(null, address));
  assert.equal(await riposte.blocks.lift(address, 'rita', 'customer VPN'), true);
  await gone(address);
  const lifted = await statusOf(id, 'lifted');
  assert.equal(lifted.actions.find((a) => a.kind === 'block')?.outcome, 'ended');
  const timeline = await riposte.client.workflow.getHandle(id).query(timelineQuery);
  assert.equal(timeline.find((e) => e.event === 'block:lifted')?.by, 'rita');

  const verdict = await falsePositive(id);
  assert.deepEqual([verdict.verdict, verdict.by], ['false_positive', 'dave']);
  await settle();
  const after = await riposte.client.workflow.getHandle(id).query(statusQuery);
  assert.equal(after.verdict?.by, 'dave');
  const events = (await riposte.client.workflow.getHandle(id).query(timelineQuery)).map((e) => e.event);
  assert.ok(!events.includes('block:revert_failed'), events.join(', '));
  assert.equal((await riposte.client.workflow.getHandle(id).describe()).status.name, 'RUNNING', 'the incident did not fail');
  assert.equal(await feedEntry(address), undefined);
  assert.equal(await riposte.blocks.lift(address, 'rita'), false, 'nothing left to lift');
});

test('a false positive after the other lease ran out lifts the block as lifted, not as an expiry on the offence ladder', async () => {
  const address = uniqueAddress();
  const { id } = await raise(oneHour, address);
  await statusOf(id, 'contained');
  await manual(address, 1_000);
  // rita's one-second lease runs out; nobody asks again, so nothing has dropped it yet.
  await sleep(1_500);
  await falsePositive(id);
  await gone(address);
  assert.equal(await feedEntry(address), undefined);
  // An offence would be recorded just after the entry left its shard.
  await settle();
  await assert.rejects(riposte.client.workflow.getHandle(offenceHistoryWorkflowId(address)).describe(), WorkflowNotFoundError, 'a lifted block is no offence');
});
