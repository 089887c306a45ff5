import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NotificationRejected, type IncidentNotification } from '../../activities/notify/notification.ts';
import { createTeamsNotifier, teamsNotifierDefinition } from '../../activities/notify/teamsNotifier.ts';
import { createMattermostNotifier, mattermostNotifierDefinition } from '../../activities/notify/mattermostNotifier.ts';
import { createEmailNotifier, emailNotifierDefinition } from '../../activities/notify/emailNotifier.ts';
import { extraNotifiers } from '../../activities/notify/registry.ts';
import { startFakeSmtp } from '../support/fakeVendors.ts';

const TEAMS_SIG = 'tEaMsSiGnAtUrE0123456789abcdef';
const TEAMS_PATH = `/workflows/0a1b2c/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=${TEAMS_SIG}`;
const MM_KEY = 'mmhookkey8x7w6v5u4t3s2r1q';
const SMTP_PASSWORD = 'Sm7p-p@ss:w/rd';
const HOSTILE = '[click](http://evil) **x** <!channel> @here {{DATE(2017-02-14T06:08:39Z,SHORT)}}';

function incident(over: Partial<IncidentNotification> = {}): IncidentNotification {
  return {
    incidentId: 'impossible-travel:alice@example.org',
    playbook: 'impossible-travel',
    title: 'Impossible travel for alice@example.org',
    entity: 'alice@example.org',
    entityKind: 'user',
    alertCount: 3,
    severity: 7,
    geo: { country: 'BR', city: 'Recife' },
    mode: 'auto',
    status: 'contained',
    action: 'Disabled alice@example.org for 4h in okta',
    links: { incident: 'https://riposte.example/incidents/impossible-travel%3Aalice%40example.org', temporalUi: 'http://localhost:8233/namespaces/default/workflows/x' },
    ...over,
  };
}

/** How Teams and e-mail show incident()'s facts, one per line. */
const FACT_LINES = [
  'User: alice@example.org',
  'Alerts: 3',
  'Severity: 7/10',
  'GeoIP: Recife, BR',
  'Mode / status: auto / contained',
  'Action: Disabled alice@example.org for 4h in okta',
];

/** The error a promise rejects with; fails the test when it resolves. */
async function failure(p: Promise<unknown>): Promise<Error> {
  const outcome = await p.then(() => undefined, (err: unknown) => err);
  assert.ok(outcome instanceof Error, 'expected a rejection');
  return outcome;
}

