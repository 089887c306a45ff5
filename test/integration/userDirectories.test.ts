import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { VENDOR_REJECTED, VENDOR_UNAVAILABLE } from '../../activities/vendorHttp.ts';
import { createEntraDirectory, entra } from '../../activities/users/entraDirectory.ts';
import { createHttpUserDirectory } from '../../activities/users/httpUserDirectory.ts';
import { userDirectories } from '../../activities/users/index.ts';
import { createOktaDirectory, okta } from '../../activities/users/oktaDirectory.ts';
import { type FakeReply, type FakeRequest, type FakeServer, OKTA_TOKEN, oktaError, type OktaUser, oktaRoute, oktaUser, startFakeServer } from '../support/fakeVendors.ts';

const CLIENT_ID = '535fb089-9ff3-47b6-9bfb-4f1264799865';
const CLIENT_SECRET = 'qWgd~YAmab0YSkuL1qKv5bPX.entra_s3cr3t';
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const HOOK_TOKEN = 'whk_users_s3cr3t_t0k3n';
const SECRETS = [OKTA_TOKEN, CLIENT_SECRET, HOOK_TOKEN];

type Hit = FakeRequest;
type Reply = FakeReply;

async function failure(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `not an ApplicationFailure: ${String(err)}`);
    const all = `${err.message}\n${err.stack ?? ''}\n${JSON.stringify(err)}`;
    for (const secret of SECRETS) assert.ok(!all.includes(secret), `error leaks a secret: ${err.message}`);
    return err;
  }
  assert.fail('expected a failure');
}

function assertRejected(err: ApplicationFailure, message: string) {
  assert.equal(err.type, VENDOR_REJECTED);
  assert.equal(err.nonRetryable, true);
  assert.equal(err.message, message);
}

function assertRetryable(err: ApplicationFailure, message: RegExp, nextRetryDelay?: string) {
  assert.equal(err.type, VENDOR_UNAVAILABLE);
  assert.equal(err.nonRetryable, false);
  assert.match(err.message, message);
  assert.equal(err.nextRetryDelay, nextRetryDelay);
}

// ---- Okta: Users API as documented (okta-management OpenAPI: getUser, suspendUser, unsuspendUser, revokeUserSessions)

