import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testKey, testPolicy, uniqueAddress } from '../support/temporal.ts';

// The bodies of docs/integrations/{elastic,splunk,wazuh,graylog}.md, as each SIEM sends them, with fresh addresses.
const fresh = () => randomBytes(8).toString('hex');

const elasticAlert = (ip: string) => ({
  '@timestamp': new Date().toISOString(),
  'kibana.alert.uuid': fresh(),
  'kibana.alert.rule.name': 'Multiple Logon Failure from the same Source Address',
  'kibana.alert.rule.rule_id': '48b6edfc-079d-4907-b43c-baffa243270d',
  'kibana.alert.rule.uuid': '0945c418-c530-45ea-b998-02350c260c5b',
  'kibana.alert.severity': 'medium',
  'kibana.alert.risk_score': 47,
  'kibana.alert.reason': `authentication event with source ${ip} by denny on desktop-niu0ucp created medium alert Multiple Logon Failure from the same Source Address.`,
  'event.kind': 'signal',
  event: { action: 'logon-failed', category: ['authentication'], outcome: 'failure' },
  source: { ip },
  user: { name: 'denny' },
  host: { name: 'desktop-niu0ucp' },
});

const splunkBruteForce = (ip: string) => ({
  result: { app: ['sshd', 'win:remote'], failure: '250', success: '1', src: ip, urgency: 'high' },
  sid: `scheduler__admin_RGEtRVNTLUFjY2Vzc1Byb3RlY3Rpb24__RMD5${fresh()}_at_1714564800_81`,
  results_link: 'https://splunk.example.com:8000/app/SplunkEnterpriseSecuritySuite/@go?sid=1',
  search_name: 'Access - Brute Force Access Behavior Detected - Rule',
  owner: 'admin',
  app: 'SplunkEnterpriseSecuritySuite',
});

const wazuhBruteForce = (ip: string) => ({
  timestamp: '2024-05-01T11:59:58.741+0000',
  rule: { level: 10, description: 'sshd: brute force trying to get access to the system.', id: '5712', frequency: 8, firedtimes: 1, mail: false, groups: ['syslog', 'sshd', 'authentication_failures'] },
  agent: { id: '001', name: 'linux-agent' },
  manager: { name: 'wazuh-manager' },
  id: `1714564798.${Date.now() % 100_000}`,
  full_log: `May  1 11:59:56 linux-agent sshd[29205]: Invalid user blimey from ${ip} port 48928`,
  decoder: { parent: 'sshd', name: 'sshd' },
  data: { srcip: ip, srcport: '48928', srcuser: 'blimey' },
  location: '/var/log/auth.log',
});
const shuffleWrapper = (alert: ReturnType<typeof wazuhBruteForce>) => ({
  severity: 3, pretext: 'WAZUH Alert', title: alert.rule.description, text: alert.full_log, rule_id: alert.rule.id, timestamp: alert.timestamp, id: alert.id, all_fields: alert,
});

const graylogNotification = (ip: string) => ({
  event_definition_id: '671a28a03696bb3801a7a9f1',
  event_definition_type: 'aggregation-v1',
  event_definition_title: 'SSH brute force',
  event_definition_description: 'Ten failed logins from one address within a minute',
  job_definition_id: '671a97cc3696bb3801a846a6',
  job_trigger_id: fresh(),
  event: {
    id: `01J${fresh().toUpperCase()}`,
    event_definition_type: 'aggregation-v1',
    event_definition_id: '671a28a03696bb3801a7a9f1',
    timestamp: new Date().toISOString(),
    message: 'SSH brute force: count()=12.0',
    source: 'graylog-server',
    priority: 3,
    alert: true,
    fields: {},
    group_by_fields: { source_ip: ip },
  },
  backlog: [{ index: 'graylog_0', id: fresh(), source: 'web01', message: `Login failed for user admin from ip ${ip}`, timestamp: new Date().toISOString(), stream_ids: [], fields: { source_ip: ip, user_name: 'admin' } }],
});

