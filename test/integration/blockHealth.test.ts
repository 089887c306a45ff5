/**
 * A block no enforcement point holds is `failed`, not `active`: in the listing, in its own view, in the incident and in
 * a notification; the refused point is tried again with a back-off capped at retryFailedEvery, and the incident says so
 * when it holds.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import type { EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { createWebhookNotifier } from '../../activities/notify/webhookNotifier.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, EMPTY_BATCH } from '../../domain/alert.ts';
import { blockShardOf, blockShardWorkflowId } from '../../workflows/ids.ts';
import { statusQuery, timelineQuery } from '../../workflows/messages.ts';
import { type HttpReceiver, startReceiver } from '../support/httpReceiver.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

/** The `log` point stood in for by one that refuses while `down`, as nft does with its namespace gone. */
function fallible(): EnforcementPoint & { down: boolean } {
  const held = new Map<string, number>();
  return {
    name: 'log',
    down: true,
    async apply({ address, expiresAt }) {
      if (this.down) throw ApplicationFailure.nonRetryable('the firewall namespace is gone', 'PointUnavailable');
      held.set(address, expiresAt);
    },
    async remove(address) {
      held.delete(address);
    },
    async list() {
      return [...held].map(([address, expiresAt]) => ({ address, expiresAt }));
    },
  };
}

describe('a block no point holds', () => {
  const policy = testPolicy({
    playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '5m', notify: ['webhook'] } },
    enforcement: { points: ['log'], retryFailedEvery: '2s' },
  });
  const point = fallible();
  let hook: HttpReceiver;
  let riposte: TestRiposte;
  let api: TestApi;
  before(async () => {
    hook = await startReceiver();
    riposte = await startRiposte({ policy, points: () => [point], notifiers: [createWebhookNotifier({ url: `${hook.url}/hook` })] });
    api = await startApi(riposte, policy);
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
    await hook?.close();
  });

  test('is listed failed, fails its incident with a notification, and is held again once the point is back', async () => {
    const address = uniqueAddress();
    const id = `brute-force:${address}`;
    await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'brute-force', entity: address, policy, links: {} }, addToBatch(EMPTY_BATCH, [{ id: 'e1', source: 'generic', type: 'auth.failure', severity: 7, count: 1, receivedAt: new Date().toISOString() }]));
    const incident = riposte.client.workflow.getHandle(id);

    const failed = await eventually('the incident failed', async () => {
      const s = await incident.query(statusQuery);
      return s.status === 'failed' ? s : undefined;
    });
    assert.match(failed.actions.find((a) => a.kind === 'block')!.error!, /log: the firewall namespace is gone/);
    const view = await eventually('the block failed', async () => {
      const r = await api.call('GET', `/v1/blocks/${address}`);
      return r.json?.state === 'failed' ? r.json : undefined;
    });
    assert.deepEqual([view.points.log.state, view.points.log.error], ['failed', 'the firewall namespace is gone']);
    assert.deepEqual(view.leases.map((l: { requester: string }) => l.requester), [id]);
    const listed = await eventually('listed failed', async () => (await api.call('GET', '/v1/blocks')).json.blocks.find((b: { address: string; state: string }) => b.address === address && b.state === 'failed'));
    assert.equal(listed.workflowId, blockShardWorkflowId(riposte.taskQueue, blockShardOf(address)), 'held by the shard of its address');
    assert.equal(view.workflowId, listed.workflowId);
    await eventually('the failure told on the route', () => hook.requests.find((r) => r.body.includes(id) && r.body.includes('FAILED')));

    point.down = false;
    const recovered = await eventually('the block held again', async () => {
      const r = await api.call('GET', `/v1/blocks/${address}`);
      return r.json?.state === 'active' ? r.json : undefined;
    });
    assert.deepEqual([recovered.points.log.state, recovered.points.log.recovered], ['applied', true]);
    assert.ok(Date.parse(recovered.expiresAt) > Date.now() + 50 * 60_000, 'held with the block\'s own expiry');
    await eventually('the incident contained again', async () => ((await incident.query(statusQuery)).status === 'contained' ? true : undefined));
    const timeline = (await incident.query(timelineQuery)).map((e) => e.event);
    assert.ok(timeline.indexOf('block:failed') < timeline.indexOf('block:recovered'));
    await eventually('the recovery told on the route', () => hook.requests.find((r) => r.body.includes(id) && r.body.includes('is in place again')));
    assert.equal((await api.call('DELETE', `/v1/blocks/${address}`)).status, 202);
  });

  test('a block one point holds is active, with the other point\'s failure in its view', async () => {
    const both = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '5m', notify: [] } }, enforcement: { points: ['edl', 'log'], retryFailedEvery: '1h' } });
    const other = await startRiposte({ policy: both, points: (dir) => [createEdlEnforcer(new EdlFile(`${dir}/edl.json`)), { ...fallible(), down: true }] });
    const otherApi = await startApi(other, both);
    try {
      const address = uniqueAddress();
      const id = `brute-force:${address}`;
      await signalIncident(other.client, other.taskQueue, id, { playbook: 'brute-force', entity: address, policy: both, links: {} }, addToBatch(EMPTY_BATCH, [{ id: 'e2', source: 'generic', type: 'auth.failure', severity: 7, count: 1, receivedAt: new Date().toISOString() }]));
      const view = await eventually('the block active', async () => {
        const r = await otherApi.call('GET', `/v1/blocks/${address}`);
        return r.json?.state === 'active' && r.json.points.log?.state === 'failed' ? r.json : undefined;
      });
      assert.equal(view.points.edl.state, 'applied');
      assert.equal((await other.client.workflow.getHandle(id).query(statusQuery)).status, 'contained');
      assert.equal((await otherApi.call('DELETE', `/v1/blocks/${address}`)).status, 202);
      assert.equal((await otherApi.call('GET', '/v1/blocks/203.0.113.250')).status, 404);
    } finally {
      await otherApi.close();
      await other.stop();
    }
  });
});