describe('okta directory', () => {
  let fake: FakeServer;
  let users: OktaUser[];
  beforeEach(async () => {
    users = [oktaUser('00u1alice0SOC0abc0h7', 'alice+soc@example.com', 'ACTIVE'), oktaUser('00u1gone00SOC0abc0h7', 'gone@example.com', 'DEPROVISIONED')];
    fake = await startFakeServer(oktaRoute(users));
  });
  afterEach(() => fake.close());
  const directory = (token = OKTA_TOKEN) => createOktaDirectory({ orgUrl: fake.url, apiToken: token });

  test('disable looks the login up, suspends by id and revokes sessions with OAuth tokens', async () => {
    const result = await directory().disable('alice+soc@example.com');
    assert.deepEqual(result, { detail: 'suspended in Okta (00u1alice0SOC0abc0h7), sessions ended', ref: '00u1alice0SOC0abc0h7' });
    assert.deepEqual(fake.requests.map((h) => `${h.method} ${h.path}`), [
      'GET /api/v1/users/alice%2Bsoc%40example.com',
      'POST /api/v1/users/00u1alice0SOC0abc0h7/lifecycle/suspend',
      'DELETE /api/v1/users/00u1alice0SOC0abc0h7/sessions',
    ]);
    assert.equal(fake.requests[2]?.query.get('oauthTokens'), 'true');
    assert.ok(fake.requests.every((h) => h.headers.authorization === `SSWS ${OKTA_TOKEN}` && h.headers.accept === 'application/json'));
    assert.equal(users[0]?.status, 'SUSPENDED');
  });

  test('disabling twice suspends once and ends sessions both times', async () => {
    await directory().disable('alice+soc@example.com');
    const again = await directory().disable('alice+soc@example.com');
    assert.equal(again.detail, 'already suspended in Okta (00u1alice0SOC0abc0h7), sessions ended');
    assert.equal(fake.calls().filter((c) => c.endsWith('/lifecycle/suspend')).length, 1);
    assert.equal(fake.calls().filter((c) => c.endsWith('/sessions')).length, 2);
  });

  test('enable unsuspends a suspended user and leaves an active one alone', async () => {
    const dir = directory();
    await dir.disable('alice+soc@example.com');
    assert.equal((await dir.enable('alice+soc@example.com')).detail, 'unsuspended in Okta (00u1alice0SOC0abc0h7)');
    assert.equal(users[0]?.status, 'ACTIVE');
    assert.equal((await dir.enable('alice+soc@example.com')).detail, 'not suspended in Okta (00u1alice0SOC0abc0h7), nothing to do');
    assert.equal(fake.calls().filter((c) => c.endsWith('/lifecycle/unsuspend')).length, 1);
  });

  test('a deactivated user is left as it is both ways', async () => {
    assert.equal((await directory().disable('gone@example.com')).detail, 'deprovisioned in Okta (00u1gone00SOC0abc0h7), cannot sign in; left as is');
    assert.equal((await directory().enable('gone@example.com')).detail, 'deprovisioned in Okta (00u1gone00SOC0abc0h7), cannot sign in; left as is');
    assert.deepEqual(fake.calls(), ['GET /api/v1/users/gone%40example.com', 'GET /api/v1/users/gone%40example.com']);
  });

  test('a user Okta cannot suspend (here LOCKED_OUT) is a final refusal', async () => {
    users[0]!.status = 'LOCKED_OUT';
    assertRejected(await failure(directory().disable('alice+soc@example.com')), 'okta answered 400 to POST (E0000001)');
  });

  test('an unknown user is a final VendorRejected', async () => {
    assertRejected(await failure(directory().disable('nobody@example.com')), 'okta answered 404 to GET (E0000007)');
  });

  test('a wrong token is a final 401 that does not name the token', async () => {
    assertRejected(await failure(directory('00Qwrong-token-value-xyz').disable('alice+soc@example.com')), 'okta answered 401 to GET (E0000011)');
    assert.equal(fake.requests[0]?.headers.authorization, 'SSWS 00Qwrong-token-value-xyz');
  });

  test('a rate limit (E0000047) waits for Okta\'s X-Rate-Limit-Reset; an outage is retryable', async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 30);
    fake.failWith(() => ({ status: 429, headers: { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset }, body: oktaError('E0000047', 'API call exceeded rate limit due to too many requests.') }));
    const limited = await failure(directory().disable('alice+soc@example.com'));
    assert.match(limited.message, /^okta answered 429 to GET \(E0000047\) \(retry after (29|30|31)s\)$/);
    assert.match(String(limited.nextRetryDelay), /^(29|30|31)s$/);
    fake.failWith((hit) => (hit.method === 'DELETE' ? { status: 500, body: oktaError('E0000009', 'Internal Server Error') } : undefined));
    assertRetryable(await failure(directory().disable('alice+soc@example.com')), /^okta answered 500 to DELETE \(E0000009\)$/);
    assert.equal(users[0]?.status, 'SUSPENDED', 'the suspend went through; the retry will only end sessions');
  });

  test('an answer that echoes the token in free text does not carry it into the error', async () => {
    fake.failWith((hit) => ({ status: 403, body: oktaError('E0000006', `You do not have permission: ${String(hit.headers.authorization)}`) }));
    assertRejected(await failure(directory().disable('alice+soc@example.com')), 'okta answered 403 to GET (E0000006)');
  });

  test('a 200 that is not an Okta user is retryable and not echoed', async () => {
    fake.failWith(() => ({ status: 200, body: { sso: 'please sign in' } }));
    assertRetryable(await failure(directory().disable('alice+soc@example.com')), /^okta answered with an unexpected body$/);
  });

  test('settings want an https org URL and a token', () => {
    assert.equal(okta.settings.safeParse({ OKTA_ORG_URL: 'http://acme.okta.com', OKTA_API_TOKEN: OKTA_TOKEN }).success, false);
    assert.equal(okta.settings.safeParse({ OKTA_ORG_URL: 'https://acme.okta.com', OKTA_API_TOKEN: 'short' }).success, false);
    const parsed = okta.settings.parse({ OKTA_ORG_URL: 'https://acme.okta.com', OKTA_API_TOKEN: OKTA_TOKEN });
    assert.equal(okta.create(parsed).name, 'okta');
  });
});

// ---- Entra ID: the v2.0 token endpoint (client credentials) and Graph v1.0 users, update, revokeSignInSessions

interface GraphUser { id: string; userPrincipalName: string; accountEnabled: boolean }

