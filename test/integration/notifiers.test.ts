import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotificationRejected, type IncidentNotification } from '../../activities/notify/notification.ts';
import { createSlackNotifier } from '../../activities/notify/slackNotifier.ts';
import { createWebhookNotifier } from '../../activities/notify/webhookNotifier.ts';

const SLACK_SECRET = 'T0SECRET/B0SECRET/XyZsEcReTtOkEn42';
const SLACK_PATH = `/services/${SLACK_SECRET}`;
const HOOK_TOKEN = 'whk_s3cr3t_t0k3n';
const HOSTILE = '<!channel> & <http://evil|x>';

interface Received { method?: string; path?: string; headers: IncomingMessage['headers']; body: string }
type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on an ephemeral port; each test swaps in the answer it needs. */
async function startServer() {
  const received: Received[] = [];
  let handler: Handler = (_req, res) => res.end('ok');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ method: req.method, path: req.url, headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    received,
    answer(h: Handler) { handler = h; received.length = 0; },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function notification(over: Partial<IncidentNotification> = {}): IncidentNotification {
  return {
    incidentId: 'brute-force:203.0.113.7',
    playbook: 'brute-force',
    title: 'Brute force from 203.0.113.7',
    entity: '203.0.113.7',
    alertCount: 42,
    severity: 8,
    geo: { country: 'NL', city: 'Amsterdam' },
    mode: 'auto',
    status: 'contained',
    action: 'Blocked 203.0.113.7 for 24h at edl, log',
    links: {
      incident: 'https://riposte.example/incidents/brute-force%3A203.0.113.7',
      temporalUi: 'http://localhost:8233/namespaces/default/workflows/incident-brute-force:203.0.113.7',
    },
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof Error);
    return err;
  }
  assert.fail('expected a rejection');
}

