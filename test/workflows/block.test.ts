import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createBlockActivities } from '../../activities/blocks.ts';
import { blockWorkflowId } from '../../workflows/ids.ts';
import { blockStatusQuery, unblockSignal } from '../../workflows/messages.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

describe('block workflow', () => {
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

  test('unblock removes the block at once, everywhere', async () => {
    const address = uniqueAddress();
    const { workflowId } = await block(address, 3_600_000);
    await eventually('the block applied', () => feedEntry(address));
    const handle = riposte.client.workflow.getHandle(workflowId);
    await handle.signal(unblockSignal, { by: 'alice' });
    const final = await handle.result();
    assert.equal(final.state, 'removed');
    assert.equal(await feedEntry(address), undefined);
  });

  test('a second block on the same address extends the first and makes no second workflow', async () => {
    const address = uniqueAddress();
    await block(address, 60_000, 'incident-a');
    const first = await eventually('the first block applied', () => feedEntry(address));
    await block(address, 3_600_000, 'incident-b');
    const second = await eventually('the extension applied', async () => {
      const entry = await feedEntry(address);
      return entry && entry.expiresAt > first.expiresAt + 3_000_000 ? entry : undefined;
    });
    const state = await riposte.client.workflow.getHandle(blockWorkflowId(address)).query(blockStatusQuery);
    assert.equal(state.requests, 2);
    assert.equal(state.lastRequestedBy, 'incident-b');
    assert.equal(state.expiresAt, second.expiresAt);
    const runs = await riposte.client.workflow.count(`WorkflowId = "${blockWorkflowId(address)}"`);
    assert.equal(runs.count, 1);
  });

  test('a shorter request never shortens an active block', async () => {
    const address = uniqueAddress();
    await block(address, 3_600_000);
    const long = await eventually('the block applied', () => feedEntry(address));
    await block(address, 1_000);
    await eventually('the second request seen', async () => ((await riposte.client.workflow.getHandle(blockWorkflowId(address)).query(blockStatusQuery)).requests === 2 ? true : undefined));
    assert.equal((await feedEntry(address))?.expiresAt, long.expiresAt);
  });

  test('a block expires on its timer and is removed', async () => {
    const address = uniqueAddress();
    const { workflowId } = await block(address, 2_000);
    await eventually('the block applied', () => feedEntry(address));
    const final = await riposte.client.workflow.getHandle(workflowId).result();
    assert.equal(final.state, 'removed');
    assert.equal(await feedEntry(address), undefined);
  });

  test('the enforcement adapter refuses an allowlisted address even when a workflow asks for it', async () => {
    const address = '2001:db8:aaaa::7';
    await block(address, 3_600_000);
    const state = await eventually('the refusal recorded', async () => {
      const s = await riposte.client.workflow.getHandle(blockWorkflowId(address)).query(blockStatusQuery);
      return s.pointErrors.edl ? s : undefined;
    });
    assert.match(state.pointErrors.edl!, /allowlisted by 2001:db8:aaaa::\/48/);
    assert.equal(await feedEntry(address), undefined);
  });
});