function assertKeeps(err: Error, ...secrets: string[]) {
  const text = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}\n${String((err as { cause?: unknown }).cause ?? '')}`;
  for (const secret of secrets) assert.ok(!text.includes(secret), `error leaks ${secret}: ${err.message}`);
}

interface Answer { status: number; headers?: Record<string, string>; body?: string }
interface Request { path: string; headers: IncomingHttpHeaders; body: string }

/** A loopback stand-in for a chat service; `reply` decides each answer the way the real service would. */
async function chatService() {
  const requests: Request[] = [];
  let reply: (req: Request) => Answer = () => ({ status: 200 });
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (chunk: string) => { body += chunk; }).on('end', () => {
      const request = { path: req.url ?? '', headers: req.headers, body };
      requests.push(request);
      const answer = reply(request);
      res.writeHead(answer.status, answer.headers).end(answer.body ?? '');
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    replyWith(fn: (req: Request) => Answer) { reply = fn; requests.length = 0; },
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

function jsonOf(req: Request | undefined): any {
  assert.ok(req, 'no request arrived');
  assert.match(String(req.headers['content-type']), /^application\/json/);
  return JSON.parse(req.body);
}

/** Every object in a card, depth first, so a test can look for element types anywhere. */
function elements(node: unknown): Record<string, unknown>[] {
  if (Array.isArray(node)) return node.flatMap(elements);
  if (node === null || typeof node !== 'object') return [];
  return [node as Record<string, unknown>, ...Object.values(node).flatMap(elements)];
}

describe('teams notifier (Workflows webhook)', () => {
  let teams: Awaited<ReturnType<typeof chatService>>;
  before(async () => { teams = await chatService(); });
  after(() => teams.close());
  const notifier = () => createTeamsNotifier({ webhookUrl: `${teams.base}${TEAMS_PATH}`, fetchTimeoutMs: 2000 });

  /** Like Workflows: 202 once the envelope is one a flow can iterate, 400 InvalidRequestContent otherwise. */
  const workflows = (req: Request): Answer => {
    const body = JSON.parse(req.body) as { type?: unknown; attachments?: { contentType?: unknown; content?: { type?: unknown } }[] };
    const ok = body.type === 'message' && Array.isArray(body.attachments) && body.attachments.length > 0
      && body.attachments.every((a) => a.contentType === 'application/vnd.microsoft.card.adaptive' && a.content?.type === 'AdaptiveCard');
    return ok ? { status: 202 } : { status: 400, headers: { 'content-type': 'application/json' }, body: '{"error":{"code":"InvalidRequestContent"}}' };
  };

  test('posts the documented message envelope with an Adaptive Card, and a 202 is success', async () => {
    teams.replyWith(workflows);
    await notifier().send(incident());
    const [req] = teams.requests;
    assert.equal(req?.path, TEAMS_PATH);
    const msg = jsonOf(req);
    assert.equal(msg.type, 'message');
    assert.equal(msg.attachments.length, 1);
    const [attachment] = msg.attachments;
    assert.equal(attachment.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(attachment.contentUrl, null);
    const card = attachment.content;
    assert.equal(card.$schema, 'http://adaptivecards.io/schemas/adaptive-card.json');
    assert.equal(card.type, 'AdaptiveCard');
    assert.equal(card.version, '1.4');
    const lines = card.body.map((block: { inlines: { text: string }[] }) => block.inlines.map((run) => run.text).join(''));
    assert.deepEqual(lines, ['Impossible travel for alice@example.org', ...FACT_LINES]);
    assert.deepEqual(card.actions, [
      { type: 'Action.OpenUrl', title: 'Open incident', url: 'https://riposte.example/incidents/impossible-travel%3Aalice%40example.org' },
      { type: 'Action.OpenUrl', title: 'Temporal UI', url: 'http://localhost:8233/namespaces/default/workflows/x' },
    ]);
  });

  test('attacker strings reach the card only as TextRuns, which render no Markdown', async () => {
    teams.replyWith(workflows);
    await notifier().send(incident({ entity: HOSTILE, title: `Travel for ${HOSTILE}`, action: `Disabled ${HOSTILE}`, entityKind: undefined }));
    const card = jsonOf(teams.requests[0]).attachments[0].content;
    const all = elements(card.body);
    // TextBlock and FactSet values are Markdown in Teams; none may carry the hostile text.
    assert.ok(all.every((e) => e.type !== 'TextBlock' && e.type !== 'FactSet'), 'a Markdown-rendering element is in the card');
    const runs = all.filter((e) => e.type === 'TextRun').map((e) => e.text as string);
    const entityRun = runs[runs.indexOf('Address: ') + 1];
    assert.equal(entityRun, HOSTILE.replace('{{', '{\u200B{'), 'shown literally, date function defused');
    assert.ok(runs.every((text) => !text.includes('{{')), 'no {{…}} function survives');
    assert.deepEqual(card.actions.map((a: { url: string }) => a.url).filter((u: string) => u.includes('evil')), [], 'no button points at the attacker');
  });

  test('drops links that are not http(s) and clips a huge title', async () => {
    teams.replyWith(workflows);
    await notifier().send(incident({ title: 'T'.repeat(5000), links: { incident: 'javascript:alert(1)' } }));
    const card = jsonOf(teams.requests[0]).attachments[0].content;
    assert.equal(card.actions, undefined);
    assert.ok(card.body[0].inlines[0].text.length <= 200);
  });

  test('400 for a card Workflows cannot read is a permanent NotificationRejected that names no secret', async () => {
    teams.replyWith((req) => ({ status: 400, body: `bad request to ${req.path}` }));
    const err = await failure(notifier().send(incident()));
    assert.ok(err instanceof NotificationRejected);
    assert.equal(err.status, 400);
    assert.match(err.message, /^teams answered 400/);
    assertKeeps(err, TEAMS_SIG);
  });

  test('429 is retryable and carries Retry-After; 502 is retryable', async () => {
    teams.replyWith(() => ({ status: 429, headers: { 'retry-after': '12' } }));
    const throttled = await failure(notifier().send(incident()));
    assert.ok(!(throttled instanceof NotificationRejected));
    assert.match(throttled.message, /^teams answered 429.*retry after 12s/);

    teams.replyWith(() => ({ status: 502 }));
    const down = await failure(notifier().send(incident()));
    assert.ok(!(down instanceof NotificationRejected));
    assertKeeps(down, TEAMS_SIG);
  });

  test('a malformed URL is refused at construction without echoing it', () => {
    assert.throws(() => createTeamsNotifier({ webhookUrl: `nonsense ${TEAMS_SIG}` }), (err: Error) => {
      assertKeeps(err, TEAMS_SIG);
      return /not a valid URL/.test(err.message);
    });
  });

  test('the adapter definition builds the notifier from TEAMS_WEBHOOK_URL', async () => {
    teams.replyWith(workflows);
    const settings = teamsNotifierDefinition.settings.parse({ TEAMS_WEBHOOK_URL: `${teams.base}${TEAMS_PATH}` });
    await teamsNotifierDefinition.create(settings).send(incident());
    assert.equal(teams.requests.length, 1);
  });
});

/**
 * The Mattermost server's own mention scan (app/mention_parser_standard.go): words split on anything that is not a
 * letter, a digit or one of `:.-_@`, leading `:.-_` trimmed, trailing `.-:_` tried off one at a time.
 */
function serverMentions(text: string): string[] {
  const expanded = text.replaceAll('<!channel>', '@channel').replaceAll('<!here>', '@here').replaceAll('<!all>', '@all');
  const words = expanded.split(/[^:.\-_@\p{L}\p{N}]+/u).map((w) => w.replace(/^[:.\-_]+/, '')).filter(Boolean);
  return words.flatMap((word) => {
    const candidates = [word, ...word.split(/[.\-:]/)];
    for (let w = word; /[.\-:_]$/.test(w);) candidates.push(w = w.slice(0, -1));
    return candidates.filter((c) => ['@channel', '@here', '@all'].includes(c.toLowerCase()));
  });
}

describe('mattermost notifier (incoming webhook)', () => {
  let mm: Awaited<ReturnType<typeof chatService>>;
  before(async () => { mm = await chatService(); });
  after(() => mm.close());
  const hookPath = `/hooks/${MM_KEY}`;
  const notifier = (username?: string) => createMattermostNotifier({ webhookUrl: `${mm.base}${hookPath}`, username, fetchTimeoutMs: 2000 });

  /** Like the server: 200 'ok' as text/plain, 400 with an app error when there is no text. */
  const mattermost = (req: Request): Answer => (typeof JSON.parse(req.body).text === 'string' && JSON.parse(req.body).text !== ''
    ? { status: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' }
    : { status: 400, headers: { 'content-type': 'application/json' }, body: '{"id":"web.incoming_webhook.text.app_error","message":"No text specified.","status_code":400}' });

  test('posts {text, username}: a bold title, one line per fact and the links', async () => {
    mm.replyWith(mattermost);
    await notifier('riposte').send(incident({ entity: 'bob', entityKind: 'user' }));
    const msg = jsonOf(mm.requests[0]);
    assert.equal(mm.requests[0]?.path, hookPath);
    assert.equal(msg.username, 'riposte');
    assert.deepEqual(msg.text.split('\n'), [
      '**Impossible travel for alice\\@\u2060example\\.org**',
      '**User:** bob',
      '**Alerts:** 3',
      '**Severity:** 7\\/10',
      '**GeoIP:** Recife\\, BR',
      '**Mode / status:** auto \\/ contained',
      '**Action:** Disabled alice\\@\u2060example\\.org for 4h in okta',
      '[Incident](https://riposte.example/incidents/impossible-travel%3Aalice%40example.org) · [Temporal UI](http://localhost:8233/namespaces/default/workflows/x)',
    ]);
  });

  test('attacker strings stay literal: no Markdown, no new lines, no mention the server would act on', async () => {
    mm.replyWith(mattermost);
    const hostile = `${HOSTILE} @all <!here> <!all> <@U0ADMIN> ~town-square #tag :smile: www.evil.example`;
    await notifier().send(incident({ entity: hostile, title: `# Heading\n> quote\r\n- item ${hostile}`, action: '@channel' }));
    const { text } = jsonOf(mm.requests[0]) as { text: string };
    assert.deepEqual(serverMentions(text), [], 'a channel-wide mention would fire');
    assert.ok(!/<!|<@/.test(text), 'a Slack-style mention the server rewrites survived');
    const unescaped = /(^|[^\\])[[\]()*~#<>!]/m;
    assert.ok(!unescaped.test(text.split('\n')[1]!.replace(/^\*\*User:\*\* /, '')), 'Markdown punctuation survived unescaped');
    assert.equal(text.split('\n').length, 8, 'an injected line break made a line of its own (title, six facts, links)');
    // What a CommonMark renderer shows: the escapes and word joiners vanish and the original text remains.
    const shown = text.split('\n')[1]!.replace(/\\([!-/:-@[-`{-~])/g, '$1').replaceAll('\u2060', '');
    assert.equal(shown, `**User:** ${hostile}`.replace(/\\([!-/:-@[-`{-~])/g, '$1'));
  });

  test("the server's 400 app error is permanent, 429 and 5xx retry; no error names the hook key", async () => {
    mm.replyWith(() => ({ status: 400, headers: { 'content-type': 'application/json' }, body: `{"id":"web.incoming_webhook.invalid.app_error","message":"Invalid webhook ${MM_KEY}","status_code":400}` }));
    const invalid = await failure(notifier().send(incident()));
    assert.ok(invalid instanceof NotificationRejected);
    assert.equal(invalid.message, 'mattermost answered 400');
    assertKeeps(invalid, MM_KEY);

    mm.replyWith(() => ({ status: 429, headers: { 'retry-after': '1' }, body: 'too many requests' }));
    const throttled = await failure(notifier().send(incident()));
    assert.ok(!(throttled instanceof NotificationRejected));
    assert.match(throttled.message, /retry after 1s/);

    mm.replyWith(() => ({ status: 503 }));
    assert.ok(!((await failure(notifier().send(incident()))) instanceof NotificationRejected));
  });

  test('the adapter definition reads MATTERMOST_WEBHOOK_URL and MATTERMOST_USERNAME', async () => {
    mm.replyWith(mattermost);
    const settings = mattermostNotifierDefinition.settings.parse({ MATTERMOST_WEBHOOK_URL: `${mm.base}${hookPath}`, MATTERMOST_USERNAME: 'riposte-bot' });
    await mattermostNotifierDefinition.create(settings).send(incident());
    assert.equal(jsonOf(mm.requests[0]).username, 'riposte-bot');
  });
});

