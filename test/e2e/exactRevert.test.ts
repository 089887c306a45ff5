import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createBlockActivities } from '../../activities/blocks.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, alertSchema, EMPTY_BATCH, summarizeAlert } from '../../domain/alert.ts';
import type { IncidentState } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { blockWorkflowId, offenceHistoryWorkflowId } from '../../workflows/ids.ts';
import { blockStatusQuery, statusQuery, timelineQuery, unblockSignal, verdictUpdate } from '../../workflows/messages.ts';
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
// A withdrawal is a signal the block handles after the verdict returns; give a wrong removal time to show itself.
const settle = () => new Promise((r) => setTimeout(r, 2000));

test("a false positive on an old incident leaves a newer manual block of the same address in place", async () => {
  const address = uniqueAddress();
  const { id } = await raise(twoSeconds, address);
  const contained = await statusOf(id, 'contained');
  const lease = blockLeaseOf(contained);
  assert.ok(lease?.runId, JSON.stringify(contained.actions));
  const first = await riposte.client.workflow.getHandle(blockWorkflowId(address), lease.runId).result();
  assert.equal(first.state, 'removed');
  const ended = await statusOf(id, 'ended');
  assert.equal(ended.actions.find((a) => a.kind === 'block')?.outcome, 'ended');

  const rita = await manual(address, 7 * DAY);
  assert.notEqual(rita.runId, lease.runId, 'the manual block is a new block workflow run');
  await eventually('the manual block in the feed', feedEntry.bind(null, address));

  await falsePositive(id);
  await settle();
  const description = await riposte.client.workflow.getHandle(blockWorkflowId(address)).describe();
  assert.equal(description.status.name, 'RUNNING');
  assert.equal(description.runId, rita.runId);
  const block = await riposte.client.workflow.getHandle(blockWorkflowId(address)).query(blockStatusQuery);
  assert.equal(block.state, 'active');
  assert.deepEqual(Object.keys(block.leases ?? {}), ['rita']);
  assert.ok((await feedEntry(address))!.expiresAt > Date.now() + 6 * DAY, 'the manual block is still in the feed');

  const timeline = await riposte.client.workflow.getHandle(id).query(timelineQuery);
  const events = timeline.map((e) => e.event);
  assert.ok(events.indexOf('block:expired') >= 0 && events.indexOf('block:expired') < events.indexOf('verdict:false_positive'), events.join(', '));
  assert.ok(!timeline.some((e) => e.event === 'block:revert_failed'), JSON.stringify(timeline));
  const after = await riposte.client.workflow.getHandle(id).query(statusQuery);
  assert.equal(after.verdict?.verdict, 'false_positive');
  assert.equal(after.actions.find((a) => a.kind === 'block')?.outcome, 'ended', 'an ended block is not reverted again');
});

test('a false positive withdraws only its own lease from a block a manual request extended', async () => {
  const address = uniqueAddress();
  const { id } = await raise(oneHour, address);
  const lease = blockLeaseOf(await statusOf(id, 'contained'));
  const rita = await manual(address, 7 * DAY);
  assert.equal(rita.runId, lease?.runId, 'the manual request extends the same run');
  const handle = riposte.client.workflow.getHandle(blockWorkflowId(address));
  await eventually('the extension applied', async () => ((await feedEntry(address))?.expiresAt ?? 0) > Date.now() + 6 * DAY || undefined);
  assert.deepEqual(Object.keys((await handle.query(blockStatusQuery)).leases ?? {}).sort(), [id, 'rita'].sort());

  await falsePositive(id);
  const reverted = await statusOf(id, 'reverted');
  assert.equal(reverted.actions.find((a) => a.kind === 'block')?.outcome, 'reverted');
  const timeline = await riposte.client.workflow.getHandle(id).query(timelineQuery);
  assert.match(timeline.find((e) => e.event === 'block:reverted')?.detail ?? '', /this incident's block of .* withdrawn/);

  await settle();
  const block = await handle.query(blockStatusQuery);
  assert.equal((await handle.describe()).status.name, 'RUNNING');
  assert.equal(block.state, 'active');
  assert.deepEqual(Object.keys(block.leases ?? {}), ['rita']);
  assert.equal(block.expiresAt, block.leases!.rita!.until, 'the block now lasts as long as the manual lease');
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
  const handle = riposte.client.workflow.getHandle(blockWorkflowId(address));
  const final = await eventually('the block to end with the manual lease', async () => {
    const description = await handle.describe();
    return description.status.name === 'COMPLETED' ? handle.result() : undefined;
  }, 20_000);
  assert.equal(final.state, 'removed');
  assert.equal(await feedEntry(address), undefined);
});

test('after an early unblock the incident shows lifted, and a false positive still succeeds', async () => {
  const address = uniqueAddress();
  const { id } = await raise(oneHour, address);
  const lease = blockLeaseOf(await statusOf(id, 'contained'));
  await eventually('the block in the feed', feedEntry.bind(null, address));
  const block = riposte.client.workflow.getHandle(blockWorkflowId(address), lease?.runId);
  await block.signal(unblockSignal, { by: 'rita', reason: 'customer VPN' });
  assert.equal((await block.result()).state, 'removed');
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
});

test('a false positive after the other lease ran out lifts the block as lifted, not as an expiry on the offence ladder', async () => {
  const address = uniqueAddress();
  const { id } = await raise(oneHour, address);
  await statusOf(id, 'contained');
  await manual(address, 1_000);
  // rita's one-second lease runs out; nobody asks again, so nothing has dropped it yet.
  await new Promise((r) => setTimeout(r, 1_500));
  await falsePositive(id);
  const ended = await riposte.client.workflow.getHandle(blockWorkflowId(address)).result();
  assert.equal(ended.state, 'removed');
  assert.equal(await feedEntry(address), undefined);
  await assert.rejects(riposte.client.workflow.getHandle(offenceHistoryWorkflowId(address)).describe(), WorkflowNotFoundError, 'a lifted block is no offence');
});
