import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { crowdstrikeContainment, crowdstrikeSettings } from '../../activities/hosts/crowdstrikeContainment.ts';
import { defenderContainment, defenderSettings } from '../../activities/hosts/defenderContainment.ts';
import { httpAssetTracker, httpAssetTrackerSettings } from '../../activities/hosts/httpAssetTracker.ts';
import { assetTrackers, hostContainments } from '../../activities/hosts/index.ts';
import { VENDOR_REJECTED, VENDOR_UNAVAILABLE } from '../../activities/vendorHttp.ts';
import {
  ASSET_TOKEN, assetTrackerRoute, fakeDefender, fakeFalcon, FALCON_ID, FALCON_SECRET, type FakeServer, isForm, MDE_ID, MDE_SCOPE, MDE_SECRET, MDE_TENANT, startFakeServer,
} from '../support/fakeVendors.ts';

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

// --- CrowdStrike Falcon (the fake: test/support/fakeVendors.ts) ---------------------------------------------------

describe('crowdstrike containment', () => {
  let falcon: ReturnType<typeof fakeFalcon>;
  let srv: FakeServer;
  before(async () => { falcon = fakeFalcon(); srv = await startFakeServer(falcon.route); });
  after(() => srv.close());
  const edr = (secret = FALCON_SECRET) => crowdstrikeContainment.create(crowdstrikeSettings.parse({ FALCON_BASE_URL: srv.url, FALCON_CLIENT_ID: FALCON_ID, FALCON_CLIENT_SECRET: secret }));
  const actions = () => srv.to('POST', '/devices/entities/devices-actions/v2');

  test('contains the one device whose name matches exactly, with a form-encoded token reused for later calls', async () => {
    const web1 = falcon.add('WEB1');
    const web10 = falcon.add('web10');
    const adapter = edr();
    srv.requests.length = 0;

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
    srv.requests.length = 0;
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
    srv.requests.length = 0;
    assertFinal(await failure(adapter.isolate('ghost', 'x')), /knows no device named ghost/);
    assertFinal(await failure(adapter.isolate('twin', 'x')), /2 devices named twin; refusing/);
    assert.equal(actions().length, 0);
  });

  test('a name that would change the FQL filter is refused before any call', async () => {
    srv.requests.length = 0;
    assertFinal(await failure(edr().isolate("x',hostname:'*", 'x')), /not a host name/);
    assert.equal(srv.requests.length, 0);
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

// --- Microsoft Defender for Endpoint (the fake: test/support/fakeVendors.ts) -------------------------------------

describe('defender containment', () => {
  let mde: ReturnType<typeof fakeDefender>;
  let srv: FakeServer;
  before(async () => { mde = fakeDefender(); srv = await startFakeServer(mde.route); });
  after(() => srv.close());
  const edr = (secret = MDE_SECRET) => defenderContainment.create(defenderSettings.parse({
    DEFENDER_TENANT_ID: MDE_TENANT, DEFENDER_CLIENT_ID: MDE_ID, DEFENDER_CLIENT_SECRET: secret, DEFENDER_API_URL: srv.url, DEFENDER_AUTHORITY_URL: srv.url,
  }));
  const posts = (verb: string) => srv.to('POST', new RegExp(`^/api/machines/[0-9a-f]{40}/${verb}$`));

  test('isolates the machine found by computerDnsName, fully, with the comment', async () => {
    const machine = mde.add('desktop-39g9tgl.contoso.com');
    srv.requests.length = 0;
    const result = await edr().isolate('desktop-39g9tgl.contoso.com', 'brute force, incident 7');
    assert.equal(result.ref, machine.id);
    assert.match(result.detail, /requested isolate of desktop-39g9tgl\.contoso\.com .*Pending/);

    const [token] = srv.to('POST', `/${MDE_TENANT}/oauth2/v2.0/token`);
    assert.deepEqual(Object.fromEntries(new URLSearchParams(token!.body)), { grant_type: 'client_credentials', client_id: MDE_ID, client_secret: MDE_SECRET, scope: MDE_SCOPE });
    const [post] = posts('isolate');
    assert.equal(post?.path, `/api/machines/${machine.id}/isolate`);
    assert.deepEqual(JSON.parse(post!.body), { Comment: 'brute force, incident 7', IsolationType: 'Full' });
  });

  test('is idempotent: pending or done isolation is not asked again; release sends only the comment', async () => {
    const machine = mde.add('ws-17');
    const adapter = edr();
    srv.requests.length = 0;
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
    srv.requests.length = 0;
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

describe('http asset tracker', () => {
  let srv: FakeServer;
  before(async () => { srv = await startFakeServer(assetTrackerRoute(['web1', 'db1']).route); });
  after(() => srv.close());
  const tracker = (token = ASSET_TOKEN) => httpAssetTracker.create(httpAssetTrackerSettings.parse({ RIPOSTE_ASSET_URL: `${srv.url}/inventory/`, RIPOSTE_ASSET_TOKEN: token }));

  test('tags and untags under the base path with the bearer token and the comment; both ways idempotent', async () => {
    srv.requests.length = 0;
    const tagged = await tracker().tag('web1', 'riposte:risky', 'brute force source');
    assert.deepEqual(tagged, { detail: 'tagged web1 riposte:risky in the asset tracker', ref: '1000' });
    const [put] = srv.requests;
    assert.equal(put?.method, 'PUT');
    assert.equal(put?.path, '/inventory/assets/web1/tags/riposte%3Arisky');
    assert.equal(put?.headers.authorization, `Bearer ${ASSET_TOKEN}`);
    assert.deepEqual(JSON.parse(put!.body), { comment: 'brute force source' });

    assert.equal((await tracker().tag('web1', 'riposte:risky', 'again')).ref, '1000');
    assert.match((await tracker().untag('web1', 'riposte:risky', 'false positive')).detail, /^removed tag riposte:risky from web1/);
    assert.match((await tracker().untag('web1', 'riposte:risky', 'again')).detail, /^web1 was not tagged riposte:risky/);
    assert.deepEqual(srv.requests.map((c) => c.method), ['PUT', 'PUT', 'DELETE', 'DELETE']);
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
    srv.requests.length = 0;
    assertFinal(await failure(tracker().tag('..', 'riposte:risky', 'x')), /not a host name/);
    assertFinal(await failure(tracker().tag('web1', '../../admin', 'x')), /not a tag/);
    assert.equal(srv.requests.length, 0);
  });
});

describe('host adapter definitions', () => {
  test('registries list each adapter once; required variables are settings; secrets are marked; defaults apply', () => {
    assert.deepEqual(hostContainments.map((a) => a.name), ['crowdstrike', 'defender']);
    assert.deepEqual(assetTrackers.map((a) => a.name), ['asset-tracker']);
    const secrets = new Set(['FALCON_CLIENT_SECRET', 'DEFENDER_CLIENT_SECRET', 'RIPOSTE_ASSET_TOKEN']);
    for (const definition of [...hostContainments, ...assetTrackers]) {
      const { shape } = definition.settings;
      for (const name of definition.requires) assert.ok(name in shape, `${definition.name} requires ${name}`);
      for (const [name, schema] of Object.entries(shape)) {
        assert.equal(z.globalRegistry.get(schema)?.secret === true, secrets.has(name), `${name} secret flag`);
      }
    }
    assert.equal(crowdstrikeSettings.parse({ FALCON_CLIENT_ID: 'a', FALCON_CLIENT_SECRET: 'b' }).FALCON_BASE_URL, 'https://api.crowdstrike.com');
    const mde = defenderSettings.parse({ DEFENDER_TENANT_ID: MDE_TENANT, DEFENDER_CLIENT_ID: 'a', DEFENDER_CLIENT_SECRET: 'b' });
    assert.equal(mde.DEFENDER_API_URL, 'https://api.securitycenter.microsoft.com');
    assert.equal(mde.DEFENDER_AUTHORITY_URL, 'https://login.microsoftonline.com');
    assert.equal(httpAssetTrackerSettings.safeParse({ RIPOSTE_ASSET_URL: 'not a url' }).success, false);
  });
});
