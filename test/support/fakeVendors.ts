/**
 * Loopback stand-ins for the vendor APIs response actions reach: Okta, TheHive 5, an HTTP asset tracker, CrowdStrike
 * Falcon, Microsoft Defender for Endpoint, and an SMTP server. The adapter tests (test/integration/) check each
 * adapter against them call by call; the end-to-end tests (test/e2e/) run whole playbooks against them. Each fake
 * keeps every request, and its state (users, alerts, devices, tags), so a test can say what the vendor saw.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface FakeRequest {
  method: string;
  /** The path without the query. */
  path: string;
  query: URLSearchParams;
  /** The query as sent, `?` included: Defender's `$filter` is read literally. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined. */
  json: any;
}

export interface FakeReply {
  status: number;
  headers?: Record<string, string>;
  /** Sent as JSON; absent: an empty body. */
  body?: unknown;
}

/**
 * A real HTTP server on loopback playing a vendor API through `route`. Failures can be put in front of it: `force`
 * queues answers for the next requests, `once` answers the next request on one path, `failWith` decides for every
 * request (undefined lets the route answer).
 */
export async function startFakeServer(route: (req: FakeRequest) => FakeReply) {
  const requests: FakeRequest[] = [];
  const forced: FakeReply[] = [];
  const overrides: { path: string; reply: FakeReply }[] = [];
  let failure: ((req: FakeRequest) => FakeReply | undefined) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const body = Buffer.concat(chunks).toString('utf8');
      const request: FakeRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, rawQuery: url.search, headers: req.headers, body, json: parseJson(body) };
      requests.push(request);
      const i = overrides.findIndex((o) => o.path === request.path);
      const reply = forced.shift() ?? (i >= 0 ? overrides.splice(i, 1)[0]!.reply : undefined) ?? failure?.(request) ?? route(request);
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    /** `METHOD /path` of every request so far. */
    calls: () => requests.map((r) => `${r.method} ${r.path}`),
    to: (method: string, path: string | RegExp) => requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path))),
    force(...replies: FakeReply[]) { forced.push(...replies); },
    once(path: string, reply: FakeReply) { overrides.push({ path, reply }); },
    failWith(f: ((req: FakeRequest) => FakeReply | undefined) | undefined) { failure = f; },
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
export type FakeServer = Awaited<ReturnType<typeof startFakeServer>>;

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function bearer(req: FakeRequest): string | undefined {
  return /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
}

export function isForm(req: FakeRequest): boolean {
  return String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded');
}

export function isJson(req: FakeRequest): boolean {
  return String(req.headers['content-type']).startsWith('application/json');
}

// ---- Okta: Users API as documented (okta-management OpenAPI: getUser, suspendUser, unsuspendUser, revokeUserSessions)

export const OKTA_TOKEN = '00QCjAl4MlV-WPXM_okta_s3cr3t_0HmjFx';

export interface OktaUser { id: string; status: string; profile: { login: string } & Record<string, unknown> }

export const oktaError = (errorCode: string, errorSummary: string) => ({ errorCode, errorSummary, errorLink: errorCode, errorId: 'oaeTestErrorId0123456789', errorCauses: [] });

export function oktaUser(id: string, login: string, status: string): OktaUser & Record<string, unknown> {
  return {
    id, status,
    created: '2025-01-10T09:00:00.000Z', activated: '2025-01-10T09:00:00.000Z', statusChanged: '2025-01-10T09:00:00.000Z',
    lastLogin: '2026-11-30T08:12:00.000Z', lastUpdated: '2026-11-30T08:12:00.000Z', passwordChanged: '2025-01-10T09:00:00.000Z',
    type: { id: 'oty1abcdEFGHijklm0h7' },
    profile: { firstName: 'Alice', lastName: 'Soc', mobilePhone: null, secondEmail: null, login, email: login },
    credentials: { password: {}, provider: { type: 'OKTA', name: 'OKTA' } },
    _links: { self: { href: `https://acme.okta.com/api/v1/users/${id}` } },
  };
}

