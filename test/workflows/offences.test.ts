import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createBlockActivities } from '../../activities/blocks.ts';
import { createOffenceActivities } from '../../activities/offences.ts';
import { blockShardOf, blockShardWorkflowId, offenceHistoryWorkflowId } from '../../workflows/ids.ts';
import { entityHistoryQuery, offencesQuery } from '../../workflows/offenceMessages.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, type AlertSummary, EMPTY_BATCH } from '../../domain/alert.ts';
import { MAX_OFFENCES_KEPT } from '../../workflows/offences.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const DAY_MS = 86_400_000;
const policy = testPolicy();

function blocks(riposte: TestRiposte) {
  return createBlockActivities({ client: riposte.client, taskQueue: riposte.taskQueue, enforcementTaskQueue: `${riposte.taskQueue}-enforcement` });
}

function offences(riposte: TestRiposte) {
  return createOffenceActivities({ client: riposte.client, taskQueue: riposte.taskQueue });
}

const readHistory = async (riposte: TestRiposte, address: string) => {
  try {
    return await riposte.client.workflow.getHandle(offenceHistoryWorkflowId(address)).query(offencesQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return [];
    throw err;
  }
};

/**
 * Blocks the address for `durationMs` and waits until the offence of its expiry is in the address's history: the shard
 * records it once the block is removed everywhere and has left the shard.
 */
async function blockUntilExpired(riposte: TestRiposte, address: string, durationMs: number): Promise<void> {
  const requestedAt = Date.now();
  await blocks(riposte).requestBlock({ address, durationMs, reason: 'test', requestedBy: 'test', points: ['edl'] });
  await eventually('the offence of the expiry recorded', async () => ((await readHistory(riposte, address)).some((o) => o.endedAt >= requestedAt + durationMs) ? true : undefined), durationMs + 15_000);
  assert.equal(await riposte.blocks.read(address), null, 'the block has left its shard');
  assert.equal((await riposte.edl.read()).some((entry) => entry.address === address), false, 'and the feed');
}

/** Another address whose block lives in the same shard as `address`'s. */
function sameShardAs(address: string): string {
  for (;;) {
    const other = uniqueAddress();
    if (other !== address && blockShardOf(other) === blockShardOf(address)) return other;
  }
}

describe('offence history', () => {
  let riposte: TestRiposte;
  before(async () => {
    riposte = await startRiposte({ policy });
  });
  after(() => riposte.stop());

  const history = (address: string) => riposte.client.workflow.getHandle(offenceHistoryWorkflowId(address)).query(offencesQuery);

  test('a block that expires is one offence; a block someone lifts is none', async () => {
    const expiring = uniqueAddress();
    const lifted = sameShardAs(expiring);

    // Lifted first: its shard handles both blocks in turn, so once the later expiry's offence is recorded, any
    // offence the lift had recorded would be there too.
    await blocks(riposte).requestBlock({ address: lifted, durationMs: 3_600_000, reason: 'test', requestedBy: 'test', points: ['edl'] });
    await eventually('the block applied', async () => (await riposte.edl.read()).find((entry) => entry.address === lifted));
    assert.equal(await riposte.blocks.lift(lifted, 'alice', 'test'), true);
    await eventually('the lifted block removed', async () => ((await riposte.blocks.read(lifted)) === null ? true : undefined));

    await blockUntilExpired(riposte, expiring, 2_000);
    assert.equal(await offences(riposte).countOffences({ address: expiring, withinMs: DAY_MS }), 1);
    const [offence] = await history(expiring);
    assert.equal(offence?.durationMs, 2_000);
    assert.equal(offence?.blockWorkflowId, blockShardWorkflowId(riposte.taskQueue, blockShardOf(expiring)));

    assert.equal(await offences(riposte).countOffences({ address: lifted, withinMs: DAY_MS }), 0);
    await assert.rejects(riposte.client.workflow.getHandle(offenceHistoryWorkflowId(lifted)).describe(), WorkflowNotFoundError);
  });

  test('a second expiry makes two offences, and withinMs leaves out the older one', async () => {
    const address = uniqueAddress();
    await blockUntilExpired(riposte, address, 1_500);
    await blockUntilExpired(riposte, address, 1_500);
    assert.equal(await offences(riposte).countOffences({ address, withinMs: DAY_MS }), 2);
    const [older, newer] = await history(address);
    const sinceBetweenThem = Date.now() - (older!.endedAt + newer!.endedAt) / 2;
    assert.equal(await offences(riposte).countOffences({ address, withinMs: sinceBetweenThem }), 1);
  });

  test('an offence sent twice, as after an activity retry, counts once', async () => {
    const address = uniqueAddress();
    const { recordOffence, countOffences } = offences(riposte);
    const offence = { address, endedAt: Date.now() - 1_000, durationMs: DAY_MS, blockWorkflowId: blockShardWorkflowId(riposte.taskQueue, blockShardOf(address)) };
    await recordOffence(offence);
    await recordOffence(offence);
    assert.equal(await countOffences({ address, withinMs: DAY_MS }), 1);
    await recordOffence({ ...offence, endedAt: offence.endedAt + 1 });
    assert.equal(await countOffences({ address, withinMs: DAY_MS }), 2);
  });

  test('the history keeps the newest offences only', async () => {
    const address = uniqueAddress();
    const { recordOffence } = offences(riposte);
    const firstEndedAt = Date.now() - DAY_MS;
    const sent = MAX_OFFENCES_KEPT + 5;
    for (let i = 0; i < sent; i++) await recordOffence({ address, endedAt: firstEndedAt + i, durationMs: DAY_MS, blockWorkflowId: blockShardWorkflowId(riposte.taskQueue, blockShardOf(address)) });
    const kept = await history(address);
    assert.equal(kept.length, MAX_OFFENCES_KEPT);
    assert.deepEqual([kept[0]?.endedAt, kept.at(-1)?.endedAt], [firstEndedAt + sent - MAX_OFFENCES_KEPT, firstEndedAt + sent - 1]);
  });
});

test('the offence history survives a restart of every worker', async () => {
  const taskQueue = `test-offences-${randomBytes(6).toString('hex')}`;
  const address = uniqueAddress();
  const original = await startRiposte({ policy, taskQueue });
  try {
    await blockUntilExpired(original, address, 1_500);
    await blockUntilExpired(original, address, 1_500);
    assert.equal(await offences(original).countOffences({ address, withinMs: DAY_MS }), 2);
  } finally {
    await original.stop();
  }

  const restarted = await startRiposte({ policy, taskQueue });
  try {
    assert.equal(await offences(restarted).countOffences({ address, withinMs: DAY_MS }), 2);
    await blockUntilExpired(restarted, address, 1_500);
    assert.equal(await offences(restarted).countOffences({ address, withinMs: DAY_MS }), 3);
  } finally {
    await restarted.stop();
  }
});

describe('an entity\'s closed incidents', () => {
  const short = testPolicy({
    playbooks: {
      'brute-force': { mode: 'observe', reviewWindow: '1s', notify: [] },
      phishing: { mode: 'observe', reviewWindow: '1s', notify: [] },
    },
  });
  let riposte: TestRiposte;
  before(async () => {
    riposte = await startRiposte({ policy: short });
  });
  after(() => riposte?.stop());

  async function incidentOnce(playbook: string, entity: string, alert: Record<string, unknown>) {
    const id = `${playbook}:${entity}`;
    const input = { playbook, entity, policy: short, links: {} };
    await signalIncident(riposte.client, riposte.taskQueue, id, input, addToBatch(EMPTY_BATCH, [{ id: `a-${randomBytes(4).toString('hex')}`, source: 'generic', count: 1, receivedAt: new Date().toISOString(), severity: 6, ...alert } as AlertSummary]));
    return riposte.client.workflow.getHandle(id).result();
  }

  for (const [playbook, kind, entity, alert] of [
    ['brute-force', 'address', uniqueAddress(), (e: string) => ({ type: 'auth.failure', sourceIp: e })],
    ['phishing', 'user', `clicker-${randomBytes(3).toString('hex')}@example.com`, (e: string) => ({ type: 'phishing.click', user: e, url: 'https://phish.example/x' })],
  ] as const) {
    test(`are counted for the next incident about the same ${kind}, from the entity's history, not the visibility store`, async () => {
      const first = await incidentOnce(playbook, entity, alert(entity));
      assert.equal(first.previousIncidents, 0);
      const history = riposte.client.workflow.getHandle(offenceHistoryWorkflowId(entity));
      await eventually('the closed incident in the entity history', async () => ((await history.query(entityHistoryQuery).catch(() => undefined))?.incidents.length === 1 ? true : undefined));
      const second = await incidentOnce(playbook, entity, alert(entity));
      assert.equal(second.previousIncidents, 1);
      assert.deepEqual((await history.query(entityHistoryQuery)).incidents.map((i) => i.incidentId), [`${playbook}:${entity}`, `${playbook}:${entity}`]);
    });
  }
});
