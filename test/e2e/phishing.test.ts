import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createActionActivities } from '../../activities/actions.ts';
import { discardAudit } from '../../activities/audit/index.ts';
import { DomainFeedFile } from '../../activities/domains/domainFeedFile.ts';
import { createTheHive } from '../../activities/ticket/theHive.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import type { IncidentBrief } from '../../domain/actions/action.ts';
import { guardOf } from '../../domain/actions/guard.ts';
import { addToBatch, alertSchema, EMPTY_BATCH, summarizeAlert } from '../../domain/alert.ts';
import type { IncidentState } from '../../domain/incident.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { startFakeTheHive } from '../support/fakeVendors.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy } from '../support/temporal.ts';

const policy = testPolicy({ playbooks: { phishing: { mode: 'auto', domainBlockDuration: '1h', reviewWindow: '5m', notify: [] } } });
let hive: Awaited<ReturnType<typeof startFakeTheHive>>;
let riposte: TestRiposte;
let feed: DomainFeedFile;

let feedDir: string;

before(async () => {
  hive = await startFakeTheHive();
  feedDir = await mkdtemp(join(tmpdir(), 'riposte-domains-'));
  feed = new DomainFeedFile(join(feedDir, 'domains.json'));
  riposte = await startRiposte({
    policy,
    responders: {
      tickets: [createTheHive({ url: hive.url, apiKey: hive.apiKey })],
      domainFeed: feed,
    },
  });
});
after(async () => {
  await riposte?.stop();
  await hive?.close();
  await rm(feedDir, { recursive: true, force: true });
});

test('a phishing click opens one TheHive alert with four observables, survives a retry, and feeds the domain', async () => {
  // TheHive stores the first alert and then answers 500, as when it dies between commit and answer: Temporal retries
  // the activity, and the retry must find that alert rather than make a second.
  hive.state.failCreatesAfterStoring = 1;
  const now = new Date().toISOString();
  const click = alertSchema.parse({
    id: 'mail-gw-4711', source: 'generic', type: 'phishing.click', severity: 7,
    user: 'alice@example.org', url: 'http://login.evil.example/path', sourceIp: '203.0.113.7',
  });
  const id = 'phishing:alice@example.org';
  await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'phishing', entity: 'alice@example.org', policy, links: {} }, addToBatch(EMPTY_BATCH, [summarizeAlert(click, now)]));
  const state = await eventually(`${id} contained`, async () => {
    const s = await riposte.client.workflow.getHandle(id).query(statusQuery);
    return s.status === 'contained' || s.status === 'failed' ? s : undefined;
  }, 60_000);
  assert.equal(state.status, 'contained', JSON.stringify(state.actions));

  assert.equal(hive.alerts.size, 1, 'one alert in TheHive');
  assert.equal(hive.alertPosts(), 1, 'the retry found the stored alert and posted nothing');
  const [alert] = [...hive.alerts.values()];
  assert.equal(alert.sourceRef, id);
  assert.deepEqual(alert.observables.map((o: { dataType: string; data: string }) => [o.dataType, o.data]), [
    ['url', 'http://login.evil.example/path'],
    ['domain', 'login.evil.example'],
    ['mail', 'alice@example.org'],
    ['ip', '203.0.113.7'],
  ]);
  const ticket = action(state, 'open_ticket');
  assert.equal(ticket.outcome, 'done');
  assert.match(ticket.detail, /found ~\d+/, 'the attempt that succeeded was the retry, which found the alert');

  const listed = await feed.list();
  assert.deepEqual(listed.map((e) => e.entry), ['login.evil.example']);
  const expiresIn = listed[0]!.expiresAt - Date.now();
  assert.ok(expiresIn > 50 * 60_000 && expiresIn <= 60 * 60_000, `domainBlockDuration 1h, not ${expiresIn} ms`);
  assert.equal(action(state, 'blocklist_domain').outcome, 'done');
});

test('the action activity run twice with the same input opens one ticket', async () => {
  const activities = createActionActivities({
    ports: {
      blocks: { request: () => assert.fail('no block'), withdraw: () => assert.fail('no block') },
      users: [], containment: [], assets: [],
      tickets: [createTheHive({ url: hive.url, apiKey: hive.apiKey })],
      messenger: { send: async () => ({ sent: [], skipped: [] }), managerOf: async () => undefined },
    },
    guard: guardOf(policy),
    assertContainmentAllowed: async () => undefined,
    audit: discardAudit,
  });
  const incidentId = 'phishing:bob@example.org';
  const input = {
    kind: 'open_ticket',
    params: { observables: [{ kind: 'url', value: 'http://login.evil.example/other' }, { kind: 'user', value: 'bob@example.org' }], tags: ['phishing'] },
    idempotencyKey: `${incidentId}|open_ticket`,
    incident: brief(incidentId),
  };
  const posts = hive.alertPosts();
  const first = await activities.applyAction(input);
  const second = await activities.applyAction(input);
  assert.equal([...hive.alerts.values()].filter((a) => a.sourceRef === incidentId).length, 1);
  assert.equal(hive.alertPosts(), posts + 1);
  assert.match(first.detail, /^thehive: opened ~\d+$/);
  assert.equal(second.detail, first.detail.replace('opened', 'found'));
});

function action(state: IncidentState, kind: string) {
  const found = state.actions.find((a) => a.kind === kind);
  assert.ok(found, `no ${kind} action in ${JSON.stringify(state.actions)}`);
  return found;
}

function brief(id: string): IncidentBrief {
  return {
    id, playbook: 'phishing', title: `Phishing click by ${id}`, entity: id.slice('phishing:'.length), entityKind: 'user', alertCount: 1, severity: 7,
    mode: 'auto', status: 'containing', summary: 'open a ticket', links: {}, policyVersion: policy.version, alertIds: ['a'], actor: 'automation', enforcementPoints: ['edl'],
  };
}
