import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { crowdstrikeContainment, crowdstrikeSettings } from '../../activities/hosts/crowdstrikeContainment.ts';
import { defenderContainment, defenderSettings } from '../../activities/hosts/defenderContainment.ts';
import { httpAssetTracker, httpAssetTrackerSettings } from '../../activities/hosts/httpAssetTracker.ts';
import { assetTrackers, hostContainments } from '../../activities/hosts/index.ts';
import { VENDOR_REJECTED, VENDOR_UNAVAILABLE } from '../../activities/vendorHttp.ts';

interface Call { method: string; path: string; query: URLSearchParams; rawQuery: string; headers: IncomingHttpHeaders; body: string }
interface Answer { status: number; body?: unknown; headers?: Record<string, string> }

/** A real HTTP server on loopback playing a vendor's API; `once` replaces the next answer on one path. */
async function startVendor(route: (call: Call) => Answer) {
  const calls: Call[] = [];
  const overrides: { path: string; answer: Answer }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://vendor');
      const call = { method: req.method ?? '', path: url.pathname, query: url.searchParams, rawQuery: url.search, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      calls.push(call);
      const i = overrides.findIndex((o) => o.path === call.path);
      const answer = i >= 0 ? overrides.splice(i, 1)[0]!.answer : route(call);
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    once(path: string, answer: Answer) { overrides.push({ path, answer }); },
    to: (method: string, path: string | RegExp) => calls.filter((c) => c.method === method && (typeof path === 'string' ? c.path === path : path.test(c.path))),
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

function bearer(call: Call): string | undefined {
  return /^Bearer (.+)$/.exec(call.headers.authorization ?? '')?.[1];
}

function isForm(call: Call): boolean {
  return String(call.headers['content-type']).startsWith('application/x-www-form-urlencoded');
}

function isJson(call: Call): boolean {
  return String(call.headers['content-type']).startsWith('application/json');
}

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a failure');
}

function assertFinal(err: ApplicationFailure, message: RegExp) {
  assert.equal(err.type, VENDOR_REJECTED);
  assert.equal(err.nonRetryable, true);
  assert.match(err.message, message);
}

function assertRetryable(err: ApplicationFailure, message: RegExp, delay?: string) {
  assert.equal(err.type, VENDOR_UNAVAILABLE);
  assert.ok(!err.nonRetryable);
  assert.equal(err.nextRetryDelay, delay);
  assert.match(err.message, message);
}

function assertNoSecret(err: Error, ...secrets: string[]) {
  const all = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}\n${String((err as { cause?: unknown }).cause ?? '')}`;
  for (const s of secrets) assert.ok(!all.includes(s), `error leaks ${s}: ${err.message}`);
}

// --- CrowdStrike Falcon -------------------------------------------------------------------------------------------
// Shapes from the Falcon OpenAPI spec as carried by falconpy (_endpoint/_hosts.py) and PSFalcon
// (Data/Endpoints/devices/PerformActionV2.psd1): token 201 {access_token, token_type, expires_in}; errors
// msa.ReplyMetaOnly {meta, errors: [{code, message}]}; queries {meta: {pagination}, resources: [ids]}; entities
// {resources: [{device_id, hostname, status}]}; actions 202 msa.ReplyAffectedEntities {resources: [{id, path}]}.

const FALCON_ID = 'f41c0n-client-id';
const FALCON_SECRET = 'f41c0n-S3CRET-value-9xq';

function falconApi() {
  const devices = new Map<string, { device_id: string; hostname: string; status: string }>();
  const valid = new Set<string>();
  let issued = 0;
  const reply = (resources: unknown[], errors: unknown[] = []) => ({ meta: { query_time: 0.01, trace_id: randomUUID() }, resources, errors });
  const refuse = (status: number, message: string): Answer => ({ status, body: reply([], [{ code: status, message }]) });

  function route(call: Call): Answer {
    if (call.method === 'POST' && call.path === '/oauth2/token') {
      const form = new URLSearchParams(call.body);
      if (!isForm(call)) return refuse(400, 'expected a form');
      // Falcon echoes nothing secret, but a proxy might: the adapter must not repeat a refusal's body.
      if (form.get('client_id') !== FALCON_ID || form.get('client_secret') !== FALCON_SECRET) return refuse(403, `access denied, authorization failed for ${form.get('client_secret')}`);
      const token = `falcon-token-${++issued}`;
      valid.add(token);
      return { status: 201, body: { access_token: token, token_type: 'bearer', expires_in: 1799 } };
    }
    if (!valid.has(bearer(call) ?? '')) return refuse(401, 'access denied, invalid bearer token');
    if (call.method === 'GET' && call.path === '/devices/queries/devices/v1') {
      const name = /^hostname:'([^'*]+)'$/.exec(call.query.get('filter') ?? '')?.[1];
      const limit = Number(call.query.get('limit') ?? 100);
      if (!name || !(limit >= 1 && limit <= 5000)) return refuse(400, 'Invalid filter');
      // A plain hostname filter matches loosely in Falcon: case-insensitive, and prefixes too.
      const ids = [...devices.values()].filter((d) => d.hostname.toLowerCase().startsWith(name.toLowerCase())).map((d) => d.device_id);
      return { status: 200, body: { ...reply(ids.slice(0, limit)), meta: { query_time: 0.01, pagination: { offset: 0, limit, total: ids.length } } } };
    }
    if (call.method === 'GET' && call.path === '/devices/entities/devices/v2') {
      const ids = call.query.getAll('ids');
      if (ids.length === 0 || ids.length > 100 || ids.some((id) => !/^[0-9a-f]{32}$/.test(id))) return refuse(400, 'Invalid ids');
      return { status: 200, body: reply(ids.flatMap((id) => { const d = devices.get(id); return d ? [{ ...d, platform_name: 'Windows', cid: 'c'.repeat(32) }] : []; })) };
    }
    if (call.method === 'POST' && call.path === '/devices/entities/devices-actions/v2') {
      const action = call.query.get('action_name');
      const ids = isJson(call) ? (JSON.parse(call.body) as { ids?: unknown }).ids : undefined;
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

describe('crowdstrike containment', () => {
  let falcon: ReturnType<typeof falconApi>;
  let srv: Awaited<ReturnType<typeof startVendor>>;
  before(async () => { falcon = falconApi(); srv = await startVendor((call) => falcon.route(call)); });
  after(() => srv.close());
  const edr = (secret = FALCON_SECRET) => crowdstrikeContainment.create(crowdstrikeSettings.parse({ FALCON_BASE_URL: srv.base, FALCON_CLIENT_ID: FALCON_ID, FALCON_CLIENT_SECRET: secret }));
  const actions = () => srv.to('POST', '/devices/entities/devices-actions/v2');

  test('contains the one device whose name matches exactly, with a form-encoded token reused for later calls', async () => {
    const web1 = falcon.add('WEB1');
    const web10 = falcon.add('web10');
    const adapter = edr();
    srv.calls.length = 0;

    const result = await adapter.isolate('web1', 'brute force from web1');
    assert.equal(result.ref, web1);
    assert.match(result.detail, /requested containment of web1/);
    const [token] = srv.to('POST', '/oauth2/token');
    assert.ok(token && isForm(token));
    assert.deepEqual(Object.fromEntries(new URLSearchParams(token.body)), { client_id: FALCON_ID, client_secret: FALCON_SECRET });
    assert.equal(srv.to('GET', '/devices/queries/devices/v1')[0]?.query.get('filter'), "hostname:'web1'");
    const [contain] = actions();
    assert.equal(contain?.query.get('action_name'), 'contain');
    assert.deepEqual(JSON.parse(contain!.body), { ids: [web1] });
    assert.equal(falcon.status(web1), 'containment_pending');
    assert.equal(falcon.status(web10), 'normal', 'the prefix match is left alone');

    await adapter.isolate('web10', 'second host');
    assert.equal(srv.to('POST', '/oauth2/token').length, 1, 'the cached token is reused');
  });

  test('is idempotent: a pending or contained host is not contained again, a normal one not released', async () => {
    falcon.add('db1');
    const adapter = edr();
    srv.calls.length = 0;
    await adapter.isolate('db1', 'first');
    const again = await adapter.isolate('db1', 'second');
    assert.match(again.detail, /already containment_pending/);
    assert.equal(actions().length, 1);

    const contained = falcon.add('db2', 'contained');
    assert.equal((await adapter.isolate('db2', 'x')).ref, contained);
    const normal = falcon.add('db3');
    assert.match((await adapter.release('db3', 'x')).detail, /already normal/);
    assert.equal(actions().length, 1);

    await adapter.release('db2', 'false positive');
    assert.equal(actions()[1]?.query.get('action_name'), 'lift_containment');
    assert.equal(falcon.status(contained), 'lift_containment_pending');
    assert.equal(falcon.status(normal), 'normal');
  });

  test('an unknown host, or a name several devices share, is refused for good and nothing is contained', async () => {
    falcon.add('twin');
    falcon.add('TWIN');
    const adapter = edr();
    srv.calls.length = 0;
    assertFinal(await failure(adapter.isolate('ghost', 'x')), /knows no device named ghost/);
    assertFinal(await failure(adapter.isolate('twin', 'x')), /2 devices named twin; refusing/);
    assert.equal(actions().length, 0);
  });

  test('a name that would change the FQL filter is refused before any call', async () => {
    srv.calls.length = 0;
    assertFinal(await failure(edr().isolate("x',hostname:'*", 'x')), /not a host name/);
    assert.equal(srv.calls.length, 0);
  });

  test("429 is retried after the vendor's Retry-After, 500 is retried", async () => {
    falcon.add('app1');
    const adapter = edr();
    srv.once('/devices/entities/devices-actions/v2', { status: 429, headers: { 'retry-after': '7' }, body: { meta: {}, errors: [{ code: 429, message: 'API rate limit exceeded.' }] } });
    assertRetryable(await failure(adapter.isolate('app1', 'x')), /^crowdstrike answered 429 to POST.*retry after 7s/, '7s');
    srv.once('/devices/queries/devices/v1', { status: 500 });
    assertRetryable(await failure(adapter.isolate('app1', 'x')), /^crowdstrike answered 500 to GET/);
    srv.once('/oauth2/token', { status: 503, headers: { 'retry-after': '2' } });
    assertRetryable(await failure(edr().isolate('app1', 'x')), /^crowdstrike answered 503 to the token request \(retry after 2s\)/, '2s');
  });

  test('a revoked token is replaced once; refused credentials are final and the secret stays out', async () => {
    const ops = falcon.add('ops1');
    const adapter = edr();
    await adapter.release('ops1', 'x');
    const before = falcon.issued();
    falcon.revokeTokens();
    assert.equal((await adapter.isolate('ops1', 'x')).ref, ops);
    assert.equal(falcon.issued(), before + 1);

    const wrong = 'wr0ng-S3CRET-echoed';
    const err = await failure(edr(wrong).isolate('ops1', 'x'));
    assertFinal(err, /^crowdstrike answered 403 to the token request$/);
    assertNoSecret(err, wrong, FALCON_SECRET);
  });
});

// --- Microsoft Defender for Endpoint ------------------------------------------------------------------------------
// Shapes from Microsoft's defender-docs (defender-endpoint/api/isolate-machine.md, unisolate-machine.md,
// get-machineactions-collection.md, machineaction.md, common-errors.md): machines and actions come as OData
// {value: [...]}; isolate/unisolate answer 201 with the MachineAction; errors are {error: {code, message, target}};
// body parameters are case-sensitive. A duplicate while one is pending is 400 ActiveRequestAlreadyExists "Action is
// already in progress" (MicrosoftDocs/microsoft-365-docs#5903; handled so by the TheHive Cortex responder).

const TENANT = '5c824599-dc8c-4d31-96fb-3b886d4f8f10';
const MDE_ID = 'mde-app-client-id';
const MDE_SECRET = 'Mde~S3CRET~value~42';
const MDE_SCOPE = 'https://api.securitycenter.microsoft.com/.default';

interface MdeAction { id: string; type: string; status: string; machineId: string; computerDnsName: string; creationDateTimeUtc: string; requestorComment: string; scope: string | null }

function defenderApi() {
  const machines: { id: string; computerDnsName: string; osPlatform: string; healthStatus: string }[] = [];
  const actions: MdeAction[] = [];
  const valid = new Set<string>();
  let clock = Date.UTC(2026, 0, 1);
  const error = (status: number, code: string, message: string): Answer => ({ status, body: { error: { code, message, target: randomUUID() } } });
  const list = (entity: string, value: unknown[]): Answer => ({ status: 200, body: { '@odata.context': `https://api.securitycenter.microsoft.com/api/$metadata#${entity}`, value } });
  // The filter as Defender reads it: `$filter` literally, its value percent-decoded.
  const filterOf = (call: Call) => (call.rawQuery.startsWith('?$filter=') ? decodeURIComponent(call.rawQuery.slice('?$filter='.length)) : undefined);

  function record(machine: { id: string; computerDnsName: string }, type: string, status: string, comment = '', scope: string | null = null): MdeAction {
    clock += 1000;
    const action = { id: randomUUID(), type, status, machineId: machine.id, computerDnsName: machine.computerDnsName, creationDateTimeUtc: new Date(clock).toISOString(), requestorComment: comment, scope };
    actions.push(action);
    return action;
  }

  function route(call: Call): Answer {
    if (call.method === 'POST' && call.path === `/${TENANT}/oauth2/v2.0/token`) {
      const form = new URLSearchParams(call.body);
      if (!isForm(call) || form.get('grant_type') !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type' } };
      if (form.get('scope') !== MDE_SCOPE) return { status: 400, body: { error: 'invalid_scope' } };
      if (form.get('client_id') !== MDE_ID || form.get('client_secret') !== MDE_SECRET) {
        return { status: 401, body: { error: 'invalid_client', error_description: `AADSTS7000215: Invalid client secret provided: ${form.get('client_secret')}`, error_codes: [7000215] } };
      }
      const token = `mde-token-${randomUUID()}`;
      valid.add(token);
      return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: token } };
    }
    if (!valid.has(bearer(call) ?? '')) return error(401, 'Unauthorized', 'Unauthorized');
    if (call.method === 'GET' && call.path === '/api/machines') {
      const name = /^computerDnsName eq '((?:[^']|'')*)'$/.exec(filterOf(call) ?? '')?.[1];
      if (name === undefined) return error(400, 'ODataError', 'Invalid OData query');
      return list('Machines', machines.filter((m) => m.computerDnsName === name.replaceAll("''", "'")));
    }
    if (call.method === 'GET' && call.path === '/api/machineactions') {
      const id = /^machineId eq '([0-9a-f]{40})' and \(type eq 'Isolate' or type eq 'Unisolate'\)$/.exec(filterOf(call) ?? '')?.[1];
      if (!id) return error(400, 'ODataError', 'Invalid OData query');
      return list('MachineActions', actions.filter((a) => a.machineId === id && (a.type === 'Isolate' || a.type === 'Unisolate')));
    }
    const post = /^\/api\/machines\/([^/]+)\/(isolate|unisolate)$/.exec(call.path);
    if (call.method === 'POST' && post) {
      const machine = machines.find((m) => m.id === post[1]);
      if (!machine) return error(404, 'ResourceNotFound', `Machine ${post[1]} was not found`);
      const body = isJson(call) ? (JSON.parse(call.body) as Record<string, unknown>) : {};
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
    add(computerDnsName: string, osPlatform = 'Windows11') {
      const machine = { id: randomBytes(20).toString('hex'), computerDnsName, osPlatform, healthStatus: 'Active' };
      machines.push(machine);
      return machine;
    },
    record,
    settle() { for (const a of actions) if (a.status === 'Pending') a.status = 'Succeeded'; },
  };
}

