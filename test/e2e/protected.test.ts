import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createActionActivities } from '../../activities/actions.ts';
import { discardAudit } from '../../activities/audit/index.ts';
import { createCrowdstrikeContainment } from '../../activities/hosts/crowdstrikeContainment.ts';
import { createHttpAssetTracker } from '../../activities/hosts/httpAssetTracker.ts';
import { createTheHive } from '../../activities/ticket/theHive.ts';
import { createOktaDirectory } from '../../activities/users/oktaDirectory.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import type { IncidentBrief } from '../../domain/actions/action.ts';
import { guardOf } from '../../domain/actions/guard.ts';
import { addToBatch, alertSchema, EMPTY_BATCH, summarizeAlert } from '../../domain/alert.ts';
import type { IncidentState } from '../../domain/incident.ts';
import type { Mode, PolicySnapshot } from '../../domain/policy.ts';
import type { Responders } from '../../workers/riposteWorkers.ts';
import { approveSignal, statusQuery, timelineQuery } from '../../workflows/messages.ts';
import { startFakeAssetTracker, startFakeCrowdStrike, startFakeOkta, startFakeTheHive } from '../support/fakeVendors.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy } from '../support/temporal.ts';

const protect = { users: ['svc-*', 'admin@example.org'], hosts: ['dc*'] };
const MODES: Mode[] = ['observe', 'approve', 'auto'];
// One policy per mode, each with the same protect list; the workers' own guard comes from the first.
const policies = Object.fromEntries(MODES.map((mode) => [mode, testPolicy({
  protect,
  playbooks: {
    'account-compromise': { mode, approvalTimeout: '1h', reviewWindow: '5m', notify: [] },
    'lateral-movement': { mode, approvalTimeout: '1h', reviewWindow: '5m', notify: [] },
  },
})])) as Record<Mode, PolicySnapshot>;
const USERS = [...MODES.map((mode) => `svc-${mode}@example.org`), 'svc-backup@example.org', 'admin@example.org'];
const HOSTS = [...MODES.map((mode) => `dc-${mode}.corp.example`), 'dc01.corp.example', 'dc02'];

let okta: Awaited<ReturnType<typeof startFakeOkta>>;
let assets: Awaited<ReturnType<typeof startFakeAssetTracker>>;
let falcon: Awaited<ReturnType<typeof startFakeCrowdStrike>>;
let hive: Awaited<ReturnType<typeof startFakeTheHive>>;
let responders: Responders;
let riposte: TestRiposte;

before(async () => {
  [okta, assets, falcon, hive] = await Promise.all([startFakeOkta(USERS), startFakeAssetTracker(HOSTS), startFakeCrowdStrike(), startFakeTheHive()]);
  // Every protected target exists at the vendors, so only Riposte's own checks keep them untouched.
  for (const host of HOSTS) falcon.add(host);
  responders = {
    users: [createOktaDirectory({ orgUrl: okta.url, apiToken: okta.token })],
    assets: [createHttpAssetTracker({ url: assets.baseUrl, token: assets.token })],
    containment: [createCrowdstrikeContainment({ baseUrl: falcon.url, clientId: falcon.clientId, clientSecret: falcon.clientSecret })],
    tickets: [createTheHive({ url: hive.url, apiKey: hive.apiKey })],
    managers: [],
  };
  riposte = await startRiposte({ policy: policies.auto, responders });
});
after(async () => {
  await riposte?.stop();
  await Promise.all([okta?.close(), assets?.close(), falcon?.close(), hive?.close()]);
});

function assertVendorsUntouched() {
  assert.deepEqual(okta.calls(), [], 'Okta was called');
  assert.deepEqual(assets.calls(), [], 'the asset tracker was called');
  assert.deepEqual(falcon.calls(), [], 'the EDR was called');
}

async function settled(id: string): Promise<IncidentState> {
  return eventually(`${id} to finish its response`, async () => {
    const state = await riposte.client.workflow.getHandle(id).query(statusQuery);
    return ['triage', 'containing', 'awaiting_approval'].includes(state.status) ? undefined : state;
  }, 60_000);
}

async function raise(policy: PolicySnapshot, playbook: 'account-compromise' | 'lateral-movement', entity: string) {
  const alert = alertSchema.parse({
    id: `${playbook}-${entity}-${policy.version}`, source: 'generic', severity: 9,
    ...(playbook === 'account-compromise' ? { type: 'account.compromise', user: entity } : { type: 'process.lateral_movement', host: entity }),
  });
  const id = `${playbook}:${entity}`;
  await signalIncident(riposte.client, riposte.taskQueue, id, { playbook, entity, policy, links: {} }, addToBatch(EMPTY_BATCH, [summarizeAlert(alert, new Date().toISOString())]));
  return id;
}