describe('SIEM sources (Elastic, Splunk, Wazuh, Graylog) through the API, the worker and the dev server', () => {
  const policy = testPolicy({
    playbooks: { 'brute-force': { mode: 'approve', reviewWindow: '1m', notify: [] } },
    // Graylog ships no event definitions: each team maps its own by title.
    sources: { graylog: { types: { 'title:SSH brute force': 'auth.failure' } } },
  });
  const ingest = testKey('siem-webhooks', 'ingest');
  let riposte: TestRiposte;
  let api: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy, { keys: [ingest.spec] });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
  });

  // How each SIEM's side of docs/integrations/ sends the ingest key.
  const bearer = ingest.auth;
  const basic = { authorization: `Basic ${Buffer.from(`wazuh:${ingest.key}`).toString('base64')}` };
  const apiKeyHeader = { 'x-api-key': ingest.key };
  const inUrl = (source: string) => `/v1/alerts/${source}?key=${encodeURIComponent(ingest.key)}`;

  const incident = (id: string, ready: (state: any) => boolean) => eventually(`incident ${id}`, async () => {
    const r = await api.call('GET', `/v1/incidents/${encodeURIComponent(id)}`);
    return r.status === 200 && ready(r.json) ? r.json : undefined;
  });
  const assertNeverStarted = (workflowId: string) => assert.rejects(riposte.client.workflow.getHandle(workflowId).describe(), WorkflowNotFoundError, workflowId);
  const bruteForceOn = (ip: string, deduplicated = false) => ({ id: `brute-force:${ip}`, playbook: 'brute-force', deduplicated });

  test('Elastic: a webhook connector\'s { "alerts": {{{context.alerts}}} } starts a brute-force incident per address', async () => {
    const [a, b] = [uniqueAddress(), uniqueAddress()];
    const posted = await api.call('POST', '/v1/alerts/elastic', { alerts: [elasticAlert(a), elasticAlert(b)] }, bearer);
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(posted.json.incidents.map((i: { id: string }) => i.id).sort(), [`brute-force:${a}`, `brute-force:${b}`].sort());
    const state = await incident(`brute-force:${a}`, (s) => s.status === 'awaiting_approval');
    assert.deepEqual([state.playbook, state.entity, state.sampleAlerts[0].source, state.sampleAlerts[0].user], ['brute-force', a, 'elastic', 'denny']);
    assert.equal(state.sampleAlerts[0].raw.kibana.alert.rule.name, 'Multiple Logon Failure from the same Source Address', 'raw is the document, dotted keys folded');
  });

  test('Splunk: the webhook alert action, its key in the URL, starts a brute-force incident counting the search\'s failures', async () => {
    const ip = uniqueAddress();
    const posted = await api.call('POST', inUrl('splunk'), splunkBruteForce(ip), {});
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(posted.json, { accepted: 1, unmatched: 0, incidents: [bruteForceOn(ip)] });
    const state = await incident(`brute-force:${ip}`, (s) => s.status === 'awaiting_approval');
    assert.deepEqual([state.entity, state.alertCount, state.maxSeverity, state.sampleAlerts[0].source], [ip, 250, 8, 'splunk']);
  });

  test('Wazuh: the integrator\'s alert (Bearer) and Shuffle\'s wrapper (Basic) start and join one brute-force incident', async () => {
    const ip = uniqueAddress();
    const first = await api.call('POST', '/v1/alerts/wazuh', wazuhBruteForce(ip), bearer);
    assert.equal(first.status, 202, first.text);
    assert.deepEqual(first.json.incidents, [bruteForceOn(ip)]);
    await incident(`brute-force:${ip}`, (s) => s.status === 'awaiting_approval');
    const wrapped = await api.call('POST', '/v1/alerts/wazuh', shuffleWrapper({ ...wazuhBruteForce(ip), id: 'shuffle-delivery' }), basic);
    assert.equal(wrapped.status, 202, wrapped.text);
    assert.deepEqual(wrapped.json.incidents, [bruteForceOn(ip, true)]);
    const state = await incident(`brute-force:${ip}`, (s) => s.alertsReceived === 2);
    assert.deepEqual([state.entity, state.alertCount, state.sampleAlerts.map((a: { host: string }) => a.host)], [ip, 16, ['linux-agent', 'linux-agent']]);
  });

  test('Graylog: an HTTP Notification, its definition mapped by title in the policy, starts a brute-force incident', async () => {
    const ip = uniqueAddress();
    const posted = await api.call('POST', '/v1/alerts/graylog', graylogNotification(ip), apiKeyHeader);
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual(posted.json.incidents, [bruteForceOn(ip)]);
    const state = await incident(`brute-force:${ip}`, (s) => s.status === 'awaiting_approval');
    assert.deepEqual([state.entity, state.alertCount, state.sampleAlerts[0].user, state.sampleAlerts[0].host], [ip, 12, 'admin', 'web01']);
  });

  test('an alert no playbook takes is accepted and starts nothing', async () => {
    const ip = uniqueAddress();
    const custom = { ...elasticAlert(ip), 'kibana.alert.rule.name': 'Suspicious PowerShell Download', 'kibana.alert.rule.rule_id': 'custom', 'kibana.alert.rule.uuid': 'custom' };
    const posted = await api.call('POST', '/v1/alerts/elastic', custom, bearer);
    assert.deepEqual([posted.status, posted.json], [202, { accepted: 1, unmatched: 1, incidents: [] }]);
    await assertNeverStarted(`brute-force:${ip}`);
  });

  test('malformed bodies get 400 with the vendor path and start nothing, even for their valid events', async () => {
    const ip = uniqueAddress();
    const wazuhAlert = wazuhBruteForce(ip);
    const cases: [source: string, body: unknown, path: string][] = [
      ['elastic', [elasticAlert(ip), { ...elasticAlert(ip), 'kibana.alert.rule.name': 42 }], '[1].kibana.alert.rule.name'],
      ['elastic', { alerts: [elasticAlert(ip), { ...elasticAlert(ip), source: ip }] }, 'alerts[1].source'],
      ['splunk', { ...splunkBruteForce(ip), sid: undefined }, 'sid'],
      ['splunk', { ...splunkBruteForce(ip), result: { src: [ip, 7] } }, 'result.src'],
      ['wazuh', { ...wazuhAlert, rule: { ...wazuhAlert.rule, level: '10' } }, 'rule.level'],
      ['wazuh', shuffleWrapper({ ...wazuhAlert, data: [ip] as never }), 'all_fields.data'],
      ['graylog', { ...graylogNotification(ip), event_definition_title: undefined }, 'event_definition_title'],
      ['graylog', { ...graylogNotification(ip), backlog: { source_ip: ip } }, 'backlog'],
    ];
    for (const [source, body, path] of cases) {
      const r = await api.call('POST', `/v1/alerts/${source}`, body, bearer);
      assert.equal(r.status, 400, `${source}: ${r.text}`);
      assert.equal(r.json.error, 'validation_failed');
      assert.ok(r.json.issues.some((i: { path: string }) => i.path === path), `${JSON.stringify(r.json.issues)} names ${path}`);
      assert.doesNotMatch(r.text, /at .*\.ts:\d+/, 'no stack trace');
    }
    await assertNeverStarted(`brute-force:${ip}`);
  });
});
