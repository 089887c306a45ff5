import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createWebhookNotifier } from '../../activities/notify/webhookNotifier.ts';
import type { IncidentState } from '../../domain/incident.ts';
import { admitBlocksUpdate, type BlockAdmission, controlStateQuery, controlWorkflow } from '../../workflows/control.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { controlTaskQueue } from '../../workflows/taskQueues.ts';
import { type HttpReceiver, startReceiver } from '../support/httpReceiver.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testKey, testPolicy, uniqueAddress } from '../support/temporal.ts';

// The breaker counts the blocks of one deployment (its main task queue), so tripping it here holds no other file's.
const MAX_NEW_BLOCKS = 3;
const policy = testPolicy({
  circuitBreaker: { maxNewBlocks: MAX_NEW_BLOCKS, window: '10m' },
  playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', approvalTimeout: '1h', reviewWindow: '5m', notify: ['webhook'] } },
});
const responder = testKey('rita', 'responder');
let webhook: HttpReceiver;
let riposte: TestRiposte;
let api: TestApi;

before(async () => {
  webhook = await startReceiver();
  riposte = await startRiposte({ policy, notifiers: [createWebhookNotifier({ url: `${webhook.url}/hook` })] });
  api = await startApi(riposte, policy, { keys: [responder.spec] });
});
after(async () => {
  await api?.close();
  await riposte?.stop();
  await webhook?.close();
});

async function incidentReaching(ip: string, wanted: IncidentState['status']): Promise<IncidentState> {
  assert.equal((await api.call('POST', '/v1/alerts/humio', { hostname: 'web01', ip })).status, 202);
  return eventually(`${ip} ${wanted}`, async () => {
    const state = await riposte.client.workflow.getHandle(`brute-force:${ip}`).query(statusQuery);
    return state.status === wanted ? state : undefined;
  });
}

const breakerNotifications = () => webhook.requests.filter((r) => r.body.includes('CIRCUIT BREAKER TRIPPED'));

test(`in auto mode, block ${MAX_NEW_BLOCKS + 1} within the window waits for approval; one notification; an admin reset re-arms it`, async () => {
  for (let i = 0; i < MAX_NEW_BLOCKS; i++) await incidentReaching(uniqueAddress(), 'contained');
  assert.equal((await api.call('GET', '/v1/control')).json.breaker.tripped, false);

  const tripping = uniqueAddress();
  const held = await incidentReaching(tripping, 'awaiting_approval');
  assert.match(held.approvalReasons?.join() ?? '', /circuit breaker tripped \(more than 3 new blocks in 10m\)/);
  assert.equal(held.actions.filter((a) => a.kind === 'block').length, 0, 'nothing was blocked past the breaker');
  const control = (await api.call('GET', '/v1/control')).json;
  assert.equal(control.breaker.tripped, true);
  assert.equal(control.breaker.by, 'automation');

  const next = uniqueAddress();
  await incidentReaching(next, 'awaiting_approval');
  await eventually('the breaker notification', () => (breakerNotifications().length > 0 ? true : undefined));
  assert.equal(breakerNotifications().length, 1, 'one notification when it trips, not one per held incident');

  const approved = await api.call('POST', `/v1/incidents/brute-force:${tripping}/approve`, { comment: 'checked: real attack' }, responder.auth);
  assert.equal(approved.status, 202);
  const contained = await eventually('approved past the breaker', async () => {
    const state = await riposte.client.workflow.getHandle(`brute-force:${tripping}`).query(statusQuery);
    return state.status === 'contained' ? state : undefined;
  });
  assert.equal(contained.approval?.by, 'rita');

  const refused = await api.call('POST', '/v1/control/breaker/reset', {}, responder.auth);
  assert.equal(refused.status, 403, 'a responder cannot reset the breaker');
  const reset = await api.call('POST', '/v1/control/breaker/reset', {});
  assert.equal(reset.status, 200);
  assert.equal(reset.json.breaker.tripped, false);
  assert.match(reset.json.breaker.by, /^api-key:/);

  await incidentReaching(uniqueAddress(), 'contained');
  assert.equal(breakerNotifications().length, 1);
});

test('an admission sent again under the same key (its reply lost, a retry) is answered as before and counted once', async () => {
  // A control workflow of its own on this deployment's control queue: the breaker tested above keeps its state.
  const handle = await riposte.client.workflow.start(controlWorkflow, { workflowId: `admissions-${randomUUID()}`, taskQueue: controlTaskQueue(riposte.taskQueue) });
  const admission = { incidentId: 'brute-force:2001:db8::a', automatic: true, maxNewBlocks: 2, windowMs: 600_000 };
  const send = (batch: BlockAdmission[]) => handle.executeUpdate(admitBlocksUpdate, { args: [batch] });
  try {
    assert.deepEqual(await send([{ ...admission, key: 'k1' }, { ...admission, key: 'k1' }]), [{ admitted: true, justTripped: false }, { admitted: true, justTripped: false }]);
    assert.deepEqual(await send([{ ...admission, key: 'k1' }]), [{ admitted: true, justTripped: false }]);
    assert.equal((await handle.query(controlStateQuery)).breaker?.recentBlocks, 1, 'three sends of one admission count one block');
    assert.deepEqual(await send([{ ...admission, key: 'k2' }, { ...admission, key: 'k3' }, { ...admission, key: 'k3' }]), [
      { admitted: true, justTripped: false },
      { admitted: false, justTripped: true },
      { admitted: false, justTripped: true },
    ]);
    // Runs from before admissions had keys send none: each is counted, as before.
    assert.deepEqual(await send([admission, admission]), [{ admitted: false, justTripped: false }, { admitted: false, justTripped: false }]);
    assert.equal((await handle.query(controlStateQuery)).breaker?.recentBlocks, 2);
  } finally {
    await handle.terminate('test over');
  }
});
