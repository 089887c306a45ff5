import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { jira, jiraIncidentLabel } from '../../activities/ticket/jira.ts';
import { THEHIVE_SEVERITY_MAPPING, theHive, theHiveSeverity, theHiveSourceRef } from '../../activities/ticket/theHive.ts';
import type { TicketRequest, TicketSystem } from '../../activities/ticket/ticketSystem.ts';
import { VENDOR_REJECTED, VENDOR_UNAVAILABLE } from '../../activities/vendorHttp.ts';
import { type FakeReply, type FakeRequest, type FakeServer, fakeTheHive, HIVE_KEY, startFakeServer } from '../support/fakeVendors.ts';

const JIRA_TOKEN = 'ATATT-jira-t0k3n-S3CR3T';
const JIRA_EMAIL = 'riposte-bot@example.org';
const INCIDENT = 'phishing:alice@example.org';

type Req = FakeRequest;
type Reply = FakeReply;

/** Requests that change something: every one but reads and searches. */
const writesTo = (srv: FakeServer) => srv.requests.filter((r) => r.method !== 'GET' && !/\/(query|search\/jql)$/.test(r.path));

function phishingTicket(over: Partial<TicketRequest> = {}): TicketRequest {
  return {
    incidentId: INCIDENT,
    title: 'Phishing link clicked by alice@example.org',
    description: 'alice@example.org clicked https://login.evil.example/a?b=c\nReported by the mail gateway.',
    severity: 9,
    observables: [
      { kind: 'url', value: 'https://login.evil.example/a?b=c' },
      { kind: 'domain', value: 'login.evil.example' },
      { kind: 'user', value: 'alice@example.org' },
      { kind: 'ip', value: '203.0.113.7' },
    ],
    tags: ['phishing', 'mail gateway'],
    links: { incident: 'https://riposte.example/incidents/phishing%3Aalice%40example.org', temporalUi: 'javascript:alert(1)' },
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `not an ApplicationFailure: ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

/** A refusal: final, typed for the incident's retry policy, with no credential in it. */
async function finalFailure(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await rejection(p);
  assert.equal(err.type, VENDOR_REJECTED);
  assert.ok(err.nonRetryable);
  assertNoSecret(err);
  return err;
}

/** An outage: retried, after the vendor's Retry-After when it gave one. */
async function retryableFailure(p: Promise<unknown>, nextRetryDelay?: string): Promise<ApplicationFailure> {
  const err = await rejection(p);
  assert.equal(err.type, VENDOR_UNAVAILABLE);
  assert.ok(!err.nonRetryable);
  assert.equal(err.nextRetryDelay, nextRetryDelay);
  assertNoSecret(err);
  return err;
}

function assertNoSecret(err: Error) {
  const all = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}`;
  const basic = Buffer.from(`${JIRA_EMAIL}:${JIRA_TOKEN}`).toString('base64');
  for (const s of [HIVE_KEY, JIRA_TOKEN, basic]) assert.ok(!all.includes(s), `error leaks a secret: ${err.message}`);
}

// ---- TheHive 5 (the fake: test/support/fakeVendors.ts) ----

describe('TheHive 5', () => {
  let hive: ReturnType<typeof fakeTheHive>;
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer((req) => hive.route(req)); });
  beforeEach(() => { hive = fakeTheHive(); srv.requests.length = 0; });
  after(() => srv.close());
  const system = (env: Record<string, string> = {}): TicketSystem =>
    theHive.create(theHive.settings.parse({ THEHIVE_URL: srv.url, THEHIVE_API_KEY: HIVE_KEY, THEHIVE_ORGANISATION: 'SOC', ...env }));

  test('a phishing click makes one alert with four observables, and a retried open makes none', async () => {
    const first = await system().open(phishingTicket());
    const again = await system().open(phishingTicket());

    assert.equal(hive.alerts.size, 1);
    assert.equal(srv.requests.filter((r) => r.method === 'POST' && r.path === '/api/v1/alert').length, 1);
    const [alert] = [...hive.alerts.values()];
    assert.deepEqual(first, { system: 'thehive', id: alert._id, url: `${srv.url}/alerts/${alert._id}/details`, existed: false });
    assert.deepEqual(again, { ...first, existed: true });
    assert.deepEqual(alert.observables.map((o: any) => [o.dataType, o.data]), [
      ['url', 'https://login.evil.example/a?b=c'], ['domain', 'login.evil.example'], ['mail', 'alice@example.org'], ['ip', '203.0.113.7'],
    ]);
    assert.equal(alert.sourceRef, INCIDENT);
    assert.deepEqual([alert.type, alert.source, alert.severity, alert.tlp, alert.pap], ['incident', 'riposte', 4, 2, 2]);
    assert.deepEqual(alert.tags, ['riposte', 'phishing', 'mail gateway']);
    assert.equal(alert.externalLink, 'https://riposte.example/incidents/phishing%3Aalice%40example.org');
    for (const r of srv.requests) assert.equal(r.headers['x-organisation'], 'SOC');
  });

  test('a bare login is an `other` observable and a host a `hostname`', async () => {
    await system().open(phishingTicket({ observables: [{ kind: 'user', value: 'alice' }, { kind: 'host', value: 'ws-042.corp.example' }] }));
    const [alert] = [...hive.alerts.values()];
    assert.deepEqual(alert.observables, [
      { dataType: 'other', data: 'alice', tags: ['riposte:user'] },
      { dataType: 'hostname', data: 'ws-042.corp.example', tags: ['riposte:host'] },
    ]);
  });

  test('the description is escaped Markdown with only http(s) links', async () => {
    await system().open(phishingTicket({ description: 'clicked [here](javascript:alert(1)) <img src=x onerror=alert(1)> **now**' }));
    const { description } = [...hive.alerts.values()][0];
    assert.ok(description.startsWith('clicked \\[here\\]\\(javascript:alert\\(1\\)\\) \\<img src=x onerror=alert\\(1\\)\\> \\*\\*now\\*\\*'), description);
    assert.match(description, /\[Incident in Riposte\]\(<https:\/\/riposte\.example\/incidents\/phishing%3Aalice%40example\.org>\)/);
    assert.ok(!description.includes('Temporal UI'), 'a javascript: link is dropped');
    assert.match(description, /phishing:alice@example\.org \(severity 9\/10\)/);
  });

  test("when the search trails TheHive's database, its duplicate refusal is read as the existing alert", async () => {
    const first = await system().open(phishingTicket());
    hive.state.searchLag = 1;
    const again = await system().open(phishingTicket());
    assert.deepEqual(again, { ...first, existed: true });
    assert.equal(hive.alerts.size, 1);

    hive.state.searchLag = 2;
    await retryableFailure(system().open(phishingTicket()));
    assert.equal(hive.alerts.size, 1, 'the next attempt will find it');
  });

  test('with THEHIVE_CREATE_CASE the alert becomes one case, and a retry returns that case', async () => {
    const first = await system({ THEHIVE_CREATE_CASE: 'true' }).open(phishingTicket());
    const again = await system({ THEHIVE_CREATE_CASE: 'true' }).open(phishingTicket());
    assert.equal(hive.cases.size, 1);
    const [created] = [...hive.cases.values()];
    assert.deepEqual(first, { system: 'thehive', id: created._id, url: `${srv.url}/cases/${created._id}/details`, existed: false });
    assert.deepEqual(again, { ...first, existed: true });
  });

  test('an alert left unpromoted by an earlier attempt is promoted, not made again', async () => {
    await system().open(phishingTicket());
    const promoted = await system({ THEHIVE_CREATE_CASE: 'true' }).open(phishingTicket());
    assert.deepEqual([hive.alerts.size, hive.cases.size, promoted.existed], [1, 1, false]);
    assert.equal(promoted.id, [...hive.alerts.values()][0].caseId);
  });

  test('a false positive comments on the alert and closes it once', async () => {
    await system().open(phishingTicket());
    const closed = await system().closeAsFalsePositive(INCIDENT, 'alice reported it: a [test](javascript:x) mail');
    const [alert] = [...hive.alerts.values()];
    assert.deepEqual([alert.status, alert.stage], ['FalsePositive', 'Closed']);
    assert.equal(hive.comments.length, 1);
    assert.equal(hive.comments[0]!.on, alert._id);
    assert.match(hive.comments[0]!.message, /^\*\*Riposte verdict: false positive\.\*\*\n\nalice reported it: a \\\[test\\\]\\\(javascript:x\\\) mail$/);
    assert.match(closed.detail, /^closed TheHive alert ~\d+ as a false positive$/);

    const writes = writesTo(srv).length;
    const again = await system().closeAsFalsePositive(INCIDENT, 'again');
    assert.match(again.detail, /already closed/);
    assert.equal(writesTo(srv).length, writes, 'nothing written the second time');
  });

  test('a false positive closes the promoted case with no impact', async () => {
    await system({ THEHIVE_CREATE_CASE: 'true' }).open(phishingTicket());
    await system().closeAsFalsePositive(INCIDENT, 'benign');
    const [closed] = [...hive.cases.values()];
    assert.deepEqual([closed.status, closed.impactStatus, closed.stage, closed.summary], ['FalsePositive', 'NoImpact', 'Closed', 'benign']);
    assert.deepEqual(hive.comments.map((c) => c.on), [closed._id]);
    assert.match((await system().closeAsFalsePositive(INCIDENT, 'again')).detail, /already closed/);
    assert.equal(hive.comments.length, 1);
  });

  test("closing an incident that has no alert succeeds and leaves another incident's alert alone", async () => {
    await system().open(phishingTicket());
    const writes = writesTo(srv).length;
    const result = await system().closeAsFalsePositive('phishing:bob@example.org', 'n/a');
    assert.match(result.detail, /nothing to close/);
    assert.equal(writesTo(srv).length, writes);
  });

  test('a refused alert (a missing title) is final and names the error type', async () => {
    const err = await finalFailure(system().open(phishingTicket({ title: '' })));
    assert.equal(err.message, 'thehive answered 400 to POST (AttributeCheckingError)');
    assert.equal(hive.alerts.size, 0);
  });

  test('a long incident id becomes a sourceRef within 128 characters that stays the same', async () => {
    const long = `phishing:${'x'.repeat(200)}@example.org`;
    assert.equal(theHiveSourceRef(long).length, 128);
    assert.equal(theHiveSourceRef(long), theHiveSourceRef(long));
    assert.notEqual(theHiveSourceRef(long), theHiveSourceRef(`${long}.`));
    await system().open(phishingTicket({ incidentId: long }));
    assert.equal((await system().open(phishingTicket({ incidentId: long }))).existed, true);
  });

  test('the severity table and the mapping agree for 1-10', () => {
    for (let s = 1; s <= 10; s++) {
      const row = THEHIVE_SEVERITY_MAPPING.find((r) => { const [lo, hi] = r.riposte.split('-').map(Number); return s >= lo! && s <= hi!; });
      assert.equal(theHiveSeverity(s), row?.thehive, `severity ${s}`);
    }
  });

  test('settings: URL and key required, the case switch off by default', () => {
    assert.equal(theHive.settings.parse({ THEHIVE_URL: 'https://hive.example', THEHIVE_API_KEY: 'k' }).THEHIVE_CREATE_CASE, false);
    assert.equal(theHive.settings.safeParse({ THEHIVE_URL: 'https://hive.example' }).success, false);
    assert.equal(theHive.settings.safeParse({ THEHIVE_URL: 'file:///etc/passwd', THEHIVE_API_KEY: 'k' }).success, false);
  });
});

