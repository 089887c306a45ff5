import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { createApp } from '../../api/app.ts';
import type { SlackApprovals, SlackUser } from '../../api/routes/slack.ts';
import { slackSignature } from '../../api/slackSignature.ts';
import { findTemporalBinary } from '../../runtime/temporalCli.ts';
import { blockShardOf, blockShardWorkflowId } from '../../workflows/ids.ts';
import { startReceiver, type HttpReceiver } from '../support/httpReceiver.ts';
import { eventually, startApi, startRiposte, suiteServer, TEST_API_KEY, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

/**
 * The Approve and Reject buttons of the Slack message, end to end: a real API process signed into by Slack's scheme,
 * the real workers and Temporal server, and a local HTTP server standing in for the click's response_url.
 */
const SIGNING_SECRET = 'slack-approvals-test-signing-secret-0123';
const rita: SlackUser = { slackUserId: 'U0RITA0001', principal: 'rita', role: 'responder' };
const ana: SlackUser = { slackUserId: 'W0ANA00001', principal: 'ana', role: 'admin' };
const vic: SlackUser = { slackUserId: 'U0VIC00001', principal: 'vic', role: 'viewer' };
const NOBODY = 'U0NOBODY01';
const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');

interface Click {
  user: string;
  action: string;
  incident: string;
  /** Defaults to a fresh path on the receiver, so each click's replies can be told apart. */
  responseUrl?: string;
}

describe('Slack approvals: POST /v1/slack/actions', () => {
  const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', approvalTimeout: '1h', blockDuration: '1h', reviewWindow: '5m', notify: [] } } });
  // Alerts sent through twoPersonApi start incidents whose blocks need two people's approval.
  const twoPerson = testPolicy({ approvals: { block: 2 }, playbooks: { 'brute-force': { mode: 'approve', approvalTimeout: '1h', blockDuration: '1h', reviewWindow: '5m', notify: [] } } });
  let riposte: TestRiposte;
  let api: TestApi;
  let twoPersonApi: TestApi;
  let slackHooks: HttpReceiver;
  let slackApi: { url: string; close(): Promise<void> };
  const logged: { message: string; fields: Record<string, unknown> }[] = [];

  /** The real app with Slack approvals on, as runtime/wiring.ts builds it; startApi has no Slack settings. */
  async function listen(slack: SlackApprovals | undefined) {
    const app = createApp({
      client: riposte.client,
      taskQueue: riposte.taskQueue,
      enforcementTaskQueue: `${riposte.taskQueue}-enforcement`,
      apiKeys: [TEST_API_KEY],
      slack,
      maxBodyBytes: 64 * 1024,
      coalesceWindowMs: 5,
      policy: () => policy,
      blocklist: riposte.edl,
      links: {},
      log: (message, fields) => logged.push({ message, fields }),
    });
    const server = app.listen(0, '127.0.0.1');
    await new Promise((ok) => server.once('listening', ok));
    return {
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
    };
  }

  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy);
    twoPersonApi = await startApi(riposte, twoPerson);
    slackHooks = await startReceiver();
    slackApi = await listen({ signingSecret: SIGNING_SECRET, users: [rita, ana, vic], responseUrlPrefix: `${slackHooks.url}/` });
  });
  after(async () => {
    await slackApi?.close();
    await slackHooks?.close();
    await api?.close();
    await twoPersonApi?.close();
    await riposte?.stop();
  });

  const freshResponseUrl = () => `${slackHooks.url}/actions/T0TEST/${randomBytes(6).toString('hex')}`;

  /** Slack's body: the block_actions payload as JSON in the form field `payload`. */
  function slackBody({ user, action, incident, responseUrl = freshResponseUrl() }: Click): { body: string; responseUrl: string } {
    const payload = {
      type: 'block_actions',
      user: { id: user, username: 'someone', team_id: 'T0TEST' },
      team: { id: 'T0TEST', domain: 'riposte-test' },
      api_app_id: 'A0TEST',
      trigger_id: '1234.5678.abcd',
      response_url: responseUrl,
      actions: [{ type: 'button', block_id: 'b1', action_id: action, value: incident, action_ts: '1700000000.000100' }],
    };
    return { body: new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), responseUrl };
  }

  function signedHeaders(body: string, { secret = SIGNING_SECRET, at = Date.now() } = {}): Record<string, string> {
    const timestamp = String(Math.floor(at / 1000));
    return { 'x-slack-request-timestamp': timestamp, 'x-slack-signature': slackSignature(secret, timestamp, body) };
  }

  async function post(body: string, headers: Record<string, string>, url = slackApi.url) {
    const response = await fetch(`${url}/v1/slack/actions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
    const text = await response.text();
    return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
  }

  /** A click as Slack sends it, signed with the app's secret now. */
  async function click(what: Click) {
    const { body, responseUrl } = slackBody(what);
    return { ...(await post(body, signedHeaders(body))), responseUrl };
  }

  /** The JSON bodies Riposte posted to one response_url. */
  function repliesTo(responseUrl: string): any[] {
    const path = new URL(responseUrl).pathname;
    return slackHooks.requests.filter((r) => r.url === path).map((r) => JSON.parse(r.body));
  }
  const reply = (responseUrl: string) => eventually(`a reply at ${responseUrl}`, () => repliesTo(responseUrl)[0]);

  async function awaitingIncident(via = api): Promise<string> {
    const ip = uniqueAddress();
    assert.equal((await via.call('POST', '/v1/alerts/humio', { hostname: 'dc01', ip, count: 12 })).status, 202);
    const id = `brute-force:${ip}`;
    await eventually(`${id} awaiting approval`, async () => ((await incident(id)).status === 'awaiting_approval' ? true : undefined));
    return id;
  }
  const incident = async (id: string) => (await api.call('GET', `/v1/incidents/${id}`)).json;
  const settled = (id: string, status: string) => eventually(`${id} ${status}`, async () => {
    const state = await incident(id);
    return state?.status === status ? state : undefined;
  });

  /** Every signal the incident received other than its alerts. */
  async function decisionsSent(id: string): Promise<string[]> {
    const history = await riposte.client.workflow.getHandle(id).fetchHistory();
    return (history.events ?? []).flatMap((e) => e.workflowExecutionSignaledEventAttributes?.signalName ?? []).filter((name) => name !== 'alerts');
  }

  async function assertUntouched(id: string): Promise<void> {
    assert.deepEqual(await decisionsSent(id), [], 'nothing was signalled');
    assert.equal((await incident(id)).status, 'awaiting_approval');
  }

  test('a mapped responder approves: 200 at once, the incident is contained with the principal as approver, the message is replaced', async () => {
    const id = await awaitingIncident();
    const answer = await click({ user: rita.slackUserId, action: 'riposte_approve', incident: id });
    assert.deepEqual([answer.status, answer.text], [200, '']);

    const state = await settled(id, 'contained');
    assert.deepEqual([state.approval.decision, state.approval.by, state.approval.comment], ['approved', 'rita', 'via Slack (U0RITA0001)']);
    assert.deepEqual(await decisionsSent(id), ['approve']);
    assert.deepEqual(await reply(answer.responseUrl), { replace_original: true, text: `:white_check_mark: ${id} approved by rita via Slack (U0RITA0001).` });
    const address = id.slice(id.indexOf(':') + 1);
    const block = await riposte.blocks.read(address);
    assert.deepEqual([block?.workflowId, block?.leases.map((l) => l.requester)], [blockShardWorkflowId(riposte.taskQueue, blockShardOf(address)), [id]], 'the approved block is held by the incident');
    assert.deepEqual(logged, [], 'no failure was logged');
  });

  test('two approvals needed: the first is posted beside the message, the same person again is told why, a second person completes it', async () => {
    const id = await awaitingIncident(twoPersonApi);
    const first = await click({ user: rita.slackUserId, action: 'riposte_approve', incident: id });
    assert.equal(first.status, 200);
    assert.deepEqual(await reply(first.responseUrl), {
      response_type: 'in_channel',
      replace_original: false,
      text: `:ballot_box_with_check: ${id} approved by rita via Slack (U0RITA0001): 1 of 2 approvals; another person must approve.`,
    });
    await eventually('the first approval recorded', async () => ((await incident(id)).approvals?.length === 1 ? true : undefined));

    const again = await click({ user: rita.slackUserId, action: 'riposte_approve', incident: id });
    assert.deepEqual(await reply(again.responseUrl), {
      response_type: 'ephemeral',
      replace_original: false,
      text: 'Nothing was done: rita has already approved; another person must give the next approval (1 of 2 approvals given).',
    });
    assert.deepEqual(await decisionsSent(id), ['approve'], 'the repeated click sent nothing');
    assert.equal((await incident(id)).status, 'awaiting_approval');

    const last = await click({ user: ana.slackUserId, action: 'riposte_approve', incident: id });
    assert.deepEqual(await reply(last.responseUrl), { replace_original: true, text: `:white_check_mark: ${id} approved by ana via Slack (W0ANA00001): 2 of 2 approvals.` });
    const state = await settled(id, 'contained');
    assert.deepEqual(state.approvals.map((a: { by: string }) => a.by), ['rita', 'ana']);
  });

  test('a mapped admin rejects: the incident is rejected by the principal, nothing is blocked', async () => {
    const id = await awaitingIncident();
    const answer = await click({ user: ana.slackUserId, action: 'riposte_reject', incident: id });
    assert.equal(answer.status, 200);
    const state = await settled(id, 'rejected');
    assert.deepEqual([state.approval.decision, state.approval.by, state.approval.comment], ['rejected', 'ana', 'via Slack (W0ANA00001)']);
    assert.deepEqual(await reply(answer.responseUrl), { replace_original: true, text: `:no_entry: ${id} rejected by ana via Slack (W0ANA00001): nothing will be blocked.` });
    const entity = id.slice(id.indexOf(':') + 1);
    assert.equal(await riposte.blocks.read(entity), null, 'no block was requested');
    assert.ok(!(await riposte.edl.read()).some((target) => target.address === entity), 'the address was not blocked');
  });

  test('a forged or missing signature gets 401 and changes nothing, whatever API key comes with it', async () => {
    const id = await awaitingIncident();
    const { body, responseUrl } = slackBody({ user: rita.slackUserId, action: 'riposte_approve', incident: id });
    const forged = await post(body, signedHeaders(body, { secret: `${SIGNING_SECRET}-guessed` }));
    assert.deepEqual([forged.status, forged.json.error, forged.json.message], [401, 'unauthorized', 'X-Slack-Signature does not match the body']);
    const unsigned = await post(body, { authorization: `Bearer ${TEST_API_KEY}` });
    assert.deepEqual([unsigned.status, unsigned.json.error], [401, 'unauthorized'], 'an admin API key is no Slack signature');
    assert.match(unsigned.json.message, /send X-Slack-Request-Timestamp and X-Slack-Signature/);
    assert.deepEqual(repliesTo(responseUrl), []);
    await assertUntouched(id);
  });

  test('a request signed six minutes ago is refused as a replay', async () => {
    const id = await awaitingIncident();
    const { body, responseUrl } = slackBody({ user: rita.slackUserId, action: 'riposte_approve', incident: id });
    const stale = await post(body, signedHeaders(body, { at: Date.now() - 6 * 60_000 }));
    assert.deepEqual([stale.status, stale.json.error], [401, 'unauthorized']);
    assert.match(stale.json.message, /X-Slack-Request-Timestamp is more than 300 s from now/);
    assert.deepEqual(repliesTo(responseUrl), []);
    await assertUntouched(id);
  });

  test("a captured signed request replayed with a modified payload is refused: a viewer's click cannot become a responder's", async () => {
    const id = await awaitingIncident();
    const captured = slackBody({ user: vic.slackUserId, action: 'riposte_approve', incident: id });
    const headers = signedHeaders(captured.body);
    const modified = captured.body.replace(encodeURIComponent(vic.slackUserId), encodeURIComponent(rita.slackUserId));
    assert.notEqual(modified, captured.body);
    const replayed = await post(modified, headers);
    assert.deepEqual([replayed.status, replayed.json.error, replayed.json.message], [401, 'unauthorized', 'X-Slack-Signature does not match the body']);
    assert.deepEqual(repliesTo(captured.responseUrl), []);
    await assertUntouched(id);
  });

  test('an unmapped Slack user gets 200, is told in Slack they are not mapped, and nothing is signalled', async () => {
    const id = await awaitingIncident();
    const answer = await click({ user: NOBODY, action: 'riposte_approve', incident: id });
    assert.equal(answer.status, 200);
    assert.deepEqual(await reply(answer.responseUrl), {
      response_type: 'ephemeral',
      replace_original: false,
      text: `Nothing was done: your Slack user (${NOBODY}) is not mapped to a Riposte principal. Ask a Riposte admin to add it under slackUsers in the principals file.`,
    });
    await assertUntouched(id);
  });

  test("a Slack user mapped to a viewer is refused and told the principal's role", async () => {
    const id = await awaitingIncident();
    for (const action of ['riposte_approve', 'riposte_reject']) {
      const answer = await click({ user: vic.slackUserId, action, incident: id });
      assert.equal(answer.status, 200);
      assert.deepEqual(await reply(answer.responseUrl), {
        response_type: 'ephemeral',
        replace_original: false,
        text: 'Nothing was done: your Riposte principal vic has role viewer; approving and rejecting need role responder (or admin).',
      });
    }
    await assertUntouched(id);
  });

  test('a click on an incident no longer awaiting approval is told so and signals nothing', async () => {
    const id = await awaitingIncident();
    assert.equal((await api.call('POST', `/v1/incidents/${id}/approve`, { comment: 'from the API' })).status, 202);
    await settled(id, 'contained');
    const answer = await click({ user: rita.slackUserId, action: 'riposte_reject', incident: id });
    assert.equal(answer.status, 200);
    assert.deepEqual(await reply(answer.responseUrl), { response_type: 'ephemeral', replace_original: false, text: `Nothing was done: incident ${id} is contained, not awaiting approval.` });
    assert.deepEqual(await decisionsSent(id), ['approve'], 'only the API approval');
    assert.equal((await incident(id)).approval.decision, 'approved');
  });

  test('a signed but invalid payload gets 400 with the field path, and nothing is signalled or posted', async () => {
    const id = await awaitingIncident();
    const elsewhere = 'https://attacker.example/collect';
    const cases: [string, string, string][] = [
      ['no payload field', 'token=abc', 'payload'],
      ['payload not JSON', 'payload=%7Bnope', 'payload'],
      ['an unknown action', slackBody({ user: rita.slackUserId, action: 'riposte_unblock', incident: id }).body, 'payload.actions[0].action_id'],
      ['a block workflow id', slackBody({ user: rita.slackUserId, action: 'riposte_approve', incident: `block:${id.slice(id.indexOf(':') + 1)}` }).body, 'payload.actions[0].value'],
      ['a block shard id', slackBody({ user: rita.slackUserId, action: 'riposte_approve', incident: blockShardWorkflowId(riposte.taskQueue, blockShardOf(id.slice(id.indexOf(':') + 1))) }).body, 'payload.actions[0].value'],
      ['a response_url off Slack', slackBody({ user: rita.slackUserId, action: 'riposte_approve', incident: id, responseUrl: elsewhere }).body, 'payload.response_url'],
    ];
    for (const [what, body, path] of cases) {
      const answer = await post(body, signedHeaders(body));
      assert.equal(answer.status, 400, what);
      assert.equal(answer.json.error, 'validation_failed', what);
      assert.ok(answer.json.issues.some((issue: { path: string }) => issue.path === path), `${what}: ${JSON.stringify(answer.json.issues)}`);
    }
    await assertUntouched(id);
  });

  test('without a signing secret the route answers 503 slack_not_configured, even to a signed click', async () => {
    const id = await awaitingIncident();
    const unconfigured = await listen(undefined);
    try {
      const { body } = slackBody({ user: rita.slackUserId, action: 'riposte_approve', incident: id });
      const answer = await post(body, signedHeaders(body), unconfigured.url);
      assert.deepEqual([answer.status, answer.json.error], [503, 'slack_not_configured']);
      assert.match(answer.json.message, /set SLACK_SIGNING_SECRET/);
    } finally {
      await unconfigured.close();
    }
    await assertUntouched(id);
  });

  test('a Temporal CLI signal reaches the same approval handler', async () => {
    const id = await awaitingIncident();
    const cli = findTemporalBinary('temporal', { explicitPath: process.env.TEMPORAL_CLI_PATH, envPath: process.env.PATH, projectDir });
    assert.ok(cli, 'npm test found a temporal binary to start the suite server with');
    await promisify(execFile)(cli.path, [
      'workflow', 'signal', '--workflow-id', id, '--name', 'approve', '--input', '{"by":"ops-oncall"}',
      '--address', suiteServer().address, '--namespace', 'default',
    ]);
    const state = await settled(id, 'contained');
    assert.deepEqual([state.approval.decision, state.approval.by], ['approved', 'ops-oncall']);
    assert.deepEqual(await decisionsSent(id), ['approve']);
  });
});
