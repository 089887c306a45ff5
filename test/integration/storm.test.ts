import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { blockShardOf, blockShardWorkflowId, blockWorkflowId } from '../../workflows/ids.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

// The bench's storm scenario at a size that fits in npm test: correctness only, no timing.
const ADDRESSES = 20;
const ALERTS = 1000;
const CONCURRENCY = 32;

let riposte: TestRiposte;
let api: TestApi;
const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '5m', notify: [] } } });
before(async () => {
  riposte = await startRiposte({ policy });
  api = await startApi(riposte, policy, { coalesceWindowMs: 5 });
});
after(async () => {
  await api?.close();
  await riposte?.stop();
});

test(`a storm of ${ALERTS} alerts for ${ADDRESSES} addresses makes ${ADDRESSES} incidents, ${ADDRESSES} blocks, and counts every alert`, async () => {
  const addresses = Array.from({ length: ADDRESSES }, () => uniqueAddress());
  let next = 0;
  const statuses: number[] = [];
  const refusals: string[] = [];
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < ALERTS) {
      const i = next++;
      const r = await api.call('POST', '/v1/alerts/humio', { hostname: 'web01', ip: addresses[i % ADDRESSES]!, id: `storm-${i}` });
      statuses.push(r.status);
      if (r.status !== 202) refusals.push(`${r.status} ${r.text}`);
    }
  }));
  assert.deepEqual([...new Set(statuses)], [202], refusals.slice(0, 5).join('\n'));

  for (const address of addresses) {
    const state = await eventually(`incident for ${address} to count all its alerts`, async () => {
      const s = await riposte.client.workflow.getHandle(`brute-force:${address}`).query(statusQuery);
      return s.alertsReceived === ALERTS / ADDRESSES && s.status === 'contained' ? s : undefined;
    }, 30_000);
    assert.equal(state.alertCount, ALERTS / ADDRESSES);
    const block = await riposte.blocks.read(address);
    assert.ok(block, `${address} is blocked`);
    // One incident, one request: a retried request (the same lease id, the incident run's) is the same grant.
    assert.equal(block.requests, 1, `one block request for ${address}`);
    assert.equal(block.workflowId, blockShardWorkflowId(riposte.taskQueue, blockShardOf(address)), `${address} is held by its own shard`);
    assert.deepEqual(block.leases.map((l) => [l.requester, l.incident]), [[`brute-force:${address}`, true]], `one lease, the incident's, for ${address}`);
    // New blocks never start a workflow of their own (strongly consistent, unlike visibility).
    await assert.rejects(riposte.client.workflow.getHandle(blockWorkflowId(address)).describe(), WorkflowNotFoundError, `no block workflow for ${address}`);
  }
  const incidents = await riposte.client.workflow.count(`WorkflowType = "incidentWorkflow" AND TaskQueue = "${riposte.taskQueue}"`);
  assert.equal(incidents.count, ADDRESSES);
  // Every block of this deployment, across its shards: exactly one entry per address, and nothing else.
  const listed = await riposte.blocks.list(1000);
  assert.equal(listed.next, undefined);
  const { blocks } = listed;
  assert.deepEqual(blocks.map((b) => b.address).sort(), [...addresses].sort());
  assert.ok(blocks.every((b) => b.requests === 1), 'one request per entry');
  await eventually('every address enforced', async () => {
    const enforced = new Set((await riposte.edl.read()).map((t) => t.address));
    return addresses.every((address) => enforced.has(address)) ? true : undefined;
  });
});
