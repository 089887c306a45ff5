import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { signAwsRequest } from '../../activities/awsSigV4.ts';
import { discardAudit } from '../../activities/audit/index.ts';
import { createHttpFirewallEnforcer, httpFirewallPoint } from '../../activities/enforce/httpFirewallEnforcer.ts';
import { loadHttpFirewallTemplate } from '../../activities/enforce/httpFirewallTemplate.ts';
import { reconcilePoint } from '../../activities/enforce/reconcile.ts';
import { enforcementPointNamed } from '../../activities/enforce/registry.ts';
import { canonicalCidr } from '../../domain/ip.ts';
import { readSettings } from '../../runtime/adapters.ts';
import { type FakeReply, type FakeRequest, type FakeServer, startFakeServer } from '../support/fakeVendors.ts';

const HOUR = 3_600_000;
const allowlist = ['198.51.100.7', '2001:db8:a11::/48'].map(canonicalCidr);

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `an ApplicationFailure, not ${String(err)}`);
    return err;
  }
  assert.fail('the call succeeded');
}

// ---- Cloudflare: IP Access Rules of a zone, as the v4 API documents them (create, edit, delete, list with filters).

const CF_TOKEN = `cf-${randomBytes(16).toString('hex')}`;
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';
const RULES = `/client/v4/zones/${ZONE}/firewall/access_rules/rules`;

interface CfRule { id: string; mode: string; configuration: { target: string; value: string }; notes: string; allowed_modes: string[]; created_on: string; modified_on: string; scope: { id: string; type: string } }

const cfError = (status: number, code: number, message: string): FakeReply => ({ status, body: { success: false, errors: [{ code, message }], messages: [], result: null } });
const cfOk = (result: unknown, extra: Record<string, unknown> = {}): FakeReply => ({ status: 200, body: { success: true, errors: [], messages: [], result, ...extra } });

function cloudflareRoute(rules: Map<string, CfRule>) {
  return (req: FakeRequest): FakeReply => {
    if (req.headers.authorization !== `Bearer ${CF_TOKEN}`) return cfError(403, 10000, 'Authentication error');
    const id = req.path.startsWith(`${RULES}/`) ? decodeURIComponent(req.path.slice(RULES.length + 1)) : undefined;
    if (req.method === 'GET' && req.path === RULES) {
      const notes = req.query.get('notes')?.toLowerCase();
      const matching = [...rules.values()].filter((rule) => (!req.query.get('mode') || rule.mode === req.query.get('mode')) && (!notes || rule.notes.toLowerCase().includes(notes)));
      const perPage = Number(req.query.get('per_page') ?? 20);
      const page = Number(req.query.get('page') ?? 1);
      const result = matching.slice((page - 1) * perPage, page * perPage);
      return cfOk(result, { result_info: { page, per_page: perPage, count: result.length, total_count: matching.length, total_pages: Math.ceil(matching.length / perPage) } });
    }
    if (req.method === 'POST' && req.path === RULES) {
      const { mode, configuration, notes } = req.json ?? {};
      const v6 = String(configuration?.value).includes(':');
      const expected = String(configuration?.value).includes('/') ? 'ip_range' : v6 ? 'ip6' : 'ip';
      if (mode !== 'block' || configuration?.target !== expected) return cfError(400, 10001, 'firewallaccessrules.api.validation_error');
      if ([...rules.values()].some((rule) => rule.configuration.value === configuration.value)) return cfError(400, 10009, 'firewallaccessrules.api.duplicate_of_existing');
      const now = new Date().toISOString();
      const rule: CfRule = { id: randomBytes(16).toString('hex'), mode, configuration, notes: notes ?? '', allowed_modes: ['whitelist', 'block', 'challenge', 'js_challenge', 'managed_challenge'], created_on: now, modified_on: now, scope: { id: ZONE, type: 'zone' } };
      rules.set(rule.id, rule);
      return cfOk(rule);
    }
    const rule = id === undefined ? undefined : rules.get(id);
    if (!rule) return cfError(404, 10001, 'firewallaccessrules.api.not_found');
    if (req.method === 'PATCH') {
      Object.assign(rule, { mode: req.json?.mode ?? rule.mode, notes: req.json?.notes ?? rule.notes, modified_on: new Date().toISOString() });
      return cfOk(rule);
    }
    if (req.method === 'DELETE') {
      rules.delete(rule.id);
      return cfOk({ id: rule.id });
    }
    return cfError(405, 10000, 'method not allowed');
  };
}

