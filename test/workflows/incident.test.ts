import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createOffenceActivities } from '../../activities/offences.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, type AlertSummary, EMPTY_BATCH } from '../../domain/alert.ts';
import type { IncidentState } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { blockShardOf, blockShardWorkflowId } from '../../workflows/ids.ts';
import { approveSignal, pauseSignal, rejectSignal, resumeSignal, statusQuery } from '../../workflows/messages.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

function alert(count = 1): AlertSummary {
  const at = new Date().toISOString();
  return { id: `evt-${Math.random().toString(36).slice(2)}`, source: 'generic', type: 'auth.failure', severity: 6, count, receivedAt: at };
}

async function raise(riposte: TestRiposte, policy: PolicySnapshot, address: string, count = 1) {
  const id = `brute-force:${address}`;
  const result = await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'brute-force', entity: address, policy, links: {} }, addToBatch(EMPTY_BATCH, [alert(count)]));
  return { id, handle: riposte.client.workflow.getHandle(id), ...result };
}

async function statusOf(riposte: TestRiposte, id: string, wanted: IncidentState['status']): Promise<IncidentState> {
  return eventually(`${id} to be ${wanted}`, async () => {
    const state = await riposte.client.workflow.getHandle(id).query(statusQuery);
    return state.status === wanted ? state : undefined;
  });
}

/** The address's shard holds a block of it. */
async function blockExists(riposte: TestRiposte, address: string): Promise<boolean> {
  return (await riposte.blocks.read(address)) !== null;
}

const inFeed = async (riposte: TestRiposte, address: string) => (await riposte.edl.read()).some((t) => t.address === address);

describe('incident workflow in approve mode', () => {
  const policy = testPolicy({ allowlist: ['198.51.100.0/24', '2001:db8:ffff::/48'], playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '1h', reviewWindow: '1m' } } });
  let riposte: TestRiposte;
  before(async () => {
    riposte = await startRiposte({ policy });
  });
  after(() => riposte.stop());

  test('repeated alerts attach to one incident: the count goes up, and one block follows', async () => {
    const address = uniqueAddress();
    const first = await raise(riposte, policy, address, 10);
    const second = await raise(riposte, policy, address, 3);
    const third = await raise(riposte, policy, address, 2);
    assert.equal(first.started, true);
    assert.equal(second.started, false);
    assert.equal(third.started, false);
    const state = await statusOf(riposte, first.id, 'awaiting_approval');
    await eventually('all alerts counted', async () => ((await first.handle.query(statusQuery)).alertCount === 15 ? true : undefined));
    assert.equal(state.policyVersion, policy.version);

    await first.handle.signal(approveSignal, { by: 'alice' });
    await statusOf(riposte, first.id, 'contained');
    await raise(riposte, policy, address, 5);
    await eventually('the late alert counted', async () => ((await first.handle.query(statusQuery)).alertCount === 20 ? true : undefined));
    const block = await riposte.blocks.read(address);
    assert.equal(block?.requests, 1, 'alerts joining an open incident must not request a second block');
    assert.deepEqual(block?.leases.map((lease) => [lease.requester, lease.incident]), [[first.id, true]]);
  });

  test('approve → blocked, with the approver recorded', async () => {
    const address = uniqueAddress();
    const { id, handle } = await raise(riposte, policy, address);
    await statusOf(riposte, id, 'awaiting_approval');
    assert.equal(await inFeed(riposte, address), false, 'nothing is blocked before approval');
    await handle.signal(approveSignal, { by: 'alice', comment: 'seen in VPN logs' });
    const state = await statusOf(riposte, id, 'contained');
    assert.deepEqual([state.approval?.decision, state.approval?.by], ['approved', 'alice']);
    await eventually('the address in the feed', () => inFeed(riposte, address).then((yes) => yes || undefined));
    assert.equal(await blockExists(riposte, address), true);
    // The incident holds a lease on the block in the address's shard, and names exactly that lease.
    const view = await riposte.blocks.read(address);
    assert.equal(view?.workflowId, blockShardWorkflowId(riposte.taskQueue, blockShardOf(address)));
    assert.deepEqual(view?.leases.map((lease) => lease.requester), [id]);
    const ref = state.actions.find((a) => a.kind === 'block')?.result?.ref;
    assert.equal(ref?.workflowId, view?.workflowId);
    assert.equal(ref?.address, address);
    assert.equal(typeof ref?.leaseId, 'string');
    assert.equal(ref?.runId, undefined);
  });

  test('reject → nothing blocked', async () => {
    const address = uniqueAddress();
    const { id, handle } = await raise(riposte, policy, address);
    await statusOf(riposte, id, 'awaiting_approval');
    await handle.signal(rejectSignal, { by: 'bob', reason: 'our pentest' });
    const state = await statusOf(riposte, id, 'rejected');
    assert.equal(state.approval?.by, 'bob');
    assert.equal(await blockExists(riposte, address), false);
    assert.equal(await inFeed(riposte, address), false);
  });

  test('pause holds the action until resume', async () => {
    const address = uniqueAddress();
    const { id, handle } = await raise(riposte, policy, address);
    await statusOf(riposte, id, 'awaiting_approval');
    await handle.signal(pauseSignal, { by: 'carol', reason: 'change freeze' });
    await handle.signal(approveSignal, { by: 'alice' });
    await statusOf(riposte, id, 'paused');
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await blockExists(riposte, address), false, 'a paused incident must not block');
    await handle.signal(resumeSignal, { by: 'carol' });
    await statusOf(riposte, id, 'contained');
    assert.equal(await blockExists(riposte, address), true);
  });

  test('an approval of an incident that is not awaiting one changes nothing', async () => {
    const address = uniqueAddress();
    const { id, handle } = await raise(riposte, policy, address);
    await statusOf(riposte, id, 'awaiting_approval');
    await handle.signal(rejectSignal, { by: 'bob' });
    await statusOf(riposte, id, 'rejected');
    await handle.signal(approveSignal, { by: 'mallory' });
    await eventually('the ignored approval in the timeline', async () => {
      const state = await handle.query(statusQuery);
      return state.approval?.by === 'bob' && state.status === 'rejected' ? true : undefined;
    });
    assert.equal(await blockExists(riposte, address), false);
  });

  test('an allowlisted address is never blocked, even when approved', async () => {
    const address = '198.51.100.23';
    const { id } = await raise(riposte, policy, address);
    const state = await statusOf(riposte, id, 'allowlisted');
    assert.equal(state.actions[0]?.outcome, 'refused');
    assert.equal(await blockExists(riposte, address), false);
  });
});