function assertNoSecret(err: Error, ...secrets: string[]) {
  const all = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}\n${String((err as { cause?: unknown }).cause ?? '')}`;
  for (const s of [SLACK_SECRET, 'XyZsEcReTtOkEn42', HOOK_TOKEN, ...secrets]) assert.ok(!all.includes(s), `error leaks ${s}: ${err.message}`);
}

interface Block { type: string; text?: { type: string; text: string }; fields?: { type: string; text: string }[]; elements?: { text: string }[] }

describe('slack notifier', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => { srv = await startServer(); });
  after(() => srv.close());
  const slack = (timeout?: number) => createSlackNotifier({ webhookUrl: `${srv.base}${SLACK_PATH}`, fetchTimeoutMs: timeout });

  test('posts text plus header, fields and link blocks, escaping hostile strings', async () => {
    srv.answer((_req, res) => res.end('ok'));
    await slack().send(notification({ entity: HOSTILE, action: `Would block ${HOSTILE} (observe mode)`, title: `Brute force from ${HOSTILE}`, mode: 'observe', status: 'observed' }));

    const [req] = srv.received;
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, SLACK_PATH);
    assert.match(String(req?.headers['content-type']), /^application\/json/);
    const msg = JSON.parse(req!.body) as { text: string; blocks: Block[] };

    // Everything but the plain_text header is mrkdwn, where these would ping and disguise a link.
    const mrkdwnParts = JSON.stringify([msg.text, msg.blocks.slice(1)]);
    assert.ok(!mrkdwnParts.includes('<!channel>'), 'raw mention reached mrkdwn');
    assert.ok(!mrkdwnParts.includes('<http://evil'), 'raw link reached mrkdwn');
    assert.match(msg.text, /&lt;!channel&gt; &amp; &lt;http:\/\/evil\|x&gt;/);

    const [header, section, context] = msg.blocks;
    assert.equal(header?.type, 'header');
    assert.equal(header?.text?.type, 'plain_text');
    assert.equal(header?.text?.text, `Brute force from ${HOSTILE}`, 'plain_text is literal, needs no escaping');

    assert.equal(section?.type, 'section');
    const fields = section?.fields ?? [];
    assert.ok(fields.length >= 6 && fields.length <= 10);
    for (const f of fields) assert.equal(f.type, 'mrkdwn');
    const byLabel = (label: string) => fields.find((f) => f.text.startsWith(`*${label}*`))?.text;
    assert.equal(byLabel('Address'), '*Address*\n&lt;!channel&gt; &amp; &lt;http://evil|x&gt;', 'an absent kind is an address');
    assert.equal(byLabel('Alerts'), '*Alerts*\n42');
    assert.equal(byLabel('Severity'), '*Severity*\n8/10');
    assert.equal(byLabel('GeoIP'), '*GeoIP*\nAmsterdam, NL');
    assert.equal(byLabel('Mode / status'), '*Mode / status*\nobserve / observed');
    assert.match(byLabel('Action') ?? '', /^\*Action\*\nWould block &lt;!channel&gt;/);

    assert.equal(context?.type, 'context');
    const links = (context?.elements ?? []).map((e) => e.text);
    assert.deepEqual(links, [
      '<https://riposte.example/incidents/brute-force%3A203.0.113.7|Incident>',
      '<http://localhost:8233/namespaces/default/workflows/incident-brute-force:203.0.113.7|Temporal UI>',
    ]);
  });

  test("labels the entity's field with its kind", async () => {
    const kinds = { user: 'User', host: 'Host', url: 'URL', domain: 'Domain', address: 'Address' } as const;
    for (const [entityKind, label] of Object.entries(kinds) as [keyof typeof kinds, string][]) {
      srv.answer((_req, res) => res.end('ok'));
      await slack().send(notification({ entityKind, entity: 'alice@example.org' }));
      const fields = (JSON.parse(srv.received[0]!.body) as { blocks: Block[] }).blocks[1]!.fields!;
      assert.equal(fields[0]!.text, `*${label}*\nalice@example.org`);
    }
  });

  test('mentions a manager by Slack member id, and nothing that is not one', async () => {
    srv.answer((_req, res) => res.end('ok'));
    await slack().send(notification({ slackMentions: ['U024BE7LH', '<!channel>', 'bob', 'W0ABC12'] }));
    const text = srv.received[0]!.body;
    assert.match(text, /For the attention of <@U024BE7LH>, <@W0ABC12>/);
    assert.doesNotMatch(text, /<!channel>|<@bob>/);
  });

  test('respects Block Kit length limits and drops absent or unsafe links', async () => {
    srv.answer((_req, res) => res.end('ok'));
    await slack().send(notification({
      title: 'T'.repeat(400),
      action: '&'.repeat(3000),
      geo: undefined,
      links: { incident: 'javascript:alert(1)' },
    }));
    const msg = JSON.parse(srv.received[0]!.body) as { text: string; blocks: Block[] };
    assert.ok(msg.blocks[0]!.text!.text.length <= 150);
    for (const f of msg.blocks[1]!.fields!) assert.ok(f.text.length <= 2000, `field of ${f.text.length} chars`);
    const action = msg.blocks[1]!.fields!.find((f) => f.text.startsWith('*Action*'))!.text;
    assert.match(action, /(&amp;)+…$/, 'clipping never leaves half an entity');
    assert.ok(msg.text.length <= 3000);
    assert.ok(msg.blocks[1]!.fields!.some((f) => f.text === '*GeoIP*\nunknown'));
    assert.equal(msg.blocks.length, 2, 'no context block without usable links');
  });

  test('an incident awaiting approval gets Approve and Reject buttons carrying its id; other statuses get none', async () => {
    srv.answer((_req, res) => res.end('ok'));
    await slack().send(notification({ mode: 'approve', status: 'awaiting_approval', entity: HOSTILE, action: 'Awaiting approval to block 203.0.113.7 for 24h' }));
    const msg = JSON.parse(srv.received[0]!.body) as { blocks: (Block & { elements?: any[] })[] };
    const actions = msg.blocks.at(-1)!;
    assert.equal(actions.type, 'actions');
    const [approve, reject] = actions.elements!;
    assert.deepEqual(approve, { type: 'button', action_id: 'riposte_approve', text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: 'brute-force:203.0.113.7' });
    assert.deepEqual([reject.type, reject.action_id, reject.style, reject.value], ['button', 'riposte_reject', 'danger', 'brute-force:203.0.113.7']);
    assert.equal(reject.confirm.style, 'danger');
    assert.equal(reject.confirm.text.type, 'plain_text', 'the attacker-influenced entity is shown literally, never as mrkdwn');
    assert.match(reject.confirm.text.text, /<!channel>/);

    for (const status of ['contained', 'observed', 'rejected', 'expired']) {
      srv.answer((_req, res) => res.end('ok'));
      await slack().send(notification({ mode: 'approve', status }));
      const blocks = (JSON.parse(srv.received[0]!.body) as { blocks: Block[] }).blocks;
      assert.ok(blocks.every((block) => block.type !== 'actions'), `no buttons when ${status}`);
    }
  });

  test('500 is a retryable error that does not name the URL', async () => {
    srv.answer((_req, res) => { res.statusCode = 500; res.end('internal_error'); });
    const err = await rejection(slack().send(notification()));
    assert.ok(!(err instanceof NotificationRejected));
    assert.match(err.message, /^slack answered 500/);
    assertNoSecret(err);
  });

  test('429 is retryable and carries Retry-After', async () => {
    srv.answer((_req, res) => { res.writeHead(429, { 'retry-after': '30' }); res.end('rate_limited'); });
    const err = await rejection(slack().send(notification()));
    assert.ok(!(err instanceof NotificationRejected));
    assert.match(err.message, /429.*retry after 30s/);
    assertNoSecret(err);
  });

  test("404 'no_service' is a permanent NotificationRejected", async () => {
    srv.answer((_req, res) => { res.statusCode = 404; res.end('no_service'); });
    const err = await rejection(slack().send(notification()));
    assert.ok(err instanceof NotificationRejected);
    assert.equal(err.name, 'NotificationRejected');
    assert.equal(err.status, 404);
    assert.equal(err.message, "slack answered 404 'no_service'");
    assertNoSecret(err);
  });

  test('a body echoing the request path is left out of the error', async () => {
    srv.answer((req, res) => { res.statusCode = 404; res.end(`Cannot POST ${req.url}`); });
    const err = await rejection(slack().send(notification()));
    assert.ok(err instanceof NotificationRejected);
    assertNoSecret(err);
  });

  test('a receiver that never answers fails within the timeout', async () => {
    srv.answer(() => { /* hold the request open */ });
    const started = Date.now();
    const err = await rejection(slack(300).send(notification()));
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 2000, `took ${took}ms`);
    assert.ok(!(err instanceof NotificationRejected));
    assert.match(err.message, /timed out after 300ms/);
    assertNoSecret(err);
  });

  test('connection refused is retryable and does not name the URL', async () => {
    const dead = await startServer();
    const base = dead.base;
    await dead.close();
    const err = await rejection(createSlackNotifier({ webhookUrl: `${base}${SLACK_PATH}` }).send(notification()));
    assert.ok(!(err instanceof NotificationRejected));
    assert.match(err.message, /^slack request failed: ECONNREFUSED/);
    assertNoSecret(err);
  });

  test('a malformed webhook URL is refused at construction without echoing it', () => {
    assert.throws(() => createSlackNotifier({ webhookUrl: `not a url ${SLACK_SECRET}` }), (err: Error) => {
      assertNoSecret(err);
      return /not a valid URL/.test(err.message);
    });
  });
});

describe('webhook notifier', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => { srv = await startServer(); });
  after(() => srv.close());
  const hook = () => createWebhookNotifier({
    url: `${srv.base}/hooks/riposte?token=${HOOK_TOKEN}`,
    headers: { authorization: `Bearer ${HOOK_TOKEN}-hdr` },
    fetchTimeoutMs: 2000,
  });

  test('posts the notification as JSON with the event name and custom headers', async () => {
    srv.answer((_req, res) => { res.statusCode = 204; res.end(); });
    const n = notification({ entity: HOSTILE });
    await hook().send(n);
    const [req] = srv.received;
    assert.equal(req?.method, 'POST');
    assert.equal(req?.path, `/hooks/riposte?token=${HOOK_TOKEN}`);
    assert.match(String(req?.headers['content-type']), /^application\/json/);
    assert.equal(req?.headers.authorization, `Bearer ${HOOK_TOKEN}-hdr`);
    assert.deepEqual(JSON.parse(req!.body), { event: 'riposte.incident', ...n });
  });

  test('500 is retryable, 400 is permanent; neither names the URL or token', async () => {
    srv.answer((_req, res) => { res.statusCode = 500; res.end(); });
    const err500 = await rejection(hook().send(notification()));
    assert.ok(!(err500 instanceof NotificationRejected));
    assert.equal(err500.message, 'webhook answered 500');
    assertNoSecret(err500, `${HOOK_TOKEN}-hdr`);

    srv.answer((req, res) => { res.statusCode = 400; res.end(`bad token ${HOOK_TOKEN}-hdr for ${req.url}`); });
    const err400 = await rejection(hook().send(notification()));
    assert.ok(err400 instanceof NotificationRejected);
    assert.equal(err400.status, 400);
    assertNoSecret(err400, `${HOOK_TOKEN}-hdr`);

    srv.answer((_req, res) => { res.statusCode = 401; res.end(`${HOOK_TOKEN}-hdr`); });
    const err401 = await rejection(hook().send(notification()));
    assert.ok(err401 instanceof NotificationRejected);
    assert.equal(err401.message, 'webhook answered 401', 'an echoed header token is not repeated');
  });
});