describe('protected users and hosts are never acted on', () => {
  for (const mode of MODES) {
    test(`in ${mode} mode: refused with the rule, status protected, no vendor call`, async () => {
      // Incident ids are per entity, so each mode gets entities of its own that the same patterns cover.
      const user = `svc-${mode}@example.org`;
      const host = `dc-${mode}.corp.example`;
      const userIncident = await raise(policies[mode], 'account-compromise', user);
      const hostIncident = await raise(policies[mode], 'lateral-movement', host);
      const [userState, hostState] = await Promise.all([settled(userIncident), settled(hostIncident)]);

      assert.equal(userState.status, 'protected', JSON.stringify(userState.actions));
      const disable = userState.actions.find((a) => a.kind === 'disable_user');
      assert.equal(disable?.outcome, 'refused');
      assert.equal(disable?.detail, `${user} is protected by svc-*`);

      assert.equal(hostState.status, 'protected', JSON.stringify(hostState.actions));
      for (const kind of ['tag_host', 'isolate_host']) {
        const refused = hostState.actions.find((a) => a.kind === kind);
        assert.equal(refused?.outcome, 'refused', kind);
        assert.equal(refused?.detail, `${host} is protected by dc*`);
      }

      // An approval, had anyone been asked, changes nothing: nobody is asked, and the signal is ignored.
      for (const id of [userIncident, hostIncident]) await riposte.client.workflow.getHandle(id).signal(approveSignal, { by: 'alice' });
      await eventually('both approvals ignored', async () => {
        const timelines = await Promise.all([userIncident, hostIncident].map((id) => riposte.client.workflow.getHandle(id).query(timelineQuery)));
        return timelines.every((t) => t.some((e) => e.event === 'approve_ignored' && e.by === 'alice')) ? true : undefined;
      });
      for (const id of [userIncident, hostIncident]) {
        const state = await riposte.client.workflow.getHandle(id).query(statusQuery);
        assert.equal(state.status, 'protected');
        assert.ok(!state.actions.some((a) => a.outcome === 'done' && a.kind !== 'open_ticket'), JSON.stringify(state.actions));
      }
      assertVendorsUntouched();
    });
  }

  test('an exact protected user is refused too', async () => {
    const id = await raise(policies.auto, 'account-compromise', 'admin@example.org');
    const state = await settled(id);
    assert.equal(state.status, 'protected');
    assert.equal(state.actions.find((a) => a.kind === 'disable_user')?.detail, 'admin@example.org is protected by admin@example.org');
    assertVendorsUntouched();
  });
});

describe('the action activity checks the protect list itself', () => {
  const brief: IncidentBrief = {
    id: 'lateral-movement:dc01.corp.example', playbook: 'lateral-movement', title: 'x', entity: 'dc01.corp.example', entityKind: 'host', alertCount: 1, severity: 9,
    mode: 'auto', status: 'containing', summary: 'x', links: {}, policyVersion: policies.auto.version, alertIds: ['a'], actor: 'automation', enforcementPoints: ['edl'],
  };

  // As if a workflow (an old version, a bug, a hand-made history) asked for the action without the plan's check.
  const cases: { kind: string; params: Record<string, unknown>; rule: string }[] = [
    { kind: 'disable_user', params: { user: 'svc-backup@example.org' }, rule: 'svc-*' },
    { kind: 'disable_user', params: { user: 'SVC-Backup@Example.ORG' }, rule: 'svc-*' },
    { kind: 'disable_user', params: { user: 'admin@example.org' }, rule: 'admin@example.org' },
    { kind: 'isolate_host', params: { host: 'dc01.corp.example' }, rule: 'dc*' },
    { kind: 'isolate_host', params: { host: 'DC02.' }, rule: 'dc*' },
    { kind: 'tag_host', params: { host: 'dc01.corp.example', tag: 'riposte:risky' }, rule: 'dc*' },
  ];

  for (const { kind, params, rule } of cases) {
    test(`${kind} ${JSON.stringify(params)} throws a non-retryable Protected naming ${rule}`, async () => {
      let containmentChecked = false;
      const activities = createActionActivities({
        ports: {
          blocks: { request: () => assert.fail('no block'), withdraw: () => assert.fail('no block') },
          ...responders,
          messenger: { send: async () => ({ sent: [], skipped: [] }), managerOf: async () => undefined },
        },
        guard: guardOf(policies.auto),
        assertContainmentAllowed: async () => { containmentChecked = true; },
        audit: discardAudit,
      });
      await assert.rejects(activities.applyAction({ kind, params, idempotencyKey: `${brief.id}|${kind}`, incident: brief }), (err: unknown) => {
        assert.ok(err instanceof ApplicationFailure, String(err));
        assert.equal(err.type, 'Protected');
        assert.equal(err.nonRetryable, true);
        assert.match(err.message, new RegExp(`is protected by ${rule.replace('*', '\\*')}$`));
        return true;
      });
      assert.equal(containmentChecked, false, 'refused before anything else');
      assertVendorsUntouched();
    });
  }

  test('an unprotected user is disabled by the same activity, so the refusals above are the guard at work', async () => {
    const other = await startFakeOkta(['mallory@example.org']);
    try {
      const activities = createActionActivities({
        ports: {
          blocks: { request: () => assert.fail('no block'), withdraw: () => assert.fail('no block') },
          ...responders,
          users: [createOktaDirectory({ orgUrl: other.url, apiToken: other.token })],
          messenger: { send: async () => ({ sent: [], skipped: [] }), managerOf: async () => undefined },
        },
        guard: guardOf(policies.auto),
        assertContainmentAllowed: async () => undefined,
        audit: discardAudit,
      });
      const result = await activities.applyAction({ kind: 'disable_user', params: { user: 'mallory@example.org' }, idempotencyKey: 'x|disable_user|mallory', incident: brief });
      assert.equal(result.outcome, 'done');
      assert.equal(other.statusOf('mallory@example.org'), 'SUSPENDED');
    } finally {
      await other.close();
    }
  });
});