/** Okta's transitions: suspend only from ACTIVE, unsuspend only from SUSPENDED, else 400 E0000001. */
export function oktaRoute(users: OktaUser[], token = OKTA_TOKEN) {
  return (req: FakeRequest): FakeReply => {
    if (req.headers.authorization !== `SSWS ${token}`) return { status: 401, body: oktaError('E0000011', 'Invalid token provided') };
    const [, key = '', action = ''] = /^\/api\/v1\/users\/([^/]+)(\/.*)?$/.exec(req.path) ?? [];
    const user = users.find((u) => u.id === decodeURIComponent(key) || u.profile.login === decodeURIComponent(key));
    if (!user) return { status: 404, body: oktaError('E0000007', `Not found: Resource not found: ${decodeURIComponent(key)} (User)`) };
    const transition = (from: string, to: string): FakeReply => {
      if (user.status !== from) return { status: 400, body: oktaError('E0000001', 'Api validation failed: user status') };
      user.status = to;
      return { status: 200 };
    };
    switch (`${req.method} ${action}`) {
      case 'GET ': return { status: 200, body: user };
      case 'POST /lifecycle/suspend': return transition('ACTIVE', 'SUSPENDED');
      case 'POST /lifecycle/unsuspend': return transition('SUSPENDED', 'ACTIVE');
      case 'DELETE /sessions': return { status: 204 };
      default: return { status: 405, body: oktaError('E0000022', 'The endpoint does not support the provided HTTP method') };
    }
  };
}

/** An Okta org with these users (by login), all ACTIVE; `statusOf` and `writes` tell what Riposte changed. */
export async function startFakeOkta(logins: readonly string[], token = OKTA_TOKEN) {
  const users = logins.map((login) => oktaUser(`00u${randomBytes(8).toString('hex')}`, login, 'ACTIVE'));
  const server = await startFakeServer(oktaRoute(users, token));
  return {
    ...server,
    users,
    token,
    statusOf: (login: string) => users.find((u) => u.profile.login === login)?.status,
    /** Every request that changes a user, as `METHOD /lifecycle/...` with the login it was for. */
    writes: () => server.requests.filter((r) => r.method !== 'GET').map((r) => {
      const id = /^\/api\/v1\/users\/([^/]+)/.exec(r.path)?.[1];
      return `${users.find((u) => u.id === id)?.profile.login ?? id} ${r.method} ${r.path.replace(/^\/api\/v1\/users\/[^/]+/, '')}`;
    }),
  };
}

// ---- TheHive 5: the shapes of its OpenAPI document (InputCreateAlert, Query API, errors as {type, message}) ----

export const HIVE_KEY = 'hive-k3y-S3CR3T-0123456789';
const HIVE_DATA_TYPES = new Set(['ip', 'domain', 'url', 'mail', 'other', 'hostname', 'fqdn', 'hash', 'filename']);
const HIVE_CLOSING = new Set(['FalsePositive', 'TruePositive', 'Duplicated', 'Ignored', 'Other', 'Indeterminate']);
const hiveError = (status: number, type: string, message: string): FakeReply => ({ status, body: { type, message } });

/**
 * TheHive's alerts, cases and comments. `state.searchLag` makes the next searches miss (the index trails the
 * database); `state.failCreatesAfterStoring` makes the next alert creations store the alert and then answer 500, as a
 * server does when it dies between its commit and its answer.
 */