// ---- Jira Cloud REST v3: search/jql, issue create with ADF, comments, transitions; errors as an ErrorCollection ----

const jiraError = (status: number, errorMessages: string[], errors: Record<string, string> = {}): Reply => ({ status, body: { errorMessages, errors } });
const JIRA_TRANSITIONS = [{ id: '11', name: 'In Progress', category: 'indeterminate' }, { id: '31', name: 'Done', category: 'done' }];

/** Jira refuses a document that is not ADF; text nodes must be non-empty strings. */
function isAdf(node: any, root = true): boolean {
  if (root && (node?.type !== 'doc' || node.version !== 1)) return false;
  if (node?.type === 'text') return typeof node.text === 'string' && node.text.length > 0;
  return typeof node?.type === 'string' && (node.content === undefined || (Array.isArray(node.content) && node.content.every((c: any) => isAdf(c, false))));
}

function fakeJira() {
  const issues = new Map<string, any>();
  const comments: { key: string; body: any }[] = [];

  function search(body: any): Reply {
    const m = /^project = "([A-Z][A-Z0-9_]+)" AND labels = "([^"\s]+)"$/.exec(body?.jql ?? '');
    if (!m) return jiraError(400, ["Error in the JQL Query: the query is not bounded or not understood."]);
    const hits = [...issues.values()].filter((i) => i.fields.project.key === m[1] && i.fields.labels.includes(m[2]));
    const wanted: string[] = body.fields ?? ['id'];
    const shaped = hits.slice(0, body.maxResults ?? 50).map((i) => ({
      id: i.id, key: i.key, self: i.self, ...(wanted.includes('status') ? { fields: { status: i.fields.status } } : {}),
    }));
    return { status: 200, body: { issues: shaped, isLast: true } };
  }

  function create(base: string, fields: any): Reply {
    const errors: Record<string, string> = {};
    if (fields?.project?.key !== 'SEC') errors.project = 'valid project is required';
    if (!['Task', 'Bug'].includes(fields?.issuetype?.name)) errors.issuetype = 'Specify a valid issue type';
    if (typeof fields?.summary !== 'string' || !fields.summary.trim()) errors.summary = 'You must specify a summary of the issue.';
    else if (/[\r\n]/.test(fields.summary) || fields.summary.length > 255) errors.summary = 'Summary must be a single line of at most 255 characters.';
    if (fields?.description !== undefined && !isAdf(fields.description)) errors.description = 'Operation value must be an Atlassian Document (see the Atlassian Document Format)';
    if (!(fields?.labels ?? []).every((l: unknown) => typeof l === 'string' && l && !/\s/.test(l))) errors.labels = 'The label cannot contain spaces.';
    if (Object.keys(errors).length) return jiraError(400, [], errors);
    const id = String(10000 + issues.size);
    const key = `SEC-${issues.size + 1}`;
    const issue = { id, key, self: `${base}/rest/api/3/issue/${id}`, fields: { ...fields, status: { name: 'To Do', statusCategory: { key: 'new' } } } };
    issues.set(key, issue);
    return { status: 201, body: { id, key, self: issue.self } };
  }

  function transition(issue: any, body: any): Reply {
    const t = JIRA_TRANSITIONS.find((x) => x.id === body?.transition?.id);
    if (!t) return jiraError(400, [`Transition id '${body?.transition?.id}' is not valid for this issue.`]);
    issue.fields.status = { name: t.name, statusCategory: { key: t.category } };
    return { status: 204 };
  }

  function route(req: Req, base: string): Reply {
    const expected = `Basic ${Buffer.from(`${JIRA_EMAIL}:${JIRA_TOKEN}`).toString('base64')}`;
    if (req.headers.authorization !== expected) return jiraError(401, ['You are not authenticated. Authentication required to perform this operation.']);
    if (req.method === 'POST' && req.path === '/rest/api/3/search/jql') return search(req.json);
    if (req.method === 'POST' && req.path === '/rest/api/3/issue') return create(base, req.json?.fields);
    const m = /^\/rest\/api\/3\/issue\/([^/]+)\/(transitions|comment)$/.exec(req.path);
    const issue = m && issues.get(decodeURIComponent(m[1]!));
    if (!m || !issue) return jiraError(404, ['Issue does not exist or you do not have permission to see it.']);
    if (req.method === 'GET' && m[2] === 'transitions') return { status: 200, body: { transitions: JIRA_TRANSITIONS.map(({ id, name }) => ({ id, name, hasScreen: false })) } };
    if (req.method === 'POST' && m[2] === 'transitions') return transition(issue, req.json);
    if (req.method === 'POST' && m[2] === 'comment') {
      if (!isAdf(req.json?.body)) return jiraError(400, [], { comment: 'Comment body can not be empty!' });
      comments.push({ key: issue.key, body: req.json.body });
      return { status: 201, body: { id: String(comments.length), body: req.json.body } };
    }
    return jiraError(405, ['Method not allowed']);
  }
  return { issues, comments, route };
}