/** Header lines unfolded, each as [lower-case name, value], and the body with any quoted-printable encoding undone. */
function parseMessage(raw: string) {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ').split('\r\n').map((line) => {
    const colon = line.indexOf(':');
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
  });
  const header = (name: string) => headers.filter(([n]) => n === name).map(([, v]) => v);
  const encoded = raw.slice(split + 4);
  const body = header('content-transfer-encoding')[0] === 'quoted-printable'
    ? Buffer.from(encoded.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')
    : encoded;
  return { headers, header, body };
}

describe('email notifier (SMTP)', () => {
  let smtp: Awaited<ReturnType<typeof startFakeSmtp>>;
  before(async () => { smtp = await startFakeSmtp(); });
  after(() => smtp.close());
  const email = (to = ['soc@example.org']) => createEmailNotifier({ smtpUrl: `smtp://127.0.0.1:${smtp.port}`, from: 'riposte@example.org', to, timeoutMs: 2000 });

  test('sends plain text to RIPOSTE_EMAIL_TO plus the incident recipients, each once', async () => {
    smtp.refuse(() => undefined);
    await email(['soc@example.org', 'cert@example.org']).send(incident({ recipients: ['bob.manager@example.org', 'SOC@example.org', 'not an address'] }));
    const [delivery] = smtp.deliveries;
    assert.ok(delivery);
    assert.equal(delivery.from, 'riposte@example.org');
    assert.deepEqual(delivery.rcpt, ['soc@example.org', 'cert@example.org', 'bob.manager@example.org']);
    const message = parseMessage(delivery.raw);
    assert.deepEqual(message.header('to'), ['soc@example.org, cert@example.org, bob.manager@example.org']);
    assert.deepEqual(message.header('subject'), ['[Riposte] Impossible travel for alice@example.org: contained']);
    assert.match(message.header('content-type')[0] ?? '', /^text\/plain/);
    assert.deepEqual(message.body.trimEnd().split('\r\n'), [
      'Impossible travel for alice@example.org',
      '',
      ...FACT_LINES,
      '',
      'Incident: https://riposte.example/incidents/impossible-travel%3Aalice%40example.org',
      'Temporal UI: http://localhost:8233/namespaces/default/workflows/x',
      'Incident id: impossible-travel:alice@example.org',
    ]);
  });

  test('a CR/LF in the title adds no header and no recipient', async () => {
    smtp.refuse(() => undefined);
    await email().send(incident({ title: 'Travel\r\nBcc: victim@example.org\r\nX-Injected: yes\nSubject: fake', status: 'contained\r\nX-Status: 1' }));
    const message = parseMessage(smtp.deliveries[0]!.raw);
    assert.deepEqual(smtp.deliveries[0]!.rcpt, ['soc@example.org']);
    const names = message.headers.map(([name]) => name);
    assert.ok(!names.includes('bcc') && !names.includes('x-injected') && !names.includes('x-status'), `headers: ${names.join(', ')}`);
    assert.deepEqual(message.header('subject'), ['[Riposte] Travel Bcc: victim@example.org X-Injected: yes Subject: fake: contained X-Status: 1']);
    assert.equal(message.body.split('\r\n')[0], 'Travel Bcc: victim@example.org X-Injected: yes Subject: fake');
  });

  test('550 for every recipient is a permanent NotificationRejected', async () => {
    smtp.refuse(() => 550);
    const err = await failure(email().send(incident()));
    assert.ok(err instanceof NotificationRejected);
    assert.equal(err.status, 550);
    assert.equal(err.message, 'email: SMTP server answered 550 5.1.1 to RCPT');
  });

  test('451 for the message is retryable', async () => {
    smtp.refuse(() => undefined, 451);
    const err = await failure(email().send(incident()));
    assert.ok(!(err instanceof NotificationRejected));
    assert.equal(err.message, 'email: SMTP server answered 451 4.3.0 to DATA');
  });

  test('a recipient refused while others accepted is final, so a retry cannot send twice', async () => {
    smtp.refuse((address) => (address === 'bob.manager@example.org' ? 550 : undefined));
    const err = await failure(email().send(incident({ recipients: ['bob.manager@example.org'] })));
    assert.ok(err instanceof NotificationRejected);
    assert.equal(err.message, 'email: 1 of 2 recipients refused (SMTP 550)');
    assert.equal(err.status, 550);
    assert.deepEqual(smtp.deliveries.map((d) => d.rcpt), [['soc@example.org']]);
  });

  test('with no configured list and no valid incident recipient nothing is sent', async () => {
    smtp.refuse(() => undefined);
    const err = await failure(email([]).send(incident({ recipients: ['bad address'] })));
    assert.ok(err instanceof NotificationRejected);
    assert.deepEqual(smtp.sessions, [], 'no SMTP connection was made');
  });

  test('credentials are never sent over a server without STARTTLS, and never appear in the error', async () => {
    let authAttempts = 0;
    const plain = await startFakeSmtp({ onAuth: (_auth, _session, callback) => { authAttempts++; callback(null, { user: 'riposte' }); } });
    try {
      const notifier = createEmailNotifier({ smtpUrl: `smtp://riposte:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${plain.port}`, from: 'riposte@example.org', to: ['soc@example.org'], timeoutMs: 2000 });
      const err = await failure(notifier.send(incident()));
      // The server cannot do TLS, so asking again cannot help.
      assert.ok(err instanceof NotificationRejected);
      assert.equal(err.message, 'email: SMTP server answered 500 to STARTTLS');
      assert.equal(authAttempts, 0);
      assert.deepEqual(plain.deliveries, []);
      assertKeeps(err, SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD), 'riposte:');
    } finally {
      await plain.close();
    }
  });

  test('over STARTTLS the password is used, and a 535 refusal is final and does not repeat it', async () => {
    const tls = await startFakeSmtp({
      disabledCommands: [],
      authOptional: false,
      onAuth: (auth, _session, callback) => (auth.username === 'riposte' && auth.password === SMTP_PASSWORD
        ? callback(null, { user: 'riposte' })
        : callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }))),
    });
    // The server presents smtp-server's built-in self-signed certificate; only this test trusts it blindly.
    const withPassword = (password: string) => createEmailNotifier({
      smtpUrl: `smtp://riposte:${encodeURIComponent(password)}@127.0.0.1:${tls.port}/?tls.rejectUnauthorized=false`,
      from: 'riposte@example.org',
      to: ['soc@example.org'],
      timeoutMs: 2000,
    });
    try {
      await withPassword(SMTP_PASSWORD).send(incident());
      assert.equal(tls.deliveries.length, 1);

      const err = await failure(withPassword(`${SMTP_PASSWORD}-wrong`).send(incident()));
      assert.ok(err instanceof NotificationRejected);
      assert.equal(err.message, 'email: SMTP server answered 535 5.7.8 to AUTH');
      assertKeeps(err, SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD));
    } finally {
      await tls.close();
    }
  });

  test('connection refused is retryable', async () => {
    const gone = await startFakeSmtp();
    const port = gone.port;
    await gone.close();
    const err = await failure(createEmailNotifier({ smtpUrl: `smtp://127.0.0.1:${port}`, from: 'riposte@example.org', to: ['soc@example.org'], timeoutMs: 2000 }).send(incident()));
    assert.ok(!(err instanceof NotificationRejected));
    assert.match(err.message, /^email: SMTP failed \(E[A-Z]+\)$/);
  });

  test('a bad SMTP_URL or address is refused at construction without echoing the URL', () => {
    for (const smtpUrl of [`not a url ${SMTP_PASSWORD}`, `https://riposte:${encodeURIComponent(SMTP_PASSWORD)}@mail.example`]) {
      assert.throws(() => createEmailNotifier({ smtpUrl, from: 'riposte@example.org' }), (err: Error) => {
        assertKeeps(err, SMTP_PASSWORD, encodeURIComponent(SMTP_PASSWORD));
        return /^email: SMTP_URL/.test(err.message);
      });
    }
    assert.throws(() => createEmailNotifier({ smtpUrl: 'smtp://mail.example', from: 'riposte@example.org', to: ['a@example.org\r\nBcc: x@example.org'] }), /not a plain e-mail address/);
  });

  test('the adapter definition splits RIPOSTE_EMAIL_TO and needs RIPOSTE_EMAIL_FROM', async () => {
    smtp.refuse(() => undefined);
    const settings = emailNotifierDefinition.settings.parse({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, RIPOSTE_EMAIL_FROM: 'riposte@example.org', RIPOSTE_EMAIL_TO: ' soc@example.org, cert@example.org ,' });
    assert.deepEqual(settings.RIPOSTE_EMAIL_TO, ['soc@example.org', 'cert@example.org']);
    await emailNotifierDefinition.create(settings).send(incident());
    assert.deepEqual(smtp.deliveries[0]?.rcpt, ['soc@example.org', 'cert@example.org']);
    assert.equal(emailNotifierDefinition.settings.safeParse({ SMTP_URL: 'smtp://mail.example' }).success, false);
  });
});

test('the registry lists teams, email and mattermost, each turned on by its secret', () => {
  assert.deepEqual(extraNotifiers.map((d) => [d.name, d.requires]), [
    ['teams', ['TEAMS_WEBHOOK_URL']],
    ['email', ['SMTP_URL']],
    ['mattermost', ['MATTERMOST_WEBHOOK_URL']],
  ]);
});
