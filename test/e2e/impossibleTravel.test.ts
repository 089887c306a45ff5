/**
 * Impossible travel end to end: sign-ins posted to the API go to the user's login history, which places them with the
 * offline GeoIP database and raises the incident; the manager's e-mail reaches a real SMTP server and the ticket a
 * local TheHive. 81.2.69.142 (London) and 54.240.196.1 (Seattle) are only looked up in that database, never contacted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createFileManagerDirectory } from '../../activities/enrich/managerDirectory.ts';
import { createEmailNotifier } from '../../activities/notify/emailNotifier.ts';
import { createTheHive } from '../../activities/ticket/theHive.ts';
import { loginHistoryWorkflowId } from '../../workflows/ids.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { HIVE_KEY, startFakeSmtp, startFakeTheHive } from '../support/fakeVendors.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testPolicy } from '../support/temporal.ts';

const LONDON = '81.2.69.142';
const SEATTLE = '54.240.196.1';
const T0 = Date.parse('2026-12-01T10:00:00Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

describe('impossible travel through the API', () => {
  const policy = testPolicy({ playbooks: { 'impossible-travel': { mode: 'observe', notify: ['email'], reviewWindow: '1m' } } });
  let riposte: TestRiposte;
  let api: TestApi;
  let smtp: Awaited<ReturnType<typeof startFakeSmtp>>;
  let hive: Awaited<ReturnType<typeof startFakeTheHive>>;
  let user: string;
  const signIn = (address: string, minutes: number, id: string) => api.call('POST', '/v1/alerts', { id, source: 'generic', type: 'auth.success', user, sourceIp: address, occurredAt: at(minutes) });

  let scratch: string;

  before(async () => {
    smtp = await startFakeSmtp();
    hive = await startFakeTheHive();
    scratch = await mkdtemp(join(tmpdir(), 'riposte-travel-'));
    // A user of this run only: the login history of a user outlives a test run on a shared server.
    user = `alice-${Date.now().toString(36)}@example.org`;
    const managers = join(scratch, 'managers.yaml');
    await writeFile(managers, `users:\n  ${user}: { manager: bob@example.org, name: Bob }\n`);
    riposte = await startRiposte({
      policy,
      notifiers: [createEmailNotifier({ smtpUrl: smtp.url, from: 'riposte@example.org', to: ['soc@example.org'] })],
      responders: { tickets: [createTheHive({ url: hive.url, apiKey: HIVE_KEY })], managers: [createFileManagerDirectory({ path: managers })] },
    });
    api = await startApi(riposte, policy);
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
    await smtp?.close();
    await hive?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  test('London, then Seattle ten minutes later: an incident, the manager told by e-mail, a ticket with the user and both addresses', async () => {
    const first = await signIn(LONDON, 0, 'signin-1');
    assert.equal(first.status, 202, first.text);
    assert.deepEqual(first.json, { accepted: 1, unmatched: 0, incidents: [], tracked: [{ id: loginHistoryWorkflowId(user), playbook: 'impossible-travel' }] });
    assert.equal((await signIn(LONDON, 5, 'signin-2')).status, 202, 'a second sign-in from the same place is no journey');
    assert.equal((await signIn(SEATTLE, 10, 'signin-3')).status, 202);

    const id = `impossible-travel:${user}`;
    const state = await eventually('the incident has responded', async () => {
      const s = await riposte.client.workflow.getHandle(id).query(statusQuery).catch(() => undefined);
      return s?.status === 'responded' ? s : undefined;
    }, 30_000);
    assert.equal(state.mode, 'observe');
    assert.deepEqual(state.sampleAlerts.map((a) => a.sourceIp), [LONDON, SEATTLE]);
    // The planned notify (to the manager) and the ticket run side by side; the route's own status e-mails are left out.
    assert.deepEqual(state.actions.filter((a) => a.kind !== 'notify' || a.target !== 'email').map((a) => [a.kind, a.outcome]).sort(), [['notify', 'done'], ['open_ticket', 'done']]);

    const toManager = await eventually('the manager\'s e-mail', () => smtp.deliveries.find((d) => d.rcpt.includes('bob@example.org')));
    assert.match(toManager.raw, /London, GB \(81\.2\.69\.142\)/);
    assert.match(toManager.raw, /Seattle, US \(54\.240\.196\.1\)/);
    assert.match(toManager.raw, /km apart/);

    const [alert] = [...hive.alerts.values()];
    assert.equal(alert.sourceRef, id);
    assert.deepEqual(alert.observables.map((o: { dataType: string; data: string }) => o.data).sort(), [LONDON, SEATTLE, user].sort());
    assert.equal(hive.alertPosts(), 1);
  });

  test('a sign-in with an address that is not canonical gets a 400 with its field, and nothing is tracked', async () => {
    const refused = await api.call('POST', '/v1/alerts', { id: 'bad', source: 'generic', type: 'auth.success', user: 'mallory', sourceIp: '010.0.0.1', occurredAt: at(0) });
    assert.equal(refused.status, 400);
    assert.deepEqual(refused.json.issues.map((i: { path: string }) => i.path), ['sourceIp']);
    const badUser = await api.call('POST', '/v1/alerts', { id: 'bad2', source: 'generic', type: 'auth.success', user: 'mal lory', sourceIp: LONDON, occurredAt: at(0) });
    assert.equal(badUser.status, 400);
    assert.deepEqual(badUser.json.issues.map((i: { path: string }) => i.path), ['user']);
    await assert.rejects(riposte.client.workflow.getHandle(loginHistoryWorkflowId('mallory')).describe());
  });
});
