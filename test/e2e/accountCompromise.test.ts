import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTheHive } from '../../activities/ticket/theHive.ts';
import { createOktaDirectory } from '../../activities/users/oktaDirectory.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, alertSchema, EMPTY_BATCH, summarizeAlert } from '../../domain/alert.ts';
import type { IncidentState } from '../../domain/incident.ts';
import { approveSignal, statusQuery, timelineQuery, verdictUpdate } from '../../workflows/messages.ts';
import { startFakeOkta, startFakeTheHive } from '../support/fakeVendors.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy } from '../support/temporal.ts';

const policy = testPolicy({
  approvals: { disable_user: 2 },
  playbooks: { 'account-compromise': { mode: 'approve', approvalTimeout: '1h', reviewWindow: '5m', notify: [] } },
});
let okta: Awaited<ReturnType<typeof startFakeOkta>>;
let hive: Awaited<ReturnType<typeof startFakeTheHive>>;
let riposte: TestRiposte;

before(async () => {
  [okta, hive] = await Promise.all([startFakeOkta(['bob@example.org', 'erin@example.org', 'frank@example.org', 'gina@example.org']), startFakeTheHive()]);
  riposte = await startRiposte({
    policy,
    responders: { users: [createOktaDirectory({ orgUrl: okta.url, apiToken: okta.token })], tickets: [createTheHive({ url: hive.url, apiKey: hive.apiKey })] },
  });
});
after(async () => {
  await riposte?.stop();
  await Promise.all([okta?.close(), hive?.close()]);
});

async function raise(user: string, requestedBy?: string) {
  const alert = alertSchema.parse({ id: `idp-${user}`, source: 'generic', type: 'account.compromise', severity: 9, user, sourceIp: '203.0.113.50' });
  const id = `account-compromise:${user}`;
  await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'account-compromise', entity: user, policy, links: {}, requestedBy }, addToBatch(EMPTY_BATCH, [summarizeAlert(alert, new Date().toISOString())]));
  return { id, handle: riposte.client.workflow.getHandle(id) };
}

async function statusOf(id: string, wanted: IncidentState['status']): Promise<IncidentState> {
  return eventually(`${id} to be ${wanted}`, async () => {
    const state = await riposte.client.workflow.getHandle(id).query(statusQuery);
    return state.status === wanted ? state : undefined;
  }, 60_000);
}

/** Waits for the timeline entry count'th `event` by `by`, and returns it; signals land in order, so later ones follow. */
async function timelineEntry(id: string, event: string, by: string, count = 1) {
  return eventually(`${count} ${event} by ${by} on ${id}`, async () => {
    const entries = (await riposte.client.workflow.getHandle(id).query(timelineQuery)).filter((e) => e.event === event && e.by === by);
    return entries.length >= count ? entries[count - 1] : undefined;
  });
}

const oktaWritesFor = (user: string) => okta.writes().filter((w) => w.startsWith(`${user} `));

test('disabling an account takes two different people; a false positive re-enables it', async () => {
  const { id, handle } = await raise('bob@example.org');
  const waiting = await statusOf(id, 'awaiting_approval');
  assert.equal(waiting.approvalsNeeded, 2);
  assert.equal(hive.alerts.size, 1, 'the ticket opens without waiting for the approvals');

  await handle.signal(approveSignal, { by: 'alice' });
  await timelineEntry(id, 'approved', 'alice');
  let state = await handle.query(statusQuery);
  assert.equal(state.status, 'awaiting_approval', 'one approval of two');
  assert.deepEqual(state.approvals?.map((a) => a.by), ['alice']);
  assert.deepEqual(oktaWritesFor('bob@example.org'), []);

  await handle.signal(approveSignal, { by: 'alice', comment: 'really sure' });
  const ignored = await timelineEntry(id, 'approve_ignored', 'alice');
  assert.match(ignored!.detail ?? '', /alice has already approved/);
  state = await handle.query(statusQuery);
  assert.equal(state.status, 'awaiting_approval', 'the same person twice is still one approval');
  assert.deepEqual(state.approvals?.map((a) => a.by), ['alice']);
  assert.deepEqual(oktaWritesFor('bob@example.org'), []);
  assert.equal(okta.statusOf('bob@example.org'), 'ACTIVE');

  await handle.signal(approveSignal, { by: 'carol' });
  const contained = await statusOf(id, 'contained');
  assert.equal(okta.statusOf('bob@example.org'), 'SUSPENDED');
  assert.deepEqual(oktaWritesFor('bob@example.org'), ['bob@example.org POST /lifecycle/suspend', 'bob@example.org DELETE /sessions']);
  assert.deepEqual(contained.approvals?.map((a) => a.by), ['alice', 'carol']);
  assert.equal(contained.actions.find((a) => a.kind === 'disable_user')?.outcome, 'done');

  const verdict = await handle.executeUpdate(verdictUpdate, { args: [{ verdict: 'false_positive', by: 'dave' }] });
  assert.equal(verdict.by, 'dave');
  const reverted = await statusOf(id, 'reverted');
  assert.equal(okta.statusOf('bob@example.org'), 'ACTIVE');
  assert.deepEqual(oktaWritesFor('bob@example.org').at(-1), 'bob@example.org POST /lifecycle/unsuspend');
  assert.equal(reverted.actions.find((a) => a.kind === 'disable_user')?.outcome, 'reverted');
  await timelineEntry(id, 'disable_user:reverted', 'dave');
});