export function fakeTheHive(apiKey = HIVE_KEY) {
  const alerts = new Map<string, any>();
  const cases = new Map<string, any>();
  const comments: { on: string; message: string }[] = [];
  const state = { searchLag: 0, seq: 0, failCreatesAfterStoring: 0 };
  const nextId = () => `~${++state.seq * 4096}`;

  function checkAlert(a: any): string | undefined {
    for (const f of ['type', 'source', 'sourceRef', 'title']) if (typeof a?.[f] !== 'string' || a[f].length < 1) return `${f}: MissingAttribute`;
    if (typeof a.description !== 'string') return 'description: MissingAttribute';
    if (a.severity !== undefined && ![1, 2, 3, 4].includes(a.severity)) return 'severity: InvalidFormat';
    if (a.tlp !== undefined && ![0, 1, 2, 3, 4].includes(a.tlp)) return 'tlp: InvalidFormat';
    if (a.pap !== undefined && ![0, 1, 2, 3].includes(a.pap)) return 'pap: InvalidFormat';
    if (a.sourceRef.length > 128 || a.title.length > 512) return 'length: InvalidFormat';
    for (const o of a.observables ?? []) if (!HIVE_DATA_TYPES.has(o.dataType) || typeof o.data !== 'string' || !o.data) return 'observables: InvalidFormat';
    return undefined;
  }

  function query(q: any): FakeReply {
    const [list, filter] = Array.isArray(q) ? q : [];
    if (list?._name !== 'listAlert' || filter?._name !== 'filter') return hiveError(400, 'BadRequest', 'Invalid query');
    if (state.searchLag > 0) { state.searchLag--; return { status: 200, body: [] }; }
    const conditions: any[] = filter._and ?? [filter];
    const hits = [...alerts.values()].filter((a) => conditions.every((c) => a[c._eq?._field] === c._eq?._value));
    return { status: 200, body: hits };
  }

  function createAlert(a: any): FakeReply {
    const invalid = checkAlert(a);
    if (invalid) return hiveError(400, 'AttributeCheckingError', `[alert.${invalid}]`);
    if ([...alerts.values()].some((x) => x.type === a.type && x.source === a.source && x.sourceRef === a.sourceRef)) {
      return hiveError(400, 'CreateError', `Alert ${a.type}:${a.source}:${a.sourceRef} already exist in organisation SOC`);
    }
    const alert = { ...a, _id: nextId(), _type: 'Alert', status: 'New', stage: 'New', observableCount: a.observables?.length ?? 0 };
    alerts.set(alert._id, alert);
    if (state.failCreatesAfterStoring > 0) {
      state.failCreatesAfterStoring--;
      return hiveError(500, 'InternalError', 'connection to the database lost');
    }
    return { status: 201, body: alert };
  }

  function promote(alert: any): FakeReply {
    if (alert.caseId) return hiveError(400, 'BadRequest', 'The alert has already been imported');
    const created = { _id: nextId(), _type: 'Case', number: cases.size + 1, title: alert.title, status: 'New', stage: 'New' };
    cases.set(created._id, created);
    Object.assign(alert, { caseId: created._id, status: 'Imported', stage: 'Imported' });
    return { status: 201, body: created };
  }

  function update(entity: any, patch: any): FakeReply {
    if (patch.status !== undefined && !HIVE_CLOSING.has(patch.status)) return hiveError(400, 'BadRequest', 'Invalid status');
    Object.assign(entity, patch, HIVE_CLOSING.has(patch.status) ? { stage: 'Closed' } : {});
    return { status: 204 };
  }

  function route(req: FakeRequest): FakeReply {
    if (req.headers.authorization !== `Bearer ${apiKey}`) return hiveError(401, 'AuthenticationError', 'Authentication failure');
    const m = /^\/api\/v1\/(alert|case)(?:\/([^/]+))?(?:\/(comment|case))?$/.exec(req.path);
    if (req.method === 'POST' && req.path === '/api/v1/query') return query(req.json?.query);
    if (req.method === 'POST' && req.path === '/api/v1/alert') return createAlert(req.json);
    const entity = m?.[2] && (m[1] === 'alert' ? alerts : cases).get(decodeURIComponent(m[2]));
    if (!m || !entity) return hiveError(404, 'NotFoundError', `${m?.[1] ?? 'resource'} not found`);
    if (req.method === 'GET' && !m[3]) return { status: 200, body: entity };
    if (req.method === 'PATCH' && !m[3]) return update(entity, req.json);
    if (req.method === 'POST' && m[3] === 'case' && m[1] === 'alert') return promote(entity);
    if (req.method === 'POST' && m[3] === 'comment') {
      if (typeof req.json?.message !== 'string' || !req.json.message) return hiveError(400, 'AttributeCheckingError', '[comment.message: MissingAttribute]');
      comments.push({ on: entity._id, message: req.json.message });
      return { status: 201, body: { _id: nextId(), message: req.json.message } };
    }
    return hiveError(404, 'NotFoundError', 'no such route');
  }
  return { alerts, cases, comments, state, route };
}