/** All text of an ADF node, in order. */
const adfText = (node: any): string => (node.type === 'text' ? node.text : (node.content ?? []).map(adfText).join(node.type === 'doc' ? '\n' : ''));

describe('Jira Cloud', () => {
  let fake: ReturnType<typeof fakeJira>;
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer((req) => fake.route(req, srv.url)); });
  beforeEach(() => { fake = fakeJira(); srv.requests.length = 0; });
  after(() => srv.close());
  const system = (env: Record<string, string> = {}): TicketSystem =>
    jira.create(jira.settings.parse({ JIRA_URL: srv.url, JIRA_EMAIL, JIRA_API_TOKEN: JIRA_TOKEN, JIRA_PROJECT_KEY: 'SEC', ...env }));

  test('a phishing click makes one issue labelled for the incident, and a retried open makes none', async () => {
    const first = await system().open(phishingTicket());
    const again = await system().open(phishingTicket());

    assert.equal(fake.issues.size, 1);
    assert.equal(srv.requests.filter((r) => r.method === 'POST' && r.path === '/rest/api/3/issue').length, 1);
    assert.deepEqual(first, { system: 'jira', id: 'SEC-1', url: `${srv.url}/browse/SEC-1`, existed: false });
    assert.deepEqual(again, { ...first, existed: true });

    const { fields } = fake.issues.get('SEC-1');
    assert.deepEqual(fields.labels, ['riposte', jiraIncidentLabel(INCIDENT), 'phishing', 'mail_gateway']);
    assert.deepEqual([fields.issuetype.name, fields.summary], ['Task', 'Phishing link clicked by alice@example.org']);
    const bullets = fields.description.content.find((n: any) => n.type === 'bulletList');
    assert.deepEqual(bullets.content.map(adfText), ['url: https://login.evil.example/a?b=c', 'domain: login.evil.example', 'user: alice@example.org', 'ip: 203.0.113.7']);
    const text = adfText(fields.description);
    assert.match(text, /^alice@example\.org clicked https:\/\/login\.evil\.example\/a\?b=c\nReported by the mail gateway\.\nRiposte incident: phishing:alice@example\.org \(severity 9\/10\)/);
    const links = JSON.stringify(fields.description).match(/"href":"[^"]*"/g);
    assert.deepEqual(links, ['"href":"https://riposte.example/incidents/phishing%3Aalice%40example.org"'], 'the javascript: link is dropped');
  });

  test('the incident label is deterministic, per incident, and label-safe', () => {
    assert.match(jiraIncidentLabel(INCIDENT), /^riposte-[0-9a-f]{16}$/);
    assert.equal(jiraIncidentLabel(INCIDENT), jiraIncidentLabel('phishing:alice@example.org'));
    assert.notEqual(jiraIncidentLabel(INCIDENT), jiraIncidentLabel('phishing:bob@example.org'));
  });

  test('a multi-line title becomes a one-line summary; the issue type is configurable', async () => {
    await system({ JIRA_ISSUE_TYPE: 'Bug' }).open(phishingTicket({ title: `Phishing\nclick ${'x'.repeat(300)}` }));
    const { fields } = fake.issues.get('SEC-1');
    assert.equal(fields.issuetype.name, 'Bug');
    assert.ok(!fields.summary.includes('\n') && fields.summary.length <= 255 && fields.summary.startsWith('Phishing click x'));
  });

  test('a false positive comments and transitions to Done once', async () => {
    await system().open(phishingTicket());
    const closed = await system().closeAsFalsePositive(INCIDENT, 'alice confirmed the mail was a drill');
    assert.equal(fake.issues.get('SEC-1').fields.status.name, 'Done');
    assert.deepEqual(fake.comments.map((c) => [c.key, adfText(c.body)]), [['SEC-1', 'Riposte verdict: false positive.\nalice confirmed the mail was a drill']]);
    assert.equal(closed.detail, "closed Jira issue SEC-1 as a false positive ('Done')");

    const writes = writesTo(srv).length;
    assert.match((await system().closeAsFalsePositive(INCIDENT, 'again')).detail, /already closed/);
    assert.equal(writesTo(srv).length, writes, 'nothing written the second time');
  });

  test('a close transition the workflow lacks is final, and nothing is commented', async () => {
    await system().open(phishingTicket());
    const err = await finalFailure(system({ JIRA_CLOSE_TRANSITION: 'Resolve' }).closeAsFalsePositive(INCIDENT, 'benign'));
    assert.match(err.message, /no transition named 'Resolve' for SEC-1/);
    assert.equal(fake.comments.length, 0);
  });

  test("closing an incident that has no issue succeeds and leaves another incident's issue alone", async () => {
    await system().open(phishingTicket());
    const writes = writesTo(srv).length;
    assert.match((await system().closeAsFalsePositive('phishing:bob@example.org', 'n/a')).detail, /nothing to close/);
    assert.equal(writesTo(srv).length, writes);
  });

  test('a refused issue (an empty summary) is final', async () => {
    const err = await finalFailure(system().open(phishingTicket({ title: '  ' })));
    assert.equal(err.message, 'jira answered 400 to POST');
    assert.equal(fake.issues.size, 0);
  });

  test('settings: the project key must be one; issue type and transition default', () => {
    const parsed = jira.settings.parse({ JIRA_URL: 'https://example.atlassian.net', JIRA_EMAIL, JIRA_API_TOKEN: 't', JIRA_PROJECT_KEY: 'SEC' });
    assert.deepEqual([parsed.JIRA_ISSUE_TYPE, parsed.JIRA_CLOSE_TRANSITION], ['Task', 'Done']);
    assert.equal(jira.settings.safeParse({ ...parsed, JIRA_PROJECT_KEY: 'SEC" OR project is not EMPTY' }).success, false);
  });
});