describe('defender containment', () => {
  let mde: ReturnType<typeof defenderApi>;
  let srv: Awaited<ReturnType<typeof startVendor>>;
  before(async () => { mde = defenderApi(); srv = await startVendor((call) => mde.route(call)); });
  after(() => srv.close());
  const edr = (secret = MDE_SECRET) => defenderContainment.create(defenderSettings.parse({
    DEFENDER_TENANT_ID: TENANT, DEFENDER_CLIENT_ID: MDE_ID, DEFENDER_CLIENT_SECRET: secret, DEFENDER_API_URL: srv.base, DEFENDER_AUTHORITY_URL: srv.base,
  }));
  const posts = (verb: string) => srv.to('POST', new RegExp(`^/api/machines/[0-9a-f]{40}/${verb}$`));

  test('isolates the machine found by computerDnsName, fully, with the comment', async () => {
    const machine = mde.add('desktop-39g9tgl.contoso.com');
    srv.calls.length = 0;
    const result = await edr().isolate('desktop-39g9tgl.contoso.com', 'brute force, incident 7');
    assert.equal(result.ref, machine.id);
    assert.match(result.detail, /requested isolate of desktop-39g9tgl\.contoso\.com .*Pending/);

    const [token] = srv.to('POST', `/${TENANT}/oauth2/v2.0/token`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(token!.body)), { grant_type: 'client_credentials', client_id: MDE_ID, client_secret: MDE_SECRET, scope: MDE_SCOPE });
    const [post] = posts('isolate');
    assert.equal(post?.path, `/api/machines/${machine.id}/isolate`);
    assert.deepEqual(JSON.parse(post!.body), { Comment: 'brute force, incident 7', IsolationType: 'Full' });
  });

  test('is idempotent: pending or done isolation is not asked again; release sends only the comment', async () => {
    const machine = mde.add('ws-17');
    const adapter = edr();
    srv.calls.length = 0;
    assert.match((await adapter.release('ws-17', 'x')).detail, /already released .*never isolated/);
    await adapter.isolate('ws-17', 'first');
    assert.match((await adapter.isolate('ws-17', 'while pending')).detail, /already isolated .*Pending/);
    mde.settle();
    assert.match((await adapter.isolate('ws-17', 'after success')).detail, /already isolated .*Succeeded/);
    assert.equal(posts('isolate').length, 1);

    await adapter.release('ws-17', 'false positive');
    assert.deepEqual(JSON.parse(posts('unisolate')[0]!.body), { Comment: 'false positive' });
    mde.settle();
    // A failed isolation changed nothing: the machine is still released.
    mde.record(machine, 'Isolate', 'Failed');
    assert.match((await adapter.release('ws-17', 'x')).detail, /already released .*Succeeded/);
    assert.equal(posts('unisolate').length, 1);
  });

  test('ActiveRequestAlreadyExists is success when the pending action is the wanted one, retryable when opposite', async () => {
    const raced = mde.add('ws-raced');
    mde.record(raced, 'Isolate', 'Pending');
    const adapter = edr();
    // The first read misses the pending action, as it would when another worker posted it a moment before.
    srv.once('/api/machineactions', { status: 200, body: { value: [] } });
    assert.match((await adapter.isolate('ws-raced', 'x')).detail, /already isolated .*Pending/);

    const releasing = mde.add('ws-releasing');
    mde.record(releasing, 'Isolate', 'Succeeded');
    mde.record(releasing, 'Unisolate', 'Pending');
    assertRetryable(await failure(adapter.isolate('ws-releasing', 'x')), /opposite isolation action is still pending on ws-releasing \(ActiveRequestAlreadyExists\)/);
  });

  test('unknown, ambiguous or unsupported machines are refused for good', async () => {
    mde.add('dup-host');
    mde.add('dup-host');
    mde.add('phone-1', 'iOS');
    const adapter = edr();
    srv.calls.length = 0;
    assertFinal(await failure(adapter.isolate('nobody', 'x')), /knows no device named nobody/);
    assertFinal(await failure(adapter.isolate('dup-host', 'x')), /2 devices named dup-host; refusing/);
    assert.equal(posts('isolate').length, 0);
    const err = await failure(adapter.isolate('phone-1', 'x'));
    assertFinal(err, /^defender answered 400 to POST \(OsPlatformNotSupported\)$/);
  });

  test('429 is retried after Retry-After, 5xx is retried; refused credentials are final and the secret stays out', async () => {
    const machine = mde.add('srv-9');
    const adapter = edr();
    srv.once('/api/machines', { status: 429, headers: { 'retry-after': '30' }, body: { error: { code: 'TooManyRequests', message: 'quota' } } });
    assertRetryable(await failure(adapter.isolate('srv-9', 'x')), /^defender answered 429 to GET \(TooManyRequests\) \(retry after 30s\)$/, '30s');
    srv.once(`/api/machines/${machine.id}/isolate`, { status: 500, body: { error: { code: 'InternalServerError' } } });
    assertRetryable(await failure(adapter.isolate('srv-9', 'x')), /^defender answered 500 to POST/);

    const wrong = 'Wr0ng~S3CRET~echoed';
    const err = await failure(edr(wrong).isolate('srv-9', 'x'));
    assertFinal(err, /^defender answered 401 to the token request \(invalid_client\)$/);
    assertNoSecret(err, wrong, MDE_SECRET, 'AADSTS');
  });
});