/** TheHive on loopback: the model of fakeTheHive behind a server, and `alertPosts` to count creation attempts. */
export async function startFakeTheHive(apiKey = HIVE_KEY) {
  const hive = fakeTheHive(apiKey);
  const server = await startFakeServer((req) => hive.route(req));
  return { ...server, ...hive, apiKey, alertPosts: () => server.to('POST', '/api/v1/alert').length };
}

// ---- An HTTP asset tracker: Riposte's own contract (activities/hosts/httpAssetTracker.ts) under /inventory/ ----

export const ASSET_TOKEN = 'asset-t0ken-S3CRET';

/** Knows the `known` hosts; PUT and DELETE /inventory/assets/{host}/tags/{tag} with a JSON comment. */
export function assetTrackerRoute(known: readonly string[], token = ASSET_TOKEN) {
  const tags = new Map(known.map((host, i) => [host, { id: 1000 + i, tags: new Set<string>() }]));
  const route = (req: FakeRequest): FakeReply => {
    if (bearer(req) !== token) return { status: 401, body: { error: 'unauthorized', detail: `bad token ${req.headers.authorization}` } };
    const m = /^\/inventory\/assets\/([^/]+)\/tags\/([^/]+)$/.exec(req.path);
    const asset = m ? tags.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !asset) return { status: 404, body: { error: 'not_found' } };
    if (!isJson(req) || typeof req.json?.comment !== 'string') return { status: 400, body: { error: 'comment_required' } };
    const tag = decodeURIComponent(m[2]!);
    if (req.method === 'PUT') {
      const existed = asset.tags.has(tag);
      asset.tags.add(tag);
      return { status: existed ? 200 : 201, body: { id: asset.id } };
    }
    if (req.method === 'DELETE') return asset.tags.delete(tag) ? { status: 204 } : { status: 404, body: { error: 'not_tagged' } };
    return { status: 405 };
  };
  return { route, tagsOf: (host: string) => [...(tags.get(host)?.tags ?? [])] };
}

/** The asset tracker on loopback; its adapter's URL is `${url}/inventory/`. */
export async function startFakeAssetTracker(known: readonly string[], token = ASSET_TOKEN) {
  const tracker = assetTrackerRoute(known, token);
  const server = await startFakeServer(tracker.route);
  return { ...server, token, baseUrl: `${server.url}/inventory/`, tagsOf: tracker.tagsOf };
}

// ---- CrowdStrike Falcon ----------------------------------------------------------------------------------------
// Shapes from the Falcon OpenAPI spec as carried by falconpy (_endpoint/_hosts.py) and PSFalcon
// (Data/Endpoints/devices/PerformActionV2.psd1): token 201 {access_token, token_type, expires_in}; errors
// msa.ReplyMetaOnly {meta, errors: [{code, message}]}; queries {meta: {pagination}, resources: [ids]}; entities
// {resources: [{device_id, hostname, status}]}; actions 202 msa.ReplyAffectedEntities {resources: [{id, path}]}.

export const FALCON_ID = 'f41c0n-client-id';
export const FALCON_SECRET = 'f41c0n-S3CRET-value-9xq';

