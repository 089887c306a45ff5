import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testKey, testPolicy, uniqueAddress } from '../support/temporal.ts';

// The bodies of docs/integrations/{okta,sentinel,logscale}.md, as each vendor sends them, with fresh addresses and users.
const oktaHook = (...events: Record<string, unknown>[]) => ({
  eventType: 'com.okta.event_hook',
  eventTypeVersion: '1.0',
  cloudEventsVersion: '0.1',
  contentType: 'application/json',
  eventId: `b5a188b9-${randomBytes(4).toString('hex')}`,
  eventTime: new Date().toISOString(),
  source: 'https://example.okta.com/api/v1/eventHooks/whoql0HfiLGPWc8Jx0g3',
  data: { events },
});
const signIn = (user: string, ipAddress: string, result: 'SUCCESS' | 'FAILURE', eventType = 'user.session.start') => ({
  uuid: randomBytes(16).toString('hex'),
  published: new Date().toISOString(),
  eventType,
  version: '0',
  displayMessage: 'User login to Okta',
  severity: 'INFO',
  client: { zone: 'OFF_NETWORK', device: 'Computer', userAgent: { os: 'Mac OS X', browser: 'CHROME', rawUserAgent: 'Mozilla/5.0' }, ipAddress },
  actor: { id: '00u1qw6mqitPHM8AJ0g7', type: 'User', alternateId: user, displayName: 'Someone' },
  outcome: result === 'SUCCESS' ? { result } : { result, reason: 'INVALID_CREDENTIALS' },
});

const sentinelIncident = (title: string, entities: Record<string, unknown>[], products = ['Azure Sentinel']) => {
  const name = randomUUID();
  return {
    id: `/subscriptions/d0cfe6b2-9ac0-4464-9919-dccaee2e48c0/resourceGroups/myRg/providers/Microsoft.OperationalInsights/workspaces/myWorkspace/providers/Microsoft.SecurityInsights/Incidents/${name}`,
    name,
    type: 'Microsoft.SecurityInsights/Incidents',
    properties: {
      title, severity: 'Medium', status: 'New', incidentNumber: 42, createdTimeUtc: new Date().toISOString(),
      additionalData: { alertsCount: 1, bookmarksCount: 0, commentsCount: 0, alertProductNames: products, tactics: ['CredentialAccess'] },
      relatedEntities: entities.map((e) => ({ type: 'Microsoft.SecurityInsights/Entities', ...e })),
    },
  };
};
const sentinelTrigger = <T>(incident: T) => ({
  eventUniqueId: randomUUID(), objectSchemaType: 'Incident', objectEventType: 'Create',
  workspaceInfo: { SubscriptionId: 'd0cfe6b2-9ac0-4464-9919-dccaee2e48c0', ResourceGroupName: 'myRg', WorkspaceName: 'myWorkspace' },
  workspaceId: '8d300aff-d535-4430-9eef-3046965c48cf', object: incident,
});

const logscaleAction = (rows: Record<string, unknown>[]) => ({
  repository: 'security', timestamp: new Date().toISOString(),
  alert: { name: 'SSH failed logins', description: 'failed SSH logins', query: { queryString: '#event=sshd_failed | groupBy([src_ip])', end: 'now', start: '10m' }, notifierID: 'n1', id: 'a1' },
  warnings: '', events: rows, numberOfEvents: rows.length,
});