test('whoever asked for an incident cannot approve it', async () => {
  const { id, handle } = await raise('erin@example.org', 'alice');
  await statusOf(id, 'awaiting_approval');
  await handle.signal(approveSignal, { by: 'alice' });
  const ignored = await timelineEntry(id, 'approve_ignored', 'alice');
  assert.match(ignored!.detail ?? '', /alice asked for this action and cannot approve it/);
  const state = await handle.query(statusQuery);
  assert.equal(state.status, 'awaiting_approval');
  assert.deepEqual(state.approvals ?? [], []);
  assert.deepEqual(oktaWritesFor('erin@example.org'), []);
});

test('an account an administrator had already suspended stays suspended after a false positive', async () => {
  okta.users.find((u) => u.profile.login === 'frank@example.org')!.status = 'SUSPENDED';
  const { id, handle } = await raise('frank@example.org');
  await statusOf(id, 'awaiting_approval');
  await handle.signal(approveSignal, { by: 'alice' });
  await timelineEntry(id, 'approved', 'alice');
  await handle.signal(approveSignal, { by: 'carol' });
  const contained = await statusOf(id, 'contained');
  assert.match(contained.actions.find((a) => a.kind === 'disable_user')!.detail, /already suspended/);
  assert.deepEqual(oktaWritesFor('frank@example.org'), ['frank@example.org DELETE /sessions'], 'only the sessions were ended');

  await handle.executeUpdate(verdictUpdate, { args: [{ verdict: 'false_positive', by: 'dave' }] });
  const reverted = await timelineEntry(id, 'disable_user:reverted', 'dave');
  assert.match(reverted!.detail ?? '', /left as it was before this incident \(okta\)/);
  assert.equal(okta.statusOf('frank@example.org'), 'SUSPENDED', 'the administrator\'s suspension is not this incident\'s to lift');
  assert.deepEqual(oktaWritesFor('frank@example.org'), ['frank@example.org DELETE /sessions']);
});

test('a verdict given just before the review window ends is reverted in full before the incident closes', async () => {
  const shortReview = testPolicy({ playbooks: { 'account-compromise': { mode: 'approve', approvalTimeout: '1h', reviewWindow: '3s', notify: [] } } });
  const alert = alertSchema.parse({ id: 'idp-gina', source: 'generic', type: 'account.compromise', severity: 9, user: 'gina@example.org' });
  const id = 'account-compromise:gina@example.org';
  await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'account-compromise', entity: 'gina@example.org', policy: shortReview, links: {} }, addToBatch(EMPTY_BATCH, [summarizeAlert(alert, new Date().toISOString())]));
  const handle = riposte.client.workflow.getHandle(id);
  await statusOf(id, 'awaiting_approval');
  await handle.signal(approveSignal, { by: 'alice' });
  await statusOf(id, 'contained');
  // Okta refuses the first two unsuspends, so the revert's retries outlast the review window.
  let refused = 0;
  okta.failWith((req) => (req.path.endsWith('/lifecycle/unsuspend') && refused++ < 2 ? { status: 500, body: { errorCode: 'E0000009', errorSummary: 'Internal Server Error' } } : undefined));
  try {
    await handle.executeUpdate(verdictUpdate, { args: [{ verdict: 'false_positive', by: 'dave' }] });
    const closed = await handle.result();
    assert.equal(refused, 3, 'two refusals, then the unsuspend that went through');
    assert.equal(okta.statusOf('gina@example.org'), 'ACTIVE');
    assert.equal(closed.status, 'reverted');
  } finally {
    okta.failWith(undefined);
  }
});
