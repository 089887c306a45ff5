import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBlockActivities } from '../../activities/blocks.ts';
import { blockShardOf, blockShardWorkflowId, blockWorkflowId } from '../../workflows/ids.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

describe('block shards', () => {
  const policy = testPolicy({ allowlist: ['2001:db8:aaaa::/48'] });
  let riposte: TestRiposte;
  let requestBlock: ReturnType<typeof createBlockActivities>['requestBlock'];
  before(async () => {
    riposte = await startRiposte({ policy });
    requestBlock = createBlockActivities({ client: riposte.client, taskQueue: riposte.taskQueue, enforcementTaskQueue: `${riposte.taskQueue}-enforcement` }).requestBlock;
  });
  after(() => riposte.stop());

  const feedEntry = async (address: string) => (await riposte.edl.read()).find((t) => t.address === address);
  const block = (address: string, durationMs: number, requestedBy = 'test') => requestBlock({ address, durationMs, reason: 'test', requestedBy, points: ['edl'] });
  const gone = (address: string, timeoutMs?: number) => eventually(`the block of ${address} gone from its shard`, async () => ((await riposte.blocks.read(address)) === null ? true : undefined), timeoutMs);
  /** No block workflow of its own: new blocks only ever live in their shard. */
  const active = (address: string) => eventually(`the block of ${address} active`, async () => {
    const view = await riposte.blocks.read(address);
    return view?.state === 'active' ? view : undefined;
  });
  const legacyRuns = async (address: string) => (await riposte.client.workflow.count(`WorkflowId = "${blockWorkflowId(address)}"`)).count;

  test('unblock removes the block at once, everywhere', async () => {
    const address = uniqueAddress();
    const lease = await block(address, 3_600_000);
    assert.equal(lease.workflowId, blockShardWorkflowId(riposte.taskQueue, blockShardOf(address)));
    assert.equal(lease.address, address);
    await eventually('the block applied', () => feedEntry(address));
    await active(address);
    const lifted = Date.now();
    assert.equal(await riposte.blocks.lift(address, 'alice', 'test'), true);
    await gone(address);
    assert.ok(Date.now() - lifted < 10_000, 'an unblock does not wait for the expiry');
    assert.equal(await feedEntry(address), undefined);
    assert.equal(await riposte.blocks.lift(address, 'alice', 'again'), false, 'nothing is left to lift');
  });

  test('a second block on the same address extends the first: one entry, two requests', async () => {
    const address = uniqueAddress();
    await block(address, 60_000, 'incident-a');
    const first = await eventually('the first block applied', () => feedEntry(address));
    await block(address, 3_600_000, 'incident-b');
    const second = await eventually('the extension applied', async () => {
      const entry = await feedEntry(address);
      return entry && entry.expiresAt > first.expiresAt + 3_000_000 ? entry : undefined;
    });
    const view = await eventually('the extension recorded', async () => {
      const seen = await riposte.blocks.read(address);
      return seen?.points.edl?.expiresAt === new Date(second.expiresAt).toISOString() ? seen : undefined;
    });
    assert.equal(view.requests, 2);
    assert.equal(view.requestedBy, 'incident-b', 'the request that set the expiry');
    assert.deepEqual(view.leases.map((lease) => lease.requester).sort(), ['incident-a', 'incident-b']);
    assert.equal(view.expiresAt, new Date(second.expiresAt).toISOString());
    const entries = (await riposte.blocks.list(1000)).blocks.filter((b) => b.address === address);
    assert.equal(entries.length, 1);
    assert.equal(await legacyRuns(address), 0);
    assert.equal((await riposte.edl.read()).filter((t) => t.address === address).length, 1);
  });

  test('a shorter request never shortens an active block', async () => {
    const address = uniqueAddress();
    await block(address, 3_600_000);
    const long = await eventually('the block applied', () => feedEntry(address));
    await block(address, 1_000);
    const view = await eventually('the second request seen', async () => {
      const seen = await riposte.blocks.read(address);
      return seen?.requests === 2 ? seen : undefined;
    });
    assert.equal(view.expiresAt, new Date(long.expiresAt).toISOString(), 'the shard keeps the longer expiry');
    // Past the short request's end: still held everywhere, at the long expiry.
    await new Promise((r) => setTimeout(r, 1_500));
    const later = await riposte.blocks.read(address);
    assert.equal(later?.state, 'active');
    assert.equal(later?.expiresAt, new Date(long.expiresAt).toISOString());
    assert.equal((await feedEntry(address))?.expiresAt, long.expiresAt);
  });

  test('a block expires on its timer and is removed', async () => {
    const address = uniqueAddress();
    const requested = Date.now();
    await block(address, 2_000);
    await eventually('the block applied', () => feedEntry(address));
    const view = await active(address);
    assert.ok(view.expiresAt && Date.parse(view.expiresAt) >= requested + 2_000);
    await gone(address, 20_000);
    assert.ok(Date.now() - requested >= 2_000, 'not removed before its expiry');
    assert.equal(await feedEntry(address), undefined);
    assert.equal(await legacyRuns(address), 0);
  });

  test('the enforcement adapter refuses an allowlisted address even when a workflow asks for it', async () => {
    const address = '2001:db8:aaaa::7';
    await block(address, 3_600_000);
    const view = await eventually('the refusal recorded', async () => {
      const seen = await riposte.blocks.read(address);
      return seen?.points.edl?.error ? seen : undefined;
    });
    assert.match(view.points.edl!.error!, /allowlisted by 2001:db8:aaaa::\/48/);
    assert.equal(view.points.edl!.state, 'failed');
    assert.equal(view.state, 'failed', 'refused by every point');
    assert.equal(await feedEntry(address), undefined);
  });
});