// --- HTTP asset tracker --------------------------------------------------------------------------------------------

const ASSET_TOKEN = 'asset-t0ken-S3CRET';

function assetApi(known: string[]) {
  const tags = new Map(known.map((host, i) => [host, { id: 1000 + i, tags: new Set<string>() }]));
  return (call: Call): Answer => {
    if (bearer(call) !== ASSET_TOKEN) return { status: 401, body: { error: 'unauthorized', detail: `bad token ${call.headers.authorization}` } };
    const m = /^\/inventory\/assets\/([^/]+)\/tags\/([^/]+)$/.exec(call.path);
    const asset = m ? tags.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || !asset) return { status: 404, body: { error: 'not_found' } };
    if (!isJson(call) || typeof (JSON.parse(call.body) as { comment?: unknown }).comment !== 'string') return { status: 400, body: { error: 'comment_required' } };
    const tag = decodeURIComponent(m[2]!);
    if (call.method === 'PUT') {
      const existed = asset.tags.has(tag);
      asset.tags.add(tag);
      return { status: existed ? 200 : 201, body: { id: asset.id } };
    }
    if (call.method === 'DELETE') return asset.tags.delete(tag) ? { status: 204 } : { status: 404, body: { error: 'not_tagged' } };
    return { status: 405 };
  };
}

