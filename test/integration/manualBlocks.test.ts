import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { canonicalCidr } from '../../domain/ip.ts';
import { blockStatusQuery } from '../../workflows/messages.ts';
import { eventually, startApi, startRiposte, testKey, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

/** An address inside this file's allowlisted range 2001:db8:a11::/48, different on every call. */
const allowlistedAddress = () => `2001:db8:a11:${randomBytes(2).readUInt16BE(0).toString(16)}::${randomBytes(2).readUInt16BE(0).toString(16)}`;

describe('POST /v1/blocks: a manual block through the API', () => {
  const policy = testPolicy({ allowlist: ['2001:db8:a11::/48', '198.51.100.64/26'] });
  const rita = testKey('rita', 'responder');
  let riposte: TestRiposte;
  let api: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy, { keys: [rita.spec] });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
  });

  /** Strongly consistent, unlike visibility: the workflow was never started. */
  async function assertNoBlockWorkflow(address: string): Promise<void> {
    await assert.rejects(riposte.client.workflow.getHandle(`block:${address}`).describe(), WorkflowNotFoundError, `no block workflow for ${address}`);
  }

  test('starts block:<canonical ip> as the authenticated principal, enforces it, and a repeat extends and never shortens', async () => {
    const ip = uniqueAddress();
    const before = Date.now();
    const posted = await api.call('POST', '/v1/blocks', { ip: ip.toUpperCase(), duration: '2h', reason: 'scanning our VPN' }, rita.auth);
    assert.equal(posted.status, 202, posted.text);
    assert.equal(posted.json.address, ip, 'the address is canonicalized');
    assert.equal(posted.json.workflowId, `block:${ip}`);
    assert.equal(posted.json.duration, '2h');
    assert.equal(posted.json.by, 'rita', 'the principal of the key, never a name from the body');
    const expiresAt = Date.parse(posted.json.expiresAt);
    assert.ok(expiresAt >= before + 2 * 3_600_000 && expiresAt <= Date.now() + 2 * 3_600_000 + 5_000, `expiresAt ${posted.json.expiresAt}`);

    const state = await riposte.client.workflow.getHandle(`block:${ip}`).query(blockStatusQuery);
    assert.equal(state.lastRequestedBy, 'rita', 'requestedBy is the principal');
    assert.equal(state.reason, 'scanning our VPN');
    await eventually('the address enforced', async () => ((await riposte.edl.read()).some((t) => t.address === ip) ? true : undefined));

    const shorter = await api.call('POST', '/v1/blocks', { ip, duration: '10m', reason: 'again' });
    assert.equal(shorter.status, 202);
    assert.equal(shorter.json.expiresAt, posted.json.expiresAt, 'a shorter request leaves the longer block as it is');
    const longer = await api.call('POST', '/v1/blocks', { ip, duration: '3h', reason: 'and again' });
    assert.ok(Date.parse(longer.json.expiresAt) > expiresAt, 'a longer request extends the same workflow');
    assert.equal(longer.json.workflowId, `block:${ip}`);

    const listed = await eventually('listed in /v1/blocks', async () => {
      const r = await api.call('GET', '/v1/blocks');
      return r.json.blocks.find((b: { address: string }) => b.address === ip);
    });
    assert.equal(listed.workflowId, `block:${ip}`);
    assert.equal((await api.call('DELETE', `/v1/blocks/${ip}`, { reason: 'done' })).status, 202);
    await eventually('the address removed', async () => ((await riposte.edl.read()).some((t) => t.address === ip) ? undefined : true));
  });

  test('a range: block:<network/prefix>, listed as it is, a network/prefix line in the feed, and DELETE takes it URL-encoded', async () => {
    const range = canonicalCidr(`${uniqueAddress()}/64`).text;
    const posted = await api.call('POST', '/v1/blocks', { ip: range.toUpperCase(), duration: '1h', reason: 'rotating within its /64' }, rita.auth);
    assert.equal(posted.status, 202, posted.text);
    assert.equal(posted.json.address, range, 'the range is canonicalized');
    assert.equal(posted.json.workflowId, `block:${range}`);
    await eventually('the range enforced', async () => ((await riposte.edl.read()).some((t) => t.address === range) ? true : undefined));
    const feed = await api.call('GET', '/v1/feeds/blocklist.txt');
    assert.ok(feed.text.split('\n').includes(range), feed.text);
    const listed = await eventually('listed in /v1/blocks', async () => (await api.call('GET', '/v1/blocks')).json.blocks.find((b: { address: string }) => b.address === range));
    assert.equal(listed.workflowId, `block:${range}`);

    // A full-length prefix is the address itself: the same block workflow as the bare address.
    const ip = uniqueAddress();
    const single = await api.call('POST', '/v1/blocks', { ip: `${ip}/128`, duration: '1h', reason: 'one host' }, rita.auth);
    assert.equal(single.status, 202, single.text);
    assert.deepEqual([single.json.address, single.json.workflowId], [ip, `block:${ip}`]);

    assert.equal((await api.call('DELETE', `/v1/blocks/${encodeURIComponent(range)}`, { reason: 'done' }, rita.auth)).status, 202);
    assert.equal((await api.call('DELETE', `/v1/blocks/${ip}`, undefined, rita.auth)).status, 202);
    await eventually('both removed', async () => ((await riposte.edl.read()).some((t) => t.address === range || t.address === ip) ? undefined : true));
  });

  test('the duration defaults to 24h', async () => {
    const ip = uniqueAddress();
    const posted = await api.call('POST', '/v1/blocks', { ip, reason: 'default duration' });
    assert.equal(posted.status, 202);
    assert.equal(posted.json.duration, '24h');
    assert.ok(Math.abs(Date.parse(posted.json.expiresAt) - (Date.now() + 86_400_000)) < 10_000);
    await api.call('DELETE', `/v1/blocks/${ip}`);
  });

  test('an allowlisted address is refused with 403 and no workflow is started, whatever form it is written in', async () => {
    const v6 = allowlistedAddress();
    const refused = await api.call('POST', '/v1/blocks', { ip: v6, reason: 'looks hostile' });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error, 'allowlisted');
    assert.match(refused.json.message, /is on the allowlist \(2001:db8:a11::\/48, policy test-/);
    assert.deepEqual(refused.json.issues, [{ path: 'ip', message: 'allowlisted by 2001:db8:a11::/48' }]);

    // ::ffff:198.51.100.77 is 198.51.100.77, inside 198.51.100.64/26.
    const mapped = await api.call('POST', '/v1/blocks', { ip: '::ffff:198.51.100.77', reason: 'looks hostile', duration: '1h' });
    assert.equal(mapped.status, 403);
    assert.match(mapped.json.message, /^198\.51\.100\.77 is on the allowlist \(198\.51\.100\.64\/26/);

    await assertNoBlockWorkflow(v6);
    await assertNoBlockWorkflow('198.51.100.77');
  });

  test('invalid requests get 400 with the field path and start nothing', async () => {
    const ip = uniqueAddress();
    const cases: { body: unknown; path: string; message: RegExp }[] = [
      { body: { ip: '010.0.0.1', reason: 'x' }, path: 'ip', message: /leading zeros/ },
      { body: { ip: '2130706433', reason: 'x' }, path: 'ip', message: /invalid IP address/ },
      { body: { ip: 'fe80::1%eth0', reason: 'x' }, path: 'ip', message: /zone ids/ },
      { body: { ip: '192.0.2.7/24', reason: 'x' }, path: 'ip', message: /host bits are set: the network is 192\.0\.2\.0\/24/ },
      { body: { ip: '192.0.2.0/33', reason: 'x' }, path: 'ip', message: /prefix above 32/ },
      { body: { ip, reason: 'x', duration: '24 hours' }, path: 'duration', message: /whole number/ },
      { body: { ip, reason: 'x', duration: '400d' }, path: 'duration', message: /at most 365d/ },
      { body: { ip }, path: 'reason', message: /expected string/ },
      { body: { ip, reason: '   ' }, path: 'reason', message: /say why/ },
      { body: { ip, reason: 'x', requestedBy: 'mallory' }, path: '(body)', message: /requestedBy/ },
      { body: '"just a string"', path: '(body)', message: /expected object/ },
    ];
    for (const { body, path, message } of cases) {
      const r = await api.call('POST', '/v1/blocks', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${r.text}`);
      assert.equal(r.json.error, 'validation_failed');
      const issue = r.json.issues.find((i: { path: string }) => i.path === path);
      assert.ok(issue, `${JSON.stringify(body)}: an issue at ${path} in ${r.text}`);
      assert.match(issue.message, message);
    }
    await assertNoBlockWorkflow(ip);
    assert.equal((await api.call('POST', '/v1/blocks', { ip, reason: 'x' }, {})).status, 401, 'no key, no block');
    await assertNoBlockWorkflow(ip);
  });
  test('GET /v1/blocks pages with limit and the cursor it names, newest first, and refuses a cursor it did not make', async () => {
    const mine = [uniqueAddress(), uniqueAddress(), uniqueAddress()];
    for (const ip of mine) assert.equal((await api.call('POST', '/v1/blocks', { ip, duration: '1h', reason: 'paging' })).status, 202);
    await eventually('all three listed', async () => {
      const seen: string[] = [];
      let cursor = '';
      for (let pages = 0; pages < 500; pages += 1) {
        const page = await api.call('GET', `/v1/blocks?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200, page.text);
        assert.ok(page.json.blocks.length <= 2);
        seen.push(...page.json.blocks.map((b: { address: string }) => b.address));
        if (!page.json.next) break;
        cursor = page.json.next;
      }
      return mine.every((ip) => seen.includes(ip)) ? true : undefined;
    });
    const bad = await api.call('GET', '/v1/blocks?cursor=not%20a%20cursor');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.issues.map((i: { path: string }) => i.path), ['query.cursor']);
    assert.equal((await api.call('GET', '/v1/blocks?limit=0')).status, 400);
    for (const ip of mine) await api.call('DELETE', `/v1/blocks/${ip}`);
  });
});
