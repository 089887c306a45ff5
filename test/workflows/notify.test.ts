import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSlackNotifier } from '../../activities/notify/slackNotifier.ts';
import { createWebhookNotifier } from '../../activities/notify/webhookNotifier.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { addToBatch, EMPTY_BATCH } from '../../domain/alert.ts';
import { approveSignal, statusQuery } from '../../workflows/messages.ts';
import { startReceiver, type HttpReceiver } from '../support/httpReceiver.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

describe('notifications from the incident workflow', () => {
  const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h', reviewWindow: '1m', notify: ['slack', 'webhook'] } } });
  let slack: HttpReceiver;
  let webhook: HttpReceiver;
  let riposte: TestRiposte;
  // Slack fails twice with 500 before accepting; the generic receiver refuses for good (404).
  before(async () => {
    slack = await startReceiver((_req, i) => (i < 2 ? { status: 500, body: 'oops' } : { status: 200, body: 'ok' }));
    webhook = await startReceiver(() => ({ status: 404, body: 'no_such_hook' }));
    riposte = await startRiposte({
      policy,
      notifiers: [createSlackNotifier({ webhookUrl: `${slack.url}/services/T000/B000/secret` }), createWebhookNotifier({ url: `${webhook.url}/hook` })],
    });
  });
  after(async () => {
    await riposte?.stop();
    await slack?.close();
    await webhook?.close();
  });

  test('a failing notification is retried, recorded, and never delays or undoes the block', async () => {
    const address = uniqueAddress();
    const id = `brute-force:${address}`;
    await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'brute-force', entity: address, policy, links: { consoleBase: 'http://riposte.test', temporalUiBase: 'http://ui.test' } }, addToBatch(EMPTY_BATCH, [{ id: 'e1', source: 'humio', type: 'auth.failure', severity: 7, count: 12, receivedAt: new Date().toISOString() }]));
    // Containment comes before notification, so the block is there while the receivers still fail.
    await eventually('the block applied', async () => ((await riposte.edl.read()).some((t) => t.address === address) ? true : undefined));

    const state = await eventually('both notify outcomes recorded', async () => {
      const s = await riposte.client.workflow.getHandle(id).query(statusQuery);
      return s.actions.filter((a) => a.kind === 'notify').length === 2 ? s : undefined;
    }, 30_000);
    assert.equal(state.status, 'contained');
    const outcome = (route: string) => state.actions.find((a) => a.kind === 'notify' && a.target === route)!;
    assert.equal(outcome('slack').outcome, 'done', 'slack succeeded after its retries');
    assert.equal(outcome('webhook').outcome, 'failed', 'the refused webhook is recorded as failed');
    assert.match(outcome('webhook').error!, /webhook answered 404/);
    assert.equal(webhook.requests.length, 1, 'a permanent refusal is not retried');
    assert.doesNotMatch(JSON.stringify(state), /secret/, 'the Slack webhook URL never reaches the history');
    assert.ok((await riposte.edl.read()).some((t) => t.address === address), 'a failed notification leaves the block in place');

    assert.equal(slack.requests.length, 3, 'slack retried until it answered 200, and no more');
    const message = JSON.parse(slack.requests.at(-1)!.body);
    const text = JSON.stringify(message.blocks);
    for (const expected of [address, '12', 'http://riposte.test/console/#/incidents/', 'http://ui.test/namespaces/default/workflows/']) {
      assert.ok(text.includes(expected), `the Slack message carries ${expected}`);
    }
  });
});

describe('a notification receiver that never answers', () => {
  const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', blockDuration: '1h', approvalTimeout: '1h', reviewWindow: '1m', notify: ['webhook'] } } });
  const held: (() => void)[] = [];
  let hanging: import('node:http').Server;
  let riposte: TestRiposte;
  before(async () => {
    const { createServer } = await import('node:http');
    // Holds every request open: the notification activity can only time out, after its 20 s, and retry.
    hanging = createServer((_req, res) => held.push(() => res.end()));
    await new Promise<void>((ok) => hanging.listen(0, '127.0.0.1', ok));
    const { port } = hanging.address() as import('node:net').AddressInfo;
    riposte = await startRiposte({ policy, notifiers: [createWebhookNotifier({ url: `http://127.0.0.1:${port}/hook` })] });
  });
  after(async () => {
    await riposte?.stop();
    held.forEach((release) => release());
    hanging.closeAllConnections();
    await new Promise<void>((ok) => hanging.close(() => ok()));
  });

  test('neither holds up the wait for approval nor the block after it', async () => {
    const address = uniqueAddress();
    const id = `brute-force:${address}`;
    await signalIncident(riposte.client, riposte.taskQueue, id, { playbook: 'brute-force', entity: address, policy, links: {} }, addToBatch(EMPTY_BATCH, [{ id: 'e1', source: 'generic', type: 'auth.failure', severity: 7, count: 1, receivedAt: new Date().toISOString() }]));
    const handle = riposte.client.workflow.getHandle(id);
    await eventually('awaiting approval', async () => ((await handle.query(statusQuery)).status === 'awaiting_approval' ? true : undefined));
    await eventually('the awaiting-approval notification in flight', () => (held.length > 0 ? true : undefined));
    await handle.signal(approveSignal, { by: 'alice' });
    // Had the approval waited for that notification, nothing would be blocked before its 20 s timeout.
    await eventually('the block applied', async () => ((await riposte.edl.read()).some((t) => t.address === address) ? true : undefined), 10_000);
    const state = await handle.query(statusQuery);
    assert.equal(state.status, 'contained');
    assert.equal(state.actions.filter((a) => a.kind === 'notify').length, 0, 'no notification has finished yet');
  });
});