describe('http asset tracker', () => {
  let srv: Awaited<ReturnType<typeof startVendor>>;
  before(async () => { srv = await startVendor(assetApi(['web1', 'db1'])); });
  after(() => srv.close());
  const tracker = (token = ASSET_TOKEN) => httpAssetTracker.create(httpAssetTrackerSettings.parse({ RIPOSTE_ASSET_URL: `${srv.base}/inventory/`, RIPOSTE_ASSET_TOKEN: token }));

  test('tags and untags under the base path with the bearer token and the comment; both ways idempotent', async () => {
    srv.calls.length = 0;
    const tagged = await tracker().tag('web1', 'riposte:risky', 'brute force source');
    assert.deepEqual(tagged, { detail: 'tagged web1 riposte:risky in the asset tracker', ref: '1000' });
    const [put] = srv.calls;
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.path, '/inventory/assets/web1/tags/riposte%3Arisky');
    assert.equal(put?.headers.authorization, `Bearer ${ASSET_TOKEN}`);
    assert.deepEqual(JSON.parse(put!.body), { comment: 'brute force source' });

    assert.equal((await tracker().tag('web1', 'riposte:risky', 'again')).ref, '1000');
    assert.match((await tracker().untag('web1', 'riposte:risky', 'false positive')).detail, /^removed tag riposte:risky from web1/);
    assert.match((await tracker().untag('web1', 'riposte:risky', 'again')).detail, /^web1 was not tagged riposte:risky/);
    assert.deepEqual(srv.calls.map((c) => c.method), ['PUT', 'PUT', 'DELETE', 'DELETE']);
  });

  test('an unknown host and a refused token are final, the token never shown; 429 and 500 are retried', async () => {
    assertFinal(await failure(tracker().tag('ghost', 'riposte:risky', 'x')), /^asset tracker answered 404 to PUT \(not_found\)$/);
    const wrong = 'wr0ng-asset-T0KEN';
    const err = await failure(tracker(wrong).tag('db1', 'riposte:risky', 'x'));
    assertFinal(err, /^asset tracker answered 401 to PUT \(unauthorized\)$/);
    assertNoSecret(err, wrong, ASSET_TOKEN);

    srv.once('/inventory/assets/db1/tags/riposte%3Arisky', { status: 429, headers: { 'retry-after': '12' } });
    assertRetryable(await failure(tracker().tag('db1', 'riposte:risky', 'x')), /429/, '12s');
    srv.once('/inventory/assets/db1/tags/riposte%3Arisky', { status: 500 });
    assertRetryable(await failure(tracker().untag('db1', 'riposte:risky', 'x')), /^asset tracker answered 500 to DELETE$/);
  });

  test('a host or tag that would leave its path segment is refused before any call', async () => {
    srv.calls.length = 0;
    assertFinal(await failure(tracker().tag('..', 'riposte:risky', 'x')), /not a host name/);
    assertFinal(await failure(tracker().tag('web1', '../../admin', 'x')), /not a tag/);
    assert.equal(srv.calls.length, 0);
  });
});