// ---- What both adapters share: the vendor's failures become Temporal failures, with no credential in them ----

const adapters = [
  {
    name: 'thehive',
    fake: () => { const f = fakeTheHive(); return (req: Req) => f.route(req); },
    make: (url: string, secret: string) => theHive.create(theHive.settings.parse({ THEHIVE_URL: url, THEHIVE_API_KEY: secret })),
    secret: HIVE_KEY,
  },
  {
    name: 'jira',
    fake: () => { const f = fakeJira(); return (req: Req) => f.route(req, ''); },
    make: (url: string, secret: string) => jira.create(jira.settings.parse({ JIRA_URL: url, JIRA_EMAIL, JIRA_API_TOKEN: secret, JIRA_PROJECT_KEY: 'SEC' })),
    secret: JIRA_TOKEN,
  },
];

for (const adapter of adapters) {
  describe(`${adapter.name} failures`, () => {
    let srv: FakeServer;
    before(async () => { srv = await startFakeServer(adapter.fake()); });
    after(() => srv.close());
    const system = () => adapter.make(srv.url, adapter.secret);

    test('a wrong credential gets 401: final, and the credential is not in the error', async () => {
      const err = await finalFailure(adapter.make(srv.url, `${adapter.secret}-wrong`).open(phishingTicket()));
      assert.match(err.message, new RegExp(`^${adapter.name} answered 401 to POST`));
    });

    test('429 with Retry-After is retryable after that delay', async () => {
      srv.force({ status: 429, headers: { 'retry-after': '7' }, body: { message: `slow down ${adapter.secret}` } });
      await retryableFailure(system().open(phishingTicket()), '7s');
    });

    test('500 is retryable, also when it comes on the close', async () => {
      srv.force({ status: 500, body: { message: 'boom' } });
      await retryableFailure(system().closeAsFalsePositive(INCIDENT, 'benign'));
    });
  });
}