const graphError = (code: string, message: string) => ({ error: { code, message, innerError: { date: '2026-12-02T05:19:24', 'request-id': 'b1a5e0c2-0d1f-4c55-9f52-5d3e4c0a7a11', 'client-request-id': 'b1a5e0c2-0d1f-4c55-9f52-5d3e4c0a7a11' } } });
const tokenError = (status: number, error: string, description: string, code: number): Reply => ({
  status, body: { error, error_description: `${description}\r\nTrace ID: 0f1e2d3c\r\nCorrelation ID: 4b5a6978\r\nTimestamp: 2026-12-02 05:19:24Z`, error_codes: [code], timestamp: '2026-12-02 05:19:24Z', trace_id: '0f1e2d3c', correlation_id: '4b5a6978' },
});

/** Issues tokens to the right client and secret, and Graph accepts only tokens it issued and has not revoked. */
function entraRoute(users: GraphUser[], tokens: { issued: number; valid: Set<string>; lifetimeS: number }) {
  const issue = (hit: Hit): Reply => {
    if (!String(hit.headers['content-type']).startsWith('application/x-www-form-urlencoded')) return tokenError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'grant_type'.", 900144);
    const form = new URLSearchParams(hit.body);
    if (form.get('grant_type') !== 'client_credentials') return tokenError(400, 'invalid_request', "AADSTS900144: The request body must contain the following parameter: 'grant_type'.", 900144);
    if (form.get('scope') !== 'https://graph.microsoft.com/.default') return tokenError(400, 'invalid_scope', 'AADSTS70011: The provided value for the input parameter scope is not valid.', 70011);
    if (form.get('client_id') !== CLIENT_ID) return tokenError(400, 'unauthorized_client', `AADSTS700016: Application with identifier '${form.get('client_id')}' was not found.`, 700016);
    if (form.get('client_secret') !== CLIENT_SECRET) return tokenError(401, 'invalid_client', `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent is the client secret value: ${form.get('client_secret')}`, 7000215);
    const token = `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.graph.${++tokens.issued}`;
    tokens.valid.add(token);
    return { status: 200, body: { token_type: 'Bearer', expires_in: tokens.lifetimeS, ext_expires_in: tokens.lifetimeS, access_token: token } };
  };
  const graph = (hit: Hit): Reply => {
    const bearer = /^Bearer (.+)$/.exec(String(hit.headers.authorization ?? ''))?.[1];
    if (!bearer) return { status: 401, body: graphError('InvalidAuthenticationToken', 'Access token is empty.') };
    if (!tokens.valid.has(bearer)) return { status: 401, body: graphError('InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.') };
    const [, key = '', action = ''] = /^\/v1\.0\/users\/([^/]+)(\/.*)?$/.exec(hit.path) ?? [];
    const user = users.find((u) => u.id === decodeURIComponent(key) || u.userPrincipalName === decodeURIComponent(key));
    if (!user) return { status: 404, body: graphError('Request_ResourceNotFound', `Resource '${decodeURIComponent(key)}' does not exist or one of its queried reference-property objects are not present.`) };
    switch (`${hit.method} ${action}`) {
      case 'GET ':
        assert.equal(hit.query.get('$select'), 'id,accountEnabled');
        return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users(id,accountEnabled)/$entity', id: user.id, accountEnabled: user.accountEnabled } };
      case 'PATCH ': {
        const body = String(hit.headers['content-type']).startsWith('application/json') ? JSON.parse(hit.body) as { accountEnabled?: unknown } : {};
        if (typeof body.accountEnabled !== 'boolean') return { status: 400, body: graphError('Request_BadRequest', 'Invalid value specified for property accountEnabled.') };
        user.accountEnabled = body.accountEnabled;
        return { status: 204 };
      }
      case 'POST /revokeSignInSessions': return { status: 200, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean', value: true } };
      default: return { status: 405, body: graphError('Request_BadRequest', 'Unsupported method.') };
    }
  };
  return (hit: Hit): Reply => (hit.path === `/${TENANT}/oauth2/v2.0/token` && hit.method === 'POST' ? issue(hit) : graph(hit));
}

describe('entra directory', () => {
  let fake: FakeServer;
  let users: GraphUser[];
  let tokens: { issued: number; valid: Set<string>; lifetimeS: number };
  beforeEach(async () => {
    users = [{ id: '4562bcc8-c436-4f95-b7c0-4f8ce89dca5e', userPrincipalName: "o'neil@contoso.com", accountEnabled: true }];
    tokens = { issued: 0, valid: new Set(), lifetimeS: 3599 };
    fake = await startFakeServer(entraRoute(users, tokens));
  });
  afterEach(() => fake.close());
  const directory = (secret = CLIENT_SECRET) =>
    createEntraDirectory({ tenantId: TENANT, clientId: CLIENT_ID, clientSecret: secret, graphUrl: fake.url, authorityUrl: fake.url });
  const graphCalls = () => fake.calls().filter((c) => c.includes('/v1.0/'));
  const ID = '4562bcc8-c436-4f95-b7c0-4f8ce89dca5e';

  test('disable gets a token, blocks sign-in and revokes sessions', async () => {
    const result = await directory().disable("o'neil@contoso.com");
    assert.deepEqual(result, { detail: `disabled in Entra ID (${ID}), sessions ended`, ref: ID });
    assert.deepEqual(fake.calls(), [
      `POST /${TENANT}/oauth2/v2.0/token`,
      "GET /v1.0/users/o'neil%40contoso.com",
      `PATCH /v1.0/users/${ID}`,
      `POST /v1.0/users/${ID}/revokeSignInSessions`,
    ]);
    assert.deepEqual(JSON.parse(fake.requests[2]!.body), { accountEnabled: false });
    assert.equal(users[0]?.accountEnabled, false);
  });

  test('disabling twice blocks once and revokes both times; enable unblocks once', async () => {
    const dir = directory();
    await dir.disable("o'neil@contoso.com");
    assert.equal((await dir.disable("o'neil@contoso.com")).detail, `already disabled in Entra ID (${ID}), sessions ended`);
    assert.equal(graphCalls().filter((c) => c.startsWith('PATCH')).length, 1);
    assert.equal(graphCalls().filter((c) => c.endsWith('/revokeSignInSessions')).length, 2);

    assert.equal((await dir.enable("o'neil@contoso.com")).detail, `enabled in Entra ID (${ID})`);
    assert.equal(users[0]?.accountEnabled, true);
    assert.equal((await dir.enable("o'neil@contoso.com")).detail, `not disabled in Entra ID (${ID}), nothing to do`);
    assert.deepEqual(fake.requests.filter((h) => h.method === 'PATCH').map((h) => JSON.parse(h.body)), [{ accountEnabled: false }, { accountEnabled: true }]);
  });

  test('one token serves every call until shortly before it expires', async () => {
    const dir = directory();
    await dir.disable("o'neil@contoso.com");
    await dir.enable("o'neil@contoso.com");
    assert.equal(tokens.issued, 1);

    tokens.lifetimeS = 60;
    const soon = directory();
    await soon.enable("o'neil@contoso.com");
    await soon.enable("o'neil@contoso.com");
    assert.equal(tokens.issued, 3, 'a token within a minute of expiry is renewed before each call');
  });

  test('a token Graph stops accepting is replaced once', async () => {
    const dir = directory();
    await dir.enable("o'neil@contoso.com");
    tokens.valid.clear();
    assert.equal((await dir.disable("o'neil@contoso.com")).ref, ID);
    assert.equal(tokens.issued, 2);
  });

  test('a wrong client secret is a final refusal that names neither secret', async () => {
    const err = await failure(directory('wrong~secret.value_0123456789').disable("o'neil@contoso.com"));
    assertRejected(err, 'entra answered 401 to the token request (invalid_client)');
    assert.ok(!err.message.includes('wrong~secret'));
    assert.deepEqual(graphCalls(), [], 'no Graph call without a token');
  });

  test('an unknown user is a final VendorRejected', async () => {
    assertRejected(await failure(directory().disable('nobody@contoso.com')), 'entra answered 404 to GET (Request_ResourceNotFound)');
  });

  test('Graph throttling carries Retry-After; an outage is retryable', async () => {
    fake.failWith((hit) => (hit.path.startsWith('/v1.0/') ? { status: 429, headers: { 'retry-after': '7' }, body: graphError('TooManyRequests', 'Too many requests.') } : undefined));
    assertRetryable(await failure(directory().disable("o'neil@contoso.com")), /^entra answered 429 to GET \(TooManyRequests\) \(retry after 7s\)$/, '7s');
    fake.failWith((hit) => (hit.method === 'PATCH' ? { status: 500, body: graphError('UnknownError', '') } : undefined));
    assertRetryable(await failure(directory().disable("o'neil@contoso.com")), /^entra answered 500 to PATCH \(UnknownError\)$/);
  });

  test('the token endpoint: 503 with Retry-After is retryable, a dead endpoint too', async () => {
    fake.failWith((hit) => (hit.path.endsWith('/token') ? { status: 503, headers: { 'retry-after': '7' }, body: { error: 'temporarily_unavailable' } } : undefined));
    assertRetryable(await failure(directory().disable("o'neil@contoso.com")), /^entra answered 503 to the token request \(temporarily_unavailable\) \(retry after 7s\)$/, '7s');

    const dead = await startFakeServer(() => ({ status: 200 }));
    await dead.close();
    const err = await failure(createEntraDirectory({ tenantId: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, authorityUrl: dead.url, graphUrl: fake.url }).disable('x@contoso.com'));
    assertRetryable(err, /^entra token request failed: ECONNREFUSED$/);
  });

  test('settings default to the public Graph and authority', () => {
    const parsed = entra.settings.parse({ ENTRA_TENANT_ID: TENANT, ENTRA_CLIENT_ID: CLIENT_ID, ENTRA_CLIENT_SECRET: CLIENT_SECRET });
    assert.equal(parsed.ENTRA_GRAPH_URL, 'https://graph.microsoft.com');
    assert.equal(parsed.ENTRA_AUTHORITY_URL, 'https://login.microsoftonline.com');
    assert.equal(entra.settings.safeParse({ ENTRA_TENANT_ID: `${TENANT}/../x`, ENTRA_CLIENT_ID: CLIENT_ID, ENTRA_CLIENT_SECRET: CLIENT_SECRET }).success, false);
  });
});

// ---- The in-house webhook: Riposte's own contract

describe('user webhook directory', () => {
  let fake: FakeServer;
  beforeEach(async () => {
    fake = await startFakeServer((hit) => {
      if (hit.headers.authorization !== `Bearer ${HOOK_TOKEN}`) return { status: 401, body: { error: 'unauthorized' } };
      const body = JSON.parse(hit.body) as { action?: string; user?: string };
      if (!['disable_user', 'enable_user'].includes(body.action ?? '') || !body.user) return { status: 400, body: { error: 'bad_request' } };
      return { status: 200, body: { ok: true } };
    });
  });
  afterEach(() => fake.close());
  const directory = (token?: string) => createHttpUserDirectory({ url: `${fake.url}/idp/riposte?tenant=soc`, token });

  test('posts {action, user} as JSON with the bearer token', async () => {
    assert.deepEqual(await directory(HOOK_TOKEN).disable('bob@example.com'), { detail: 'disable_user accepted by the user webhook (200)' });
    assert.deepEqual(await directory(HOOK_TOKEN).enable('bob@example.com'), { detail: 'enable_user accepted by the user webhook (200)' });
    assert.deepEqual(fake.requests.map((h) => [h.method, h.path, h.query.get('tenant'), JSON.parse(h.body)]), [
      ['POST', '/idp/riposte', 'soc', { action: 'disable_user', user: 'bob@example.com' }],
      ['POST', '/idp/riposte', 'soc', { action: 'enable_user', user: 'bob@example.com' }],
    ]);
    assert.match(String(fake.requests[0]?.headers['content-type']), /^application\/json/);
  });

  test('without a token no Authorization header is sent, and the 401 is final', async () => {
    assertRejected(await failure(directory().disable('bob@example.com')), 'user webhook answered 401 to POST (unauthorized)');
    assert.equal(fake.requests[0]?.headers.authorization, undefined);
  });

  test('429 honours Retry-After, 500 is retryable, 404 is final', async () => {
    fake.failWith(() => ({ status: 429, headers: { 'retry-after': '7' } }));
    assertRetryable(await failure(directory(HOOK_TOKEN).disable('bob@example.com')), /^user webhook answered 429 to POST \(retry after 7s\)$/, '7s');
    fake.failWith(() => ({ status: 500, body: { error: `db down for ${HOOK_TOKEN}` } }));
    assertRetryable(await failure(directory(HOOK_TOKEN).disable('bob@example.com')), /^user webhook answered 500 to POST$/);
    fake.failWith(() => ({ status: 404, body: { error: 'no_such_user' } }));
    assertRejected(await failure(directory(HOOK_TOKEN).disable('bob@example.com')), 'user webhook answered 404 to POST (no_such_user)');
  });
});

describe('user directory registry', () => {
  test('one entry per adapter, each requiring only variables it declares', () => {
    assert.deepEqual(userDirectories.map((d) => d.name), ['okta', 'entra', 'user-webhook']);
    for (const d of userDirectories) {
      const declared = Object.keys(d.settings.shape);
      for (const name of d.requires) assert.ok(declared.includes(name), `${d.name} requires undeclared ${name}`);
    }
  });
});