export function fakeFalcon(clientId = FALCON_ID, clientSecret = FALCON_SECRET) {
  const devices = new Map<string, { device_id: string; hostname: string; status: string }>();
  const valid = new Set<string>();
  let issued = 0;
  const reply = (resources: unknown[], errors: unknown[] = []) => ({ meta: { query_time: 0.01, trace_id: randomUUID() }, resources, errors });
  const refuse = (status: number, message: string): FakeReply => ({ status, body: reply([], [{ code: status, message }]) });

  function route(req: FakeRequest): FakeReply {
    if (req.method === 'POST' && req.path === '/oauth2/token') {
      const form = new URLSearchParams(req.body);
      if (!isForm(req)) return refuse(400, 'expected a form');
      // Falcon echoes nothing secret, but a proxy might: the adapter must not repeat a refusal's body.
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) return refuse(403, `access denied, authorization failed for ${form.get('client_secret')}`);
      const token = `falcon-token-${++issued}`;
      valid.add(token);
      return { status: 201, body: { access_token: token, token_type: 'bearer', expires_in: 1799 } };
    }
    if (!valid.has(bearer(req) ?? '')) return refuse(401, 'access denied, invalid bearer token');
    if (req.method === 'GET' && req.path === '/devices/queries/devices/v1') {
      const name = /^hostname:'([^'*]+)'$/.exec(req.query.get('filter') ?? '')?.[1];
      const limit = Number(req.query.get('limit') ?? 100);
      if (!name || !(limit >= 1 && limit <= 5000)) return refuse(400, 'Invalid filter');
      // A plain hostname filter matches loosely in Falcon: case-insensitive, and prefixes too.
      const ids = [...devices.values()].filter((d) => d.hostname.toLowerCase().startsWith(name.toLowerCase())).map((d) => d.device_id);
      return { status: 200, body: { ...reply(ids.slice(0, limit)), meta: { query_time: 0.01, pagination: { offset: 0, limit, total: ids.length } } } };
    }
    if (req.method === 'GET' && req.path === '/devices/entities/devices/v2') {
      const ids = req.query.getAll('ids');
      if (ids.length === 0 || ids.length > 100 || ids.some((id) => !/^[0-9a-f]{32}$/.test(id))) return refuse(400, 'Invalid ids');
      return { status: 200, body: reply(ids.flatMap((id) => { const d = devices.get(id); return d ? [{ ...d, platform_name: 'Windows', cid: 'c'.repeat(32) }] : []; })) };
    }
    if (req.method === 'POST' && req.path === '/devices/entities/devices-actions/v2') {
      const action = req.query.get('action_name');
      const ids = isJson(req) ? (req.json as { ids?: unknown } | undefined)?.ids : undefined;
      if (action !== 'contain' && action !== 'lift_containment') return refuse(400, 'invalid action_name');
      if (!Array.isArray(ids) || ids.length === 0 || !ids.every((id) => devices.has(id))) return refuse(400, 'invalid ids');
      for (const id of ids as string[]) devices.get(id)!.status = action === 'contain' ? 'containment_pending' : 'lift_containment_pending';
      return { status: 202, body: reply(ids.map((id) => ({ id, path: '' }))) };
    }
    return refuse(404, 'Not Found');
  }
  return {
    route,
    add(hostname: string, status = 'normal') {
      const id = randomBytes(16).toString('hex');
      devices.set(id, { device_id: id, hostname, status });
      return id;
    },
    status: (id: string) => devices.get(id)?.status,
    revokeTokens: () => valid.clear(),
    issued: () => issued,
  };
}

/** Falcon on loopback; `actions()` are the contain and lift_containment requests, as `action_name ids`. */
export async function startFakeCrowdStrike(clientId = FALCON_ID, clientSecret = FALCON_SECRET) {
  const falcon = fakeFalcon(clientId, clientSecret);
  const server = await startFakeServer(falcon.route);
  return {
    ...server,
    ...falcon,
    clientId,
    clientSecret,
    actions: () => server.to('POST', '/devices/entities/devices-actions/v2').map((r) => `${r.query.get('action_name')} ${(r.json?.ids ?? []).join(',')}`),
  };
}