describe('the cloudflare template against a server answering as the Cloudflare API does', () => {
  const rules = new Map<string, CfRule>();
  let cf: FakeServer;
  let point: ReturnType<typeof createHttpFirewallEnforcer>;
  before(async () => {
    cf = await startFakeServer(cloudflareRoute(rules));
    const variables: Record<string, string> = { CLOUDFLARE_API_TOKEN: CF_TOKEN, CLOUDFLARE_ZONE_ID: ZONE, CLOUDFLARE_API_URL: `${cf.url}/client/v4` };
    point = createHttpFirewallEnforcer({ template: loadHttpFirewallTemplate('cloudflare'), variable: (name) => variables[name], allowlist });
  });
  after(() => cf?.close());
  beforeEach(() => {
    rules.clear();
    cf.requests.length = 0;
  });

  const riposteRule = (value: string) => [...rules.values()].find((rule) => rule.configuration.value === value);

  test('apply makes one block rule with the target kind and Riposte\'s note; again it only rewrites the expiry; remove deletes it', async () => {
    const expiresAt = Date.now() + HOUR;
    await point.apply({ address: '192.0.2.1', expiresAt });
    await point.apply({ address: '2001:db8:5::1', expiresAt });
    await point.apply({ address: '203.0.113.0/24', expiresAt });
    assert.deepEqual(riposteRule('192.0.2.1')?.configuration, { target: 'ip', value: '192.0.2.1' });
    assert.deepEqual(riposteRule('2001:db8:5::1')?.configuration, { target: 'ip6', value: '2001:db8:5::1' });
    assert.deepEqual(riposteRule('203.0.113.0/24')?.configuration, { target: 'ip_range', value: '203.0.113.0/24' });
    assert.equal(riposteRule('192.0.2.1')?.notes, `riposte block 192.0.2.1 until ${new Date(expiresAt).toISOString()}`);
    const find = cf.to('GET', RULES)[0]!;
    assert.equal(find.query.get('notes'), 'riposte block 192.0.2.1 until', 'the rule is looked up by its marker');

    const later = expiresAt + HOUR;
    await point.apply({ address: '192.0.2.1', expiresAt: later });
    assert.equal(rules.size, 3, 'no second rule');
    assert.equal(cf.to('PATCH', /rules\//).length, 1);
    assert.equal(riposteRule('192.0.2.1')?.notes, `riposte block 192.0.2.1 until ${new Date(later).toISOString()}`);

    assert.deepEqual((await point.list()).sort((a, b) => a.address.localeCompare(b.address)), [
      { address: '192.0.2.1', expiresAt: later },
      { address: '2001:db8:5::1', expiresAt },
      { address: '203.0.113.0/24', expiresAt },
    ]);

    await point.remove('192.0.2.1');
    assert.equal(riposteRule('192.0.2.1'), undefined);
    const deletes = cf.to('DELETE', /rules\//).length;
    await point.remove('192.0.2.1');
    assert.equal(cf.to('DELETE', /rules\//).length, deletes, 'removing what is not there sends no delete');
  });

  test('a rule someone else made is listed as never expiring, and a marker never matches a longer address', async () => {
    const now = new Date().toISOString();
    rules.set('office', { id: 'office', mode: 'block', configuration: { target: 'ip', value: '192.0.2.10' }, notes: 'riposte block 192.0.2.10 until 2999-01-01T00:00:00.000Z', allowed_modes: [], created_on: now, modified_on: now, scope: { id: ZONE, type: 'zone' } });
    rules.set('manual', { id: 'manual', mode: 'block', configuration: { target: 'ip', value: '192.0.2.11' }, notes: 'riposte block: done by hand', allowed_modes: [], created_on: now, modified_on: now, scope: { id: ZONE, type: 'zone' } });
    await point.apply({ address: '192.0.2.1', expiresAt: Date.now() + HOUR });
    assert.ok(rules.has('office') && riposteRule('192.0.2.1'), '192.0.2.10\'s rule is not taken for 192.0.2.1\'s');
    const listed = new Map((await point.list()).map((t) => [t.address, t.expiresAt]));
    assert.equal(listed.get('192.0.2.11'), Number.MAX_SAFE_INTEGER, 'a note Riposte did not write: someone else\'s, left alone by reconcile');
    await point.remove('192.0.2.1');
    assert.ok(rules.has('office'));
  });

  test('list reads every page', async () => {
    const expiresAt = Date.now() + HOUR;
    for (let i = 0; i < 150; i += 1) {
      const value = `192.0.2.${i}`;
      rules.set(`r${i}`, { id: `r${i}`, mode: 'block', configuration: { target: 'ip', value }, notes: `riposte block ${value} until ${new Date(expiresAt).toISOString()}`, allowed_modes: [], created_on: '', modified_on: '', scope: { id: ZONE, type: 'zone' } });
    }
    assert.equal((await point.list()).length, 150);
    assert.deepEqual(cf.to('GET', RULES).map((r) => r.query.get('page')), ['1', '2']);
  });

  test('429 and 5xx are retryable after Retry-After; a refusal is final and names Cloudflare\'s code; no token in any message', async () => {
    cf.force({ status: 429, headers: { 'retry-after': '7' }, body: { success: false, errors: [{ code: 10000, message: `rate limited ${CF_TOKEN}` }] } });
    const limited = await failureOf(point.apply({ address: '192.0.2.2', expiresAt: Date.now() + HOUR }));
    assert.deepEqual([limited.type, limited.nonRetryable, limited.nextRetryDelay], ['VendorUnavailable', false, '7s']);
    cf.force({ status: 503, body: {} });
    const down = await failureOf(point.remove('192.0.2.2'));
    assert.deepEqual([down.type, down.nonRetryable], ['VendorUnavailable', false]);
    await point.apply({ address: '192.0.2.2', expiresAt: Date.now() + HOUR });
    assert.ok(riposteRule('192.0.2.2'), 'the retry succeeds');

    cf.force({ status: 403, body: { success: false, errors: [{ code: 10000, message: 'Authentication error' }] } });
    const refused = await failureOf(point.apply({ address: '192.0.2.3', expiresAt: Date.now() + HOUR }));
    assert.deepEqual([refused.type, refused.nonRetryable, refused.message], ['VendorRejected', true, 'the cloudflare firewall answered 403 to GET (10000)']);
    for (const failure of [limited, down, refused]) assert.doesNotMatch(failure.message, new RegExp(`${CF_TOKEN}|${ZONE}|127\\.0\\.0\\.1`));
  });

  test('the allowlist is checked inside the point: an allowlisted target never reaches Cloudflare', async () => {
    for (const address of ['198.51.100.7', '198.51.100.0/24', '2001:db8:a11:5::1']) {
      const refused = await failureOf(point.apply({ address, expiresAt: Date.now() + HOUR }));
      assert.deepEqual([refused.type, refused.nonRetryable], ['AllowlistViolation', true], address);
    }
    const spelled = await failureOf(point.apply({ address: '192.0.2.001', expiresAt: Date.now() + HOUR }));
    assert.equal(spelled.type, 'InvalidAddress');
    assert.deepEqual(cf.requests, []);
  });

  test('reconcile puts back a rule deleted behind Riposte\'s back and removes Riposte\'s rule no block accounts for', async () => {
    const expiresAt = Date.now() + HOUR;
    await point.apply({ address: '192.0.2.20', expiresAt });
    await point.apply({ address: '192.0.2.21', expiresAt });
    rules.delete(riposteRule('192.0.2.20')!.id);
    const intent = async () => [{ address: '192.0.2.20', expiresAt, held: ['http'] }];
    const result = await reconcilePoint(point, intent, discardAudit);
    assert.deepEqual([result.intended, result.present, result.restored, result.removedStale], [1, 0, 1, 1]);
    assert.deepEqual([...rules.values()].map((rule) => rule.configuration.value), ['192.0.2.20']);
  });
});

// ---- AWS WAF v2: GetIPSet and UpdateIPSet over JSON 1.1, SigV4-signed, with the IP set's optimistic lock.

const AWS = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: `aws/${randomBytes(16).toString('base64url')}`, AWS_WAF_IP_SET_NAME: 'riposte-blocks', AWS_WAF_IP_SET_ID: 'a1b2c3d4-5678-90ab-cdef-EXAMPLE11111' };

interface IpSet { Name: string; Id: string; ARN: string; Description: string; IPAddressVersion: 'IPV4' | 'IPV6'; Addresses: string[]; LockToken: string }

const awsError = (type: string, message: string): FakeReply => ({ status: 400, headers: { 'x-amzn-errortype': type }, body: { __type: type, Message: message } });

/** Checks the request's SigV4 signature over what arrived: the signed headers, the path, the body. */
function signatureValid(req: FakeRequest, secretAccessKey: string): boolean {
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/wafv2\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=[0-9a-f]{64}$/.exec(req.headers.authorization ?? '');
  if (!auth) return false;
  const signed = Object.fromEntries(auth[4]!.split(';').filter((name) => name !== 'host').map((name) => [name, String(req.headers[name])]));
  const date = String(req.headers['x-amz-date']);
  const at = new Date(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`);
  const expected = signAwsRequest({ method: req.method, url: new URL(`http://${req.headers.host}${req.path}${req.rawQuery}`), headers: signed, body: req.body }, { region: auth[3]!, service: 'wafv2' }, { accessKeyId: auth[1]!, secretAccessKey, sessionToken: signed['x-amz-security-token'] }, at);
  return expected.authorization === req.headers.authorization && auth[4]!.split(';').includes('x-amz-target');
}

function wafRoute(sets: Map<string, IpSet>, secretAccessKey: string) {
  return (req: FakeRequest): FakeReply => {
    if (!signatureValid(req, secretAccessKey)) return awsError('InvalidSignatureException', 'The request signature we calculated does not match the signature you provided.');
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') return awsError('SerializationException', 'wrong content type');
    const set = sets.get(req.json?.Id);
    if (!set || set.Name !== req.json?.Name || req.json?.Scope !== 'REGIONAL') return awsError('WAFNonexistentItemException', 'AWS WAF couldn’t perform the operation because your resource doesn’t exist.');
    switch (req.headers['x-amz-target']) {
      case 'AWSWAF_20190729.GetIPSet': {
        const { LockToken, ...ipSet } = set;
        return { status: 200, body: { IPSet: ipSet, LockToken } };
      }
      case 'AWSWAF_20190729.UpdateIPSet': {
        if (req.json.LockToken !== set.LockToken) return awsError('WAFOptimisticLockException', 'AWS WAF couldn’t save your changes because someone changed the resource after you started to edit it.');
        if (!Array.isArray(req.json.Addresses) || req.json.Addresses.some((a: unknown) => typeof a !== 'string' || !a.includes('/'))) return awsError('WAFInvalidParameterException', 'Addresses must be CIDR');
        Object.assign(set, { Addresses: req.json.Addresses, Description: req.json.Description ?? '', LockToken: randomBytes(8).toString('hex') });
        return { status: 200, body: { NextLockToken: set.LockToken } };
      }
      default:
        return awsError('UnknownOperationException', 'unknown operation');
    }
  };
}

describe('the aws-waf template against a server answering as the WAF v2 API does', () => {
  const sets = new Map<string, IpSet>();
  let waf: FakeServer;
  let variables: Record<string, string>;
  const v4 = () => sets.get(AWS.AWS_WAF_IP_SET_ID)!;
  const pointWith = (extra: Record<string, string> = {}) => createHttpFirewallEnforcer({ template: loadHttpFirewallTemplate('aws-waf'), variable: (name) => ({ ...variables, ...extra })[name], allowlist });
  const calls = () => waf.requests.map((r) => String(r.headers['x-amz-target']).replace('AWSWAF_20190729.', ''));

  before(async () => {
    waf = await startFakeServer(wafRoute(sets, AWS.AWS_SECRET_ACCESS_KEY));
    variables = { ...AWS, AWS_WAF_ENDPOINT: waf.url };
  });
  after(() => waf?.close());
  beforeEach(() => {
    sets.clear();
    sets.set(AWS.AWS_WAF_IP_SET_ID, { Name: AWS.AWS_WAF_IP_SET_NAME, Id: AWS.AWS_WAF_IP_SET_ID, ARN: 'arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/riposte-blocks/a1b2', Description: 'managed by Riposte', IPAddressVersion: 'IPV4', Addresses: ['192.0.2.200/32'], LockToken: 'token-0' });
    sets.set('v6-set', { Name: 'riposte-blocks-v6', Id: 'v6-set', ARN: 'arn:aws:wafv2:eu-west-1:123456789012:regional/ipset/riposte-blocks-v6/c3d4', Description: '', IPAddressVersion: 'IPV6', Addresses: ['2001:0db8:0007:0000:0000:0000:0000:0001/128'], LockToken: 'token-6' });
    waf.requests.length = 0;
  });

  test('a batch of applies is one signed read and one write of the whole set, which keeps its other entries and description', async () => {
    const point = pointWith();
    const expiresAt = Date.now() + HOUR;
    await Promise.all(['192.0.2.1', '192.0.2.2', '203.0.113.0/24', '192.0.2.1'].map((address) => point.apply({ address, expiresAt })));
    assert.deepEqual(calls(), ['GetIPSet', 'UpdateIPSet']);
    assert.deepEqual(v4().Addresses, ['192.0.2.200/32', '192.0.2.1/32', '192.0.2.2/32', '203.0.113.0/24']);
    assert.equal(v4().Description, 'managed by Riposte');
    assert.deepEqual((await point.list()).map((t) => t.address).sort(), ['192.0.2.1', '192.0.2.2', '192.0.2.200', '203.0.113.0/24']);

    await point.apply({ address: '192.0.2.1', expiresAt: expiresAt + HOUR });
    await point.remove('192.0.2.2');
    await point.remove('192.0.2.99');
    assert.deepEqual(calls().slice(3), ['GetIPSet', 'GetIPSet', 'UpdateIPSet', 'GetIPSet'], 'an entry already there or already gone costs a read, no write');
    assert.deepEqual(v4().Addresses, ['192.0.2.200/32', '192.0.2.1/32', '203.0.113.0/24']);
  });

  test('another writer between the read and the write: the lock token is refused, and the change is made again on a fresh read', async () => {
    const point = pointWith();
    let raced = false;
    waf.failWith((req) => {
      if (raced || req.headers['x-amz-target'] !== 'AWSWAF_20190729.UpdateIPSet') return undefined;
      raced = true;
      Object.assign(v4(), { Addresses: [...v4().Addresses, '198.51.100.50/32'], LockToken: 'token-other' });
      return undefined;
    });
    await point.apply({ address: '192.0.2.5', expiresAt: Date.now() + HOUR });
    waf.failWith(undefined);
    assert.deepEqual(calls(), ['GetIPSet', 'UpdateIPSet', 'GetIPSet', 'UpdateIPSet']);
    assert.deepEqual(v4().Addresses, ['192.0.2.200/32', '198.51.100.50/32', '192.0.2.5/32'], 'the other writer\'s entry is kept');
  });

  test('IPv6 goes to the second set when it is configured, and is refused without one; entries are listed canonical', async () => {
    const refused = await failureOf(pointWith().apply({ address: '2001:db8:7::2', expiresAt: Date.now() + HOUR }));
    assert.deepEqual([refused.type, refused.nonRetryable, refused.message], ['UnsupportedTarget', true, 'the aws-waf firewall has no set for IPv6 (set AWS_WAF_IPV6_SET_ID to use one)']);
    await pointWith().remove('2001:db8:7::2');

    const both = pointWith({ AWS_WAF_IPV6_SET_NAME: 'riposte-blocks-v6', AWS_WAF_IPV6_SET_ID: 'v6-set', AWS_SESSION_TOKEN: 'session-token-123' });
    await both.apply({ address: '2001:db8:7::2', expiresAt: Date.now() + HOUR });
    assert.deepEqual(sets.get('v6-set')!.Addresses, ['2001:0db8:0007:0000:0000:0000:0000:0001/128', '2001:db8:7::2/128']);
    assert.equal(waf.requests.at(-1)!.headers['x-amz-security-token'], 'session-token-123');
    assert.deepEqual((await both.list()).map((t) => t.address).sort(), ['192.0.2.200', '2001:db8:7::1', '2001:db8:7::2']);
  });

  test('throttling and 5xx are retryable; a refused change is final; no secret in any message', async () => {
    const point = pointWith();
    waf.force(awsError('ThrottlingException', 'Rate exceeded'));
    const throttled = await failureOf(point.apply({ address: '192.0.2.6', expiresAt: Date.now() + HOUR }));
    assert.deepEqual([throttled.type, throttled.nonRetryable, throttled.message], ['VendorUnavailable', false, 'the aws-waf firewall answered 400 to POST (ThrottlingException)']);
    waf.force({ status: 500, body: { __type: 'WAFInternalErrorException' } });
    assert.equal((await failureOf(point.list())).type, 'VendorUnavailable');
    const wrongKey = await failureOf(createHttpFirewallEnforcer({ template: loadHttpFirewallTemplate('aws-waf'), variable: (name) => ({ ...variables, AWS_SECRET_ACCESS_KEY: 'not-the-key' })[name], allowlist }).list());
    assert.deepEqual([wrongKey.type, wrongKey.nonRetryable, wrongKey.message], ['VendorRejected', true, 'the aws-waf firewall answered 400 to POST (InvalidSignatureException)']);
    for (const failure of [throttled, wrongKey]) assert.doesNotMatch(failure.message, new RegExp(`${AWS.AWS_SECRET_ACCESS_KEY}|${AWS.AWS_ACCESS_KEY_ID}`));
  });
});

describe('the http point as the policy names it', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'http-firewall-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));
  const context = (variables: Record<string, string>) => ({ paths: { edlFile: join(dir, 'edl.json'), dryRunLog: join(dir, 'dry.jsonl') }, allowlist, variable: (name: string) => variables[name] });

  test('it is registered as `http`, and RIPOSTE_HTTP_FIREWALL_TEMPLATE is required', () => {
    const definition = enforcementPointNamed('http');
    assert.equal(definition, httpFirewallPoint);
    assert.throws(() => readSettings(definition!, {}), { name: 'ConfigError', message: /RIPOSTE_HTTP_FIREWALL_TEMPLATE: set it to cloudflare, aws-waf, or the path of a template file/ });
  });

  test('a template with a fault, or missing variables, is refused at start with the field path or the variables', async () => {
    const path = join(dir, 'mine.yaml');
    await writeFile(path, [
      'name: mine', 'mode: rules', 'variables: { required: [MINE_TOKEN] }', 'baseUrl: https://firewall.example',
      'apply: { method: POST, path: /block, body: { ip: "{{address}}", token: "{{env.MINE_SECRET}}" } }',
      'remove: { method: DELETE, path: "/block/{{ruleId}}" }',
      'list: { request: { method: GET, path: /blocks }, items: blocks, address: ip, id: id }', '',
    ].join('\n'));
    assert.throws(() => httpFirewallPoint.create({ RIPOSTE_HTTP_FIREWALL_TEMPLATE: path }, context({ MINE_TOKEN: 'x' })), {
      name: 'ConfigError',
      message: `HTTP firewall template ${path} is invalid:\n  apply.body.token: {{env.MINE_SECRET}}: MINE_SECRET is not declared under variables`,
    });
    assert.throws(() => httpFirewallPoint.create({ RIPOSTE_HTTP_FIREWALL_TEMPLATE: join(dir, 'absent.yaml') }, context({})), { name: 'ConfigError', message: /is neither cloudflare nor aws-waf nor a readable file \(ENOENT\)/ });
    assert.throws(() => httpFirewallPoint.create({ RIPOSTE_HTTP_FIREWALL_TEMPLATE: 'cloudflare' }, context({ CLOUDFLARE_ZONE_ID: ZONE })), {
      name: 'ConfigError',
      message: 'the HTTP firewall template cloudflare needs CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_TOKEN_FILE)',
    });
    assert.equal(httpFirewallPoint.create({ RIPOSTE_HTTP_FIREWALL_TEMPLATE: 'aws-waf' }, context(AWS)).name, 'http', 'the default endpoint is the region\'s');
  });
});
