import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createCrowdstrikeContainment } from '../../activities/hosts/crowdstrikeContainment.ts';
import { createHttpAssetTracker } from '../../activities/hosts/httpAssetTracker.ts';
import { createTheHive } from '../../activities/ticket/theHive.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, alertSchema, EMPTY_BATCH, summarizeAlert } from '../../domain/alert.ts';
import type { IncidentState } from '../../domain/incident.ts';
import { approveSignal, statusQuery } from '../../workflows/messages.ts';
import { startFakeAssetTracker, startFakeCrowdStrike, startFakeTheHive } from '../support/fakeVendors.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy } from '../support/temporal.ts';

// A host of this run only: other files on the shared server name ws-042 in their ids.
const HOST = `ws-${Date.now().toString(36)}.corp.example`;
// No `approvals:` key: isolation needs one person.
const policy = testPolicy({
  playbooks: { 'lateral-movement': { mode: 'approve', actionModes: { tag_host: 'auto' }, approvalTimeout: '1h', reviewWindow: '5m', notify: [] } },
});
let hive: Awaited<ReturnType<typeof startFakeTheHive>>;
let assets: Awaited<ReturnType<typeof startFakeAssetTracker>>;
let falcon: Awaited<ReturnType<typeof startFakeCrowdStrike>>;
let riposte: TestRiposte;

before(async () => {
  [hive, assets, falcon] = await Promise.all([startFakeTheHive(), startFakeAssetTracker([HOST]), startFakeCrowdStrike()]);
  riposte = await startRiposte({
    policy,
    responders: {
      tickets: [createTheHive({ url: hive.url, apiKey: hive.apiKey })],
      assets: [createHttpAssetTracker({ url: assets.baseUrl, token: assets.token })],
      containment: [createCrowdstrikeContainment({ baseUrl: falcon.url, clientId: falcon.clientId, clientSecret: falcon.clientSecret })],
    },
  });
});
after(async () => {
  await riposte?.stop();
  await Promise.all([hive?.close(), assets?.close(), falcon?.close()]);
});

async function statusOf(id: string, wanted: IncidentState['status']): Promise<IncidentState> {
  return eventually(`${id} to be ${wanted}`, async () => {
    const state = await riposte.client.workflow.getHandle(id).query(statusQuery);
    return state.status === wanted ? state : undefined;
  }, 60_000);
}

test('lateral movement tags the host at once, opens a ticket, and isolates only once a person approves', async () => {
  const device = falcon.add(HOST);
  const alert = alertSchema.parse({
    id: 'edr-lm-1', source: 'generic', type: 'process.lateral_movement', severity: 8, host: HOST.toUpperCase(), user: 'bob@example.org', sourceIp: '10.20.0.7',
  });
  const id = `lateral-movement:${HOST}`;
  await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'lateral-movement', entity: HOST, policy, links: {} }, addToBatch(EMPTY_BATCH, [summarizeAlert(alert, new Date().toISOString())]));

  const waiting = await statusOf(id, 'awaiting_approval');
  assert.equal(waiting.approvalsNeeded, 1);
  assert.deepEqual(assets.tagsOf(HOST), ['riposte:risky'], 'tag_host is in auto mode: done before the wait');
  assert.deepEqual(assets.calls(), [`PUT /inventory/assets/${HOST}/tags/riposte%3Arisky`]);
  assert.equal(hive.alerts.size, 1, 'the ticket does not wait for the approval');
  const [ticket] = [...hive.alerts.values()];
  assert.deepEqual(ticket.observables.map((o: { dataType: string; data: string }) => [o.dataType, o.data]), [['hostname', HOST], ['mail', 'bob@example.org'], ['ip', '10.20.0.7']]);
  assert.deepEqual(falcon.actions(), [], 'no isolation before approval');
  assert.equal(falcon.status(device), 'normal');
  // The ticket runs alongside the tag, so either may be recorded first.
  assert.deepEqual(waiting.actions.map((a) => [a.kind, a.outcome]).sort(), [['open_ticket', 'done'], ['tag_host', 'done']]);

  await riposte.client.workflow.getHandle(id).signal(approveSignal, { by: 'alice', comment: 'confirmed with the host owner' });
  const contained = await statusOf(id, 'contained');
  assert.deepEqual(falcon.actions(), [`contain ${device}`]);
  assert.equal(falcon.status(device), 'containment_pending');
  assert.deepEqual([contained.approval?.decision, contained.approval?.by], ['approved', 'alice']);
  assert.deepEqual(contained.actions.map((a) => [a.kind, a.outcome]).sort(), [['isolate_host', 'done'], ['open_ticket', 'done'], ['tag_host', 'done']]);
  assert.equal(contained.actions.at(-1)?.kind, 'isolate_host', 'the isolation comes after the approval');
  assert.equal(assets.calls().length, 1, 'the host is tagged once');
});