// ---- Microsoft Defender for Endpoint ---------------------------------------------------------------------------
// Shapes from Microsoft's defender-docs (defender-endpoint/api/isolate-machine.md, unisolate-machine.md,
// get-machineactions-collection.md, machineaction.md, common-errors.md): machines and actions come as OData
// {value: [...]}; isolate/unisolate answer 201 with the MachineAction; errors are {error: {code, message, target}};
// body parameters are case-sensitive. A duplicate while one is pending is 400 ActiveRequestAlreadyExists "Action is
// already in progress" (MicrosoftDocs/microsoft-365-docs#5903; handled so by the TheHive Cortex responder).

export const MDE_TENANT = '5c824599-dc8c-4d31-96fb-3b886d4f8f10';
export const MDE_ID = 'mde-app-client-id';
export const MDE_SECRET = 'Mde~S3CRET~value~42';
export const MDE_SCOPE = 'https://api.securitycenter.microsoft.com/.default';

export interface MdeAction { id: string; type: string; status: string; machineId: string; computerDnsName: string; creationDateTimeUtc: string; requestorComment: string; scope: string | null }

export function fakeDefender({ tenant = MDE_TENANT, clientId = MDE_ID, clientSecret = MDE_SECRET } = {}) {
  const machines: { id: string; computerDnsName: string; osPlatform: string; healthStatus: string }[] = [];
  const actions: MdeAction[] = [];
  const valid = new Set<string>();
  let clock = Date.UTC(2026, 0, 1);
  const error = (status: number, code: string, message: string): FakeReply => ({ status, body: { error: { code, message, target: randomUUID() } } });
  const list = (entity: string, value: unknown[]): FakeReply => ({ status: 200, body: { '@odata.context': `https://api.securitycenter.microsoft.com/api/$metadata#${entity}`, value } });
  // The filter as Defender reads it: `$filter` literally, its value percent-decoded.
  const filterOf = (req: FakeRequest) => (req.rawQuery.startsWith('?$filter=') ? decodeURIComponent(req.rawQuery.slice('?$filter='.length)) : undefined);

  function record(machine: { id: string; computerDnsName: string }, type: string, status: string, comment = '', scope: string | null = null): MdeAction {
    clock += 1000;
    const action = { id: randomUUID(), type, status, machineId: machine.id, computerDnsName: machine.computerDnsName, creationDateTimeUtc: new Date(clock).toISOString(), requestorComment: comment, scope };
    actions.push(action);
    return action;
  }

  function route(req: FakeRequest): FakeReply {
    if (req.method === 'POST' && req.path === `/${tenant}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(req.body);
      if (!isForm(req) || form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
      if (form.get('scope') !== MDE_SCOPE) return { status: 400, body: { error: 'invalid_scope' } };
      if (form.get('client_id') !== clientId || form.get('client_secret') !== clientSecret) {
        return { status: 401, body: { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${form.get('client_secret')}`, error_codes: [7000215] } };
      }
      const token = `mde-token-${randomUUID()}`;
      valid.add(token);
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
    }
    if (!valid.has(bearer(req) ?? '')) return error(401, 'Unauthorized', 'Unauthorized');
    if (req.method === 'GET' && req.path === '/api/machines') {
      const name = /^computerDnsName eq '((?:[^']|'')*)'$/.exec(filterOf(req) ?? '')?.[1];
      if (name === undefined) return error(400, 'ODataError', 'Invalid OData query');
      return list('Machines', machines.filter((m) => m.computerDnsName === name.replaceAll("''", "'")));
    }
    if (req.method === 'GET' && req.path === '/api/machineactions') {
      const id = /^machineId eq '([0-9a-f]{40})' and \(type eq 'Isolate' or type eq 'Unisolate'\)$/.exec(filterOf(req) ?? '')?.[1];
      if (!id) return error(400, 'ODataError', 'Invalid OData query');
      return list('MachineActions', actions.filter((a) => a.machineId === id && (a.type === 'Isolate' || a.type === 'Unisolate')));
    }
    const post = /^\/api\/machines\/([^/]+)\/(isolate|unisolate)$/.exec(req.path);
    if (req.method === 'POST' && post) {
      const machine = machines.find((m) => m.id === post[1]);
      if (!machine) return error(404, 'ResourceNotFound', `Machine ${post[1]} was not found`);
      const body = isJson(req) ? (req.json as Record<string, unknown>) : {};
      if (typeof body.Comment !== 'string' || !body.Comment) return error(400, 'MissingRequiredParameter', 'Parameter Comment is missing');
      const isolate = post[2] === 'isolate';
      if (isolate && !['Full', 'Selective', 'UnManagedDevice'].includes(String(body.IsolationType))) return error(400, 'InvalidRequestBody', 'Request body is incorrect');
      if (machine.osPlatform === 'iOS') return error(400, 'OsPlatformNotSupported', 'OS Platform iOS is not supported for this action');
      if (actions.some((a) => a.machineId === machine.id && a.status === 'Pending')) return error(400, 'ActiveRequestAlreadyExists', 'Action is already in progress');
      return { status: 201, body: record(machine, isolate ? 'Isolate' : 'Unisolate', 'Pending', body.Comment, isolate ? String(body.IsolationType) : null) };
    }
    return error(404, 'NotFound', 'Not found');
  }
  return {
    route,
    actions,
    add(computerDnsName: string, osPlatform = 'Windows11') {
      const machine = { id: randomBytes(20).toString('hex'), computerDnsName, osPlatform, healthStatus: 'Active' };
      machines.push(machine);
      return machine;
    },
    record,
    settle() { for (const a of actions) if (a.status === 'Pending') a.status = 'Succeeded'; },
  };
}