describe('host adapter definitions', () => {
  test('registries list each adapter once; required variables are settings; secrets are marked; defaults apply', () => {
    assert.deepEqual(hostContainments.map((a) => a.name), ['crowdstrike', 'defender']);
    assert.deepEqual(assetTrackers.map((a) => a.name), ['http']);
    const secrets = new Set(['FALCON_CLIENT_SECRET', 'DEFENDER_CLIENT_SECRET', 'RIPOSTE_ASSET_TOKEN']);
    for (const definition of [...hostContainments, ...assetTrackers]) {
      const { shape } = definition.settings;
      for (const name of definition.requires) assert.ok(name in shape, `${definition.name} requires ${name}`);
      for (const [name, schema] of Object.entries(shape)) {
        assert.equal(z.globalRegistry.get(schema)?.secret === true, secrets.has(name), `${name} secret flag`);
      }
    }
    assert.equal(crowdstrikeSettings.parse({ FALCON_CLIENT_ID: 'a', FALCON_CLIENT_SECRET: 'b' }).FALCON_BASE_URL, 'https://api.crowdstrike.com');
    const mde = defenderSettings.parse({ DEFENDER_TENANT_ID: TENANT, DEFENDER_CLIENT_ID: 'a', DEFENDER_CLIENT_SECRET: 'b' });
    assert.equal(mde.DEFENDER_API_URL, 'https://api.securitycenter.microsoft.com');
    assert.equal(mde.DEFENDER_AUTHORITY_URL, 'https://login.microsoftonline.com');
    assert.equal(httpAssetTrackerSettings.safeParse({ RIPOSTE_ASSET_URL: 'not a url' }).success, false);
  });
});