describe('identity and SIEM sources through the API, the worker and the dev server', () => {
  const policy = testPolicy({
    playbooks: { 'brute-force': { mode: 'approve', reviewWindow: '1m', notify: [] }, 'account-compromise': { reviewWindow: '1m', notify: [] } },
    sources: {
      humio: { types: { 'alert:SSH failed logins': 'auth.failure' } },
      okta: { types: { 'event:user.account.lock': 'account.compromise' } },
      sentinel: { types: { 'product:Microsoft Entra ID Protection': 'account.compromise' } },
    },
  });
  // Okta sends the Event Hook's secret verbatim as Authorization: the secret is "Bearer <ingest key>".
  const hookKey = testKey('okta-event-hook', 'ingest');
  let riposte: TestRiposte;
  let api: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy, { keys: [hookKey.spec] });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
  });

  const post = (source: string, body: unknown) => api.call('POST', `/v1/alerts/${source}`, body, hookKey.auth);
  const incident = (id: string, ready: (state: any) => boolean) => eventually(`incident ${id}`, async () => {
    const r = await api.call('GET', `/v1/incidents/${encodeURIComponent(id)}`);
    return r.status === 200 && ready(r.json) ? r.json : undefined;
  });
  const assertNeverStarted = (workflowId: string) => assert.rejects(riposte.client.workflow.getHandle(workflowId).describe(), WorkflowNotFoundError, workflowId);
  const someone = () => `u${randomBytes(5).toString('hex')}@example.org`;

  test('an Okta burst of failed sign-ins from one address is one brute-force incident on that address', async () => {
    const ip = uniqueAddress();
    const user = someone();
    const posted = await post('okta', oktaHook(signIn(user, ip, 'FAILURE'), signIn(user, ip, 'FAILURE'), signIn(user, ip.toUpperCase(), 'FAILURE')));
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(posted.json, { accepted: 3, unmatched: 0, incidents: [{ id: `brute-force:${ip}`, playbook: 'brute-force', deduplicated: false }] });
    const state = await incident(`brute-force:${ip}`, (s) => s.status === 'awaiting_approval' && s.alertCount === 3);
    assert.equal(state.sampleAlerts[0].source, 'okta');
    assert.equal(state.sampleAlerts[0].user, user);
    assert.equal(state.sampleAlerts[0].raw.eventType, 'user.session.start', 'raw is the Okta event');
  });

  test('an Okta successful sign-in goes to the user\'s login history for impossible travel', async () => {
    const user = someone();
    const posted = await post('okta', oktaHook(signIn(user, uniqueAddress(), 'SUCCESS')));
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual([posted.json.accepted, posted.json.incidents, posted.json.tracked], [1, [], [{ id: `logins:${user}`, playbook: 'impossible-travel' }]]);
  });

  test('an Okta account lock, mapped by the policy, is an account-compromise incident on the user', async () => {
    const user = someone();
    const lock = { ...signIn(user, uniqueAddress(), 'SUCCESS', 'user.account.lock'), displayMessage: 'Max sign in attempts exceeded' };
    const posted = await post('okta', oktaHook(lock));
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(posted.json.incidents, [{ id: `account-compromise:${user}`, playbook: 'account-compromise', deduplicated: false }]);
    await incident(`account-compromise:${user}`, (s) => s.entity === user);
  });

  test('Okta\'s verification GET is answered with the ingest key, refused without it, and 404 without a challenge', async () => {
    const challenge = 'Me_rShK8JHsTnbyYrWXCEoMGbM_zsZ6k0hLPZ_Pg';
    const verified = await api.call('GET', '/v1/alerts/okta', undefined, { ...hookKey.auth, 'x-okta-verification-challenge': challenge });
    assert.deepEqual([verified.status, verified.json], [200, { verification: challenge }]);
    const anonymous = await api.call('GET', '/v1/alerts/okta', undefined, { 'x-okta-verification-challenge': challenge });
    assert.equal(anonymous.status, 401);
    assert.ok(!anonymous.text.includes(challenge), 'nothing echoed to an unauthenticated caller');
    assert.equal((await api.call('GET', '/v1/alerts/okta', undefined, hookKey.auth)).status, 404);
    assert.equal((await api.call('GET', '/v1/alerts/sentinel', undefined, { ...hookKey.auth, 'x-okta-verification-challenge': challenge })).status, 404);
  });

  test('a Sentinel incident trigger with an IP entity starts its playbook on that address', async () => {
    const ip = uniqueAddress();
    const body = sentinelTrigger(sentinelIncident('SSH - Potential Brute Force', [{ kind: 'Host', properties: { hostName: 'web01' } }, { kind: 'Ip', properties: { address: ip } }]));
    const posted = await post('sentinel', body);
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(posted.json.incidents, [{ id: `brute-force:${ip}`, playbook: 'brute-force', deduplicated: false }]);
    const state = await incident(`brute-force:${ip}`, (s) => s.status === 'awaiting_approval');
    assert.deepEqual([state.sampleAlerts[0].id, state.sampleAlerts[0].host], [body.object.name, 'web01']);
  });

  test('the bare Sentinel incident, mapped by product, is an account compromise of its account', async () => {
    const user = someone();
    const [name, suffix] = user.split('@');
    const posted = await post('sentinel', sentinelIncident('Unfamiliar sign-in properties', [{ kind: 'Ip', properties: { address: uniqueAddress() } }, { kind: 'Account', properties: { accountName: name, upnSuffix: suffix } }], ['Microsoft Entra ID Protection']));
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(posted.json.incidents, [{ id: `account-compromise:${user}`, playbook: 'account-compromise', deduplicated: false }]);
    await incident(`account-compromise:${user}`, (s) => s.entity === user);
  });

  test('a LogScale action\'s events, mapped by alert name, are brute-force incidents on their addresses', async () => {
    const [a, b] = [uniqueAddress(), uniqueAddress()];
    const posted = await post('humio', logscaleAction([{ src_ip: a, _count: '14' }, { src_ip: b, _count: '11' }]));
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(posted.json.incidents.map((i: { id: string }) => i.id).sort(), [`brute-force:${a}`, `brute-force:${b}`].sort());
    await incident(`brute-force:${a}`, (s) => s.alertCount === 14);
  });

  test('malformed bodies get 400 with the vendor path and start nothing, even for their valid events', async () => {
    const ip = uniqueAddress();
    const cases: [source: string, body: unknown, path: string][] = [
      ['okta', oktaHook(signIn(someone(), ip, 'FAILURE'), { ...signIn(someone(), ip, 'FAILURE'), client: { ipAddress: '010.0.0.1' } }), 'data.events[1].client.ipAddress'],
      ['okta', { ...oktaHook(signIn(someone(), ip, 'FAILURE')), eventType: 'com.okta.import.transform' }, 'eventType'],
      ['sentinel', sentinelTrigger({ ...sentinelIncident('SSH - Potential Brute Force', [{ kind: 'Ip', properties: { address: ip } }]), name: undefined }), 'object.name'],
      ['sentinel', sentinelTrigger(sentinelIncident('SSH - Potential Brute Force', [{ kind: 'Ip', properties: { address: ip } }, { kind: 'Ip', properties: { address: 42 } }])), 'object.properties.relatedEntities[1].properties.address'],
      ['humio', logscaleAction([{ src_ip: ip, _count: '14' }, { src_ip: '203.0.113.300' }]), 'events[1].src_ip'],
    ];
    for (const [source, body, path] of cases) {
      const r = await post(source, body);
      assert.equal(r.status, 400, `${source}: ${r.text}`);
      assert.equal(r.json.error, 'validation_failed');
      assert.ok(r.json.issues.some((i: { path: string }) => i.path === path), `${JSON.stringify(r.json.issues)} names ${path}`);
      assert.doesNotMatch(r.text, /at .*\.ts:\d+/, 'no stack trace');
    }
    await assertNeverStarted(`brute-force:${ip}`);
  });
});