/** Defender on loopback: the adapter's API and authority URLs are both `url`. */
export async function startFakeDefender(options: { tenant?: string; clientId?: string; clientSecret?: string } = {}) {
  const mde = fakeDefender(options);
  const server = await startFakeServer(mde.route);
  return { ...server, ...mde, tenant: options.tenant ?? MDE_TENANT, clientId: options.clientId ?? MDE_ID, clientSecret: options.clientSecret ?? MDE_SECRET };
}

// ---- SMTP ------------------------------------------------------------------------------------------------------

export interface Delivery { from: string; rcpt: string[]; raw: string }

/** A real SMTP server on loopback; `refuse` may refuse a recipient or the message with a reply code. */
export async function startFakeSmtp(options: Partial<SMTPServerOptions> = {}) {
  const deliveries: Delivery[] = [];
  const sessions: string[] = [];
  let refuseRcpt: (address: string) => number | undefined = () => undefined;
  let refuseData: number | undefined;
  const reject = (code: number, message: string) => Object.assign(new Error(message), { responseCode: code });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onConnect(session, callback) { sessions.push(session.id); callback(); },
    onRcptTo(address, _session, callback) {
      const code = refuseRcpt(address.address);
      callback(code ? reject(code, code >= 500 ? '5.1.1 Mailbox unavailable' : '4.2.1 Try again later') : undefined);
    },
    onData(stream, session, callback) {
      let raw = '';
      stream.setEncoding('utf8').on('data', (chunk: string) => { raw += chunk; }).on('end', () => {
        if (refuseData) return callback(reject(refuseData, '4.3.0 Local error in processing'));
        deliveries.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', rcpt: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
    ...options,
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const port = (server.server.address() as AddressInfo).port;
  return {
    port,
    url: `smtp://127.0.0.1:${port}`,
    deliveries,
    sessions,
    refuse(rcpt: (address: string) => number | undefined, data?: number) { refuseRcpt = rcpt; refuseData = data; deliveries.length = 0; sessions.length = 0; },
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