describe('incident workflow in observe and auto modes', () => {
  let riposte: TestRiposte;
  const auto = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1m' } } });
  const observe = testPolicy({ playbooks: { 'brute-force': { mode: 'observe', reviewWindow: '1m' } } });
  before(async () => {
    riposte = await startRiposte({ policy: auto });
  });
  after(() => riposte.stop());

  test('observe mode records what would have been done and blocks nothing', async () => {
    const address = uniqueAddress();
    const { id } = await raise(riposte, observe, address);
    const state = await statusOf(riposte, id, 'observed');
    assert.equal(state.actions.find((a) => a.kind === 'block')?.outcome, 'would_do');
    assert.equal(await blockExists(riposte, address), false);
  });

  test('auto mode blocks without waiting for anyone', async () => {
    const address = uniqueAddress();
    const { id } = await raise(riposte, auto, address);
    await statusOf(riposte, id, 'contained');
    await eventually('the address in the feed', () => inFeed(riposte, address).then((yes) => yes || undefined));
  });

  test('a repeat offender whose earlier block expired gets the next step of the ladder', async () => {
    const ladder = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: ['2s', '1h'], reviewWindow: '1s' } } });
    const address = uniqueAddress();
    const first = await raise(riposte, ladder, address);
    assert.deepEqual((await first.handle.result()).plan, [`block ${address} for 2s`]);
    // The shard records the offence once the expired block is removed everywhere.
    const { countOffences } = createOffenceActivities({ client: riposte.client, taskQueue: riposte.taskQueue });
    await eventually('the expiry recorded as an offence', async () => ((await countOffences({ address, withinMs: 3_600_000 })) === 1 ? true : undefined));
    assert.equal(await riposte.blocks.read(address), null, 'the first block has ended');

    const second = await raise(riposte, ladder, address);
    assert.equal(second.started, true, 'the first incident has closed');
    const state = await statusOf(riposte, second.id, 'contained');
    assert.equal(state.priorOffences, 1);
    assert.deepEqual(state.plan, [`block ${address} for 1h`]);
    const block = await riposte.blocks.read(address);
    assert.ok(block?.expiresAt && Date.parse(block.expiresAt) - Date.now() > 50 * 60_000, 'the block lasts the second step');
    assert.equal(block.requests, 1, 'a new block, not the old one extended');
  });

  test('below its thresholds an incident only watches; it acts once they are met, or closes when its window ends', async () => {
    const thresholds = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '4s', thresholds: { minAlerts: 10, minSeverity: 5 } } } });
    const reached = uniqueAddress();
    const { id } = await raise(riposte, thresholds, reached, 4);
    assert.match((await statusOf(riposte, id, 'watching')).plan.join(), /^$/, 'nothing is planned while watching');
    assert.equal(await blockExists(riposte, reached), false);
    await raise(riposte, thresholds, reached, 6);
    await statusOf(riposte, id, 'contained');

    const quiet = uniqueAddress();
    const { id: quietId, handle } = await raise(riposte, thresholds, quiet, 9);
    await statusOf(riposte, quietId, 'watching');
    const closed = await handle.result();
    assert.equal(closed.status, 'below_threshold');
    assert.equal(closed.actions.length, 0);
    assert.equal(await blockExists(riposte, quiet), false);
  });
});
