import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { MAX_BLOCKS_PER_REQUEST } from '../../domain/acceptedValues.ts';
import { canonicalCidr } from '../../domain/ip.ts';
import { BLOCK_SHARDS, blockShardOf, blockShardWorkflowId, blockWorkflowId } from '../../workflows/ids.ts';
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
    // The production default body limit (RIPOSTE_MAX_BODY_BYTES), which a list of 10,000 short entries fits in.
    api = await startApi(riposte, policy, { keys: [rita.spec], maxBodyBytes: 1024 * 1024 });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
  });

  /** The shard that holds a target's block in this deployment. */
  const shardOf = (target: string) => blockShardWorkflowId(riposte.taskQueue, blockShardOf(target));

  /** Strongly consistent, unlike visibility: no request for the address ever reached its shard. */
  async function assertNotBlocked(address: string): Promise<void> {
    assert.equal(await riposte.blocks.read(address), null, `no block of ${address}`);
  }

  const enforced = async () => new Set((await riposte.edl.read()).map((t) => t.address));
  const feed = async () => new Set((await api.call('GET', '/v1/feeds/blocklist.txt')).text.split('\n').filter(Boolean));

  test('blocks the canonical ip in its shard as the authenticated principal, enforces it, and a repeat extends and never shortens', async () => {
    const ip = uniqueAddress();
    const before = Date.now();
    const posted = await api.call('POST', '/v1/blocks', { ip: ip.toUpperCase(), duration: '2h', reason: 'scanning our VPN' }, rita.auth);
    assert.equal(posted.status, 202, posted.text);
    assert.equal(posted.json.address, ip, 'the address is canonicalized');
    assert.equal(posted.json.workflowId, shardOf(ip), 'the shard that holds it');
    assert.equal(posted.json.duration, '2h');
    assert.equal(posted.json.by, 'rita', 'the principal of the key, never a name from the body');
    const expiresAt = Date.parse(posted.json.expiresAt);
    assert.ok(expiresAt >= before + 2 * 3_600_000 && expiresAt <= Date.now() + 2 * 3_600_000 + 5_000, `expiresAt ${posted.json.expiresAt}`);

    const state = await riposte.blocks.read(ip);
    assert.ok(state, 'blocked');
    assert.equal(state.workflowId, shardOf(ip));
    assert.equal(state.requestedBy, 'rita', 'requestedBy is the principal');
    assert.equal(state.reason, 'scanning our VPN');
    assert.equal(state.expiresAt, posted.json.expiresAt);
    assert.deepEqual(state.leases.map((l) => [l.requester, l.until, l.incident]), [['rita', posted.json.expiresAt, false]]);
    await assert.rejects(riposte.client.workflow.getHandle(blockWorkflowId(ip)).describe(), WorkflowNotFoundError, 'no block workflow of its own');
    await eventually('the address enforced', async () => ((await riposte.edl.read()).some((t) => t.address === ip) ? true : undefined));

    const shorter = await api.call('POST', '/v1/blocks', { ip, duration: '10m', reason: 'again' });
    assert.equal(shorter.status, 202);
    assert.equal(shorter.json.expiresAt, posted.json.expiresAt, 'a shorter request leaves the longer block as it is');
    const longer = await api.call('POST', '/v1/blocks', { ip, duration: '3h', reason: 'and again' });
    assert.ok(Date.parse(longer.json.expiresAt) > expiresAt, 'a longer request extends the same block');
    assert.equal(longer.json.workflowId, shardOf(ip));
    const extended = await riposte.blocks.read(ip);
    assert.deepEqual([extended?.requests, extended?.expiresAt, extended?.reason], [3, longer.json.expiresAt, 'and again'], 'one entry, three requests, the expiry and reason of the longest');

    const listed = await eventually('listed in /v1/blocks', async () => {
      const r = await api.call('GET', '/v1/blocks');
      return r.json.blocks.find((b: { address: string }) => b.address === ip);
    });
    assert.equal(listed.workflowId, shardOf(ip));
    const shown = await api.call('GET', `/v1/blocks/${ip}`);
    assert.deepEqual([shown.status, shown.json.address, shown.json.workflowId, shown.json.state], [200, ip, shardOf(ip), 'active']);
    assert.equal(shown.json.points.edl.state, 'applied');
    assert.equal((await api.call('DELETE', `/v1/blocks/${ip}`, { reason: 'done' })).status, 202);
    await eventually('the address removed', async () => ((await riposte.edl.read()).some((t) => t.address === ip) ? undefined : true));
    await eventually('the entry gone from its shard', async () => ((await riposte.blocks.read(ip)) === null ? true : undefined));
    assert.equal((await api.call('GET', `/v1/blocks/${ip}`)).status, 404);
    assert.equal((await api.call('DELETE', `/v1/blocks/${ip}`)).status, 404, 'nothing left to unblock');
  });

  test('a range: held as network/prefix in its shard, listed as it is, a network/prefix line in the feed, and DELETE takes it URL-encoded', async () => {
    const range = canonicalCidr(`${uniqueAddress()}/64`).text;
    const posted = await api.call('POST', '/v1/blocks', { ip: range.toUpperCase(), duration: '1h', reason: 'rotating within its /64' }, rita.auth);
    assert.equal(posted.status, 202, posted.text);
    assert.equal(posted.json.address, range, 'the range is canonicalized');
    assert.equal(posted.json.workflowId, shardOf(range));
    await eventually('the range enforced', async () => ((await riposte.edl.read()).some((t) => t.address === range) ? true : undefined));
    const feed = await api.call('GET', '/v1/feeds/blocklist.txt');
    assert.ok(feed.text.split('\n').includes(range), feed.text);
    const listed = await eventually('listed in /v1/blocks', async () => (await api.call('GET', '/v1/blocks')).json.blocks.find((b: { address: string }) => b.address === range));
    assert.equal(listed.workflowId, shardOf(range));

    // A full-length prefix is the address itself: the same block as the bare address.
    const ip = uniqueAddress();
    const single = await api.call('POST', '/v1/blocks', { ip: `${ip}/128`, duration: '1h', reason: 'one host' }, rita.auth);
    assert.equal(single.status, 202, single.text);
    assert.deepEqual([single.json.address, single.json.workflowId], [ip, shardOf(ip)]);
    assert.equal((await riposte.blocks.read(`${ip}/128`)), null, 'never held under a second spelling');
    const bare = await api.call('POST', '/v1/blocks', { ip, duration: '1h', reason: 'the same host' }, rita.auth);
    assert.equal(bare.status, 202, bare.text);
    assert.equal((await riposte.blocks.read(ip))?.requests, 2, 'the bare address is the same block');

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

  test('an allowlisted address is refused with 403 and nothing is requested, whatever form it is written in', async () => {
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

    await assertNotBlocked(v6);
    await assertNotBlocked('198.51.100.77');
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
    await assertNotBlocked(ip);
    assert.equal((await api.call('POST', '/v1/blocks', { ip, reason: 'x' }, {})).status, 401, 'no key, no block');
    await assertNotBlocked(ip);
  });
  test('GET /v1/blocks pages with limit and the cursor it names, in shard-then-address order, and refuses a cursor it did not make', async () => {
    const mine = [uniqueAddress(), uniqueAddress(), uniqueAddress()];
    for (const ip of mine) assert.equal((await api.call('POST', '/v1/blocks', { ip, duration: '1h', reason: 'paging' })).status, 202);
    const seen = await eventually('all three listed', async () => {
      const addresses: string[] = [];
      let cursor = '';
      for (let pages = 0; pages < 500; pages += 1) {
        const page = await api.call('GET', `/v1/blocks?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(page.status, 200, page.text);
        assert.ok(page.json.blocks.length <= 2);
        addresses.push(...page.json.blocks.map((b: { address: string }) => b.address));
        if (!page.json.next) break;
        assert.match(page.json.next, /^[0-9]+(\.[A-Za-z0-9_-]+)?$/, 'a cursor is <shard> or <shard>.<base64url>');
        cursor = page.json.next;
      }
      return mine.every((ip) => addresses.includes(ip)) ? addresses : undefined;
    });
    assert.equal(new Set(seen).size, seen.length, 'no block on two pages');
    const order = seen.map((address) => [blockShardOf(address), address] as const);
    const sorted = [...order].sort(([shardA, a], [shardB, b]) => shardA - shardB || (a < b ? -1 : a > b ? 1 : 0));
    assert.deepEqual(order, sorted, 'shard by shard, in address order within one');
    const whole = await api.call('GET', '/v1/blocks');
    assert.ok(mine.every((ip) => whole.json.blocks.some((b: { address: string }) => b.address === ip)), 'one page of the default limit holds them all');
    assert.equal(whole.json.next, null);

    for (const cursor of ['not%20a%20cursor', String(BLOCK_SHARDS), '-1', '3.not!base64']) {
      const bad = await api.call('GET', `/v1/blocks?cursor=${cursor}`);
      assert.equal(bad.status, 400, `${cursor}: ${bad.text}`);
      assert.deepEqual(bad.json.issues.map((i: { path: string }) => i.path), ['query.cursor'], cursor);
    }
    assert.equal((await api.call('GET', '/v1/blocks?limit=0')).status, 400);
    for (const ip of mine) await api.call('DELETE', `/v1/blocks/${ip}`);
  });

  describe('an array: a threat list imported at once', () => {
    test('202 with the number requested, each entry a block of its own as the principal, every one in the EDL feed', async () => {
      const v4 = `198.18.${1 + Math.floor(Math.random() * 250)}.${1 + Math.floor(Math.random() * 250)}`;
      const range = canonicalCidr(`${uniqueAddress()}/64`).text;
      const addresses = Array.from({ length: 150 }, () => uniqueAddress());
      const entries = [
        ...addresses.map((ip, i) => ({ ip: i % 2 === 0 ? ip.toUpperCase() : ip, reason: `threat feed entry ${i}`, ...(i % 3 === 0 ? { duration: '2h' } : {}) })),
        { ip: v4, reason: 'threat feed v4', duration: '30m' },
        { ip: range.toUpperCase(), reason: 'threat feed range' },
      ];
      const all = [...addresses, v4, range];
      const posted = await api.call('POST', '/v1/blocks', entries, rita.auth);
      assert.equal(posted.status, 202, posted.text);
      assert.deepEqual(posted.json, { requested: entries.length, by: 'rita' });
      assert.ok(new Set(all.map(blockShardOf)).size > 32, 'the list spans most shards');

      await eventually('every entry in the EDL feed', async () => {
        const [file, served] = [await enforced(), await feed()];
        return all.every((target) => file.has(target) && served.has(target)) ? true : undefined;
      }, 30_000);
      for (const [i, target] of all.entries()) {
        const block = await riposte.blocks.read(target);
        assert.ok(block, `${target} is blocked`);
        assert.deepEqual([block.address, block.workflowId, block.state, block.requestedBy, block.requests], [target, shardOf(target), 'active', 'rita', 1], target);
        assert.equal(block.reason, entries[i]!.reason);
        const durationMs = entries[i]!.duration === '2h' ? 7_200_000 : entries[i]!.duration === '30m' ? 1_800_000 : 86_400_000;
        assert.ok(Math.abs(Date.parse(block.expiresAt!) - Date.parse(block.since) - durationMs) < 1_000, `${target} for ${entries[i]!.duration ?? 'the default 24h'}`);
      }

      await Promise.all(all.map((target) => riposte.blocks.lift(target, 'test', 'test over')));
      await eventually('every entry off the feed', async () => {
        const served = await feed();
        return all.some((target) => served.has(target)) ? undefined : true;
      }, 30_000);
    });

    test('one allowlisted entry refuses the whole list with 400 naming <index>.ip, and nothing is requested', async () => {
      const addresses = Array.from({ length: 5 }, () => uniqueAddress());
      const allowlisted = allowlistedAddress();
      const entries = [
        ...addresses.slice(0, 2).map((ip) => ({ ip, reason: 'threat feed' })),
        { ip: allowlisted, reason: 'threat feed' },
        ...addresses.slice(2).map((ip) => ({ ip, reason: 'threat feed' })),
      ];
      const refused = await api.call('POST', '/v1/blocks', entries, rita.auth);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json.error, 'validation_failed');
      assert.match(refused.json.message, /^1 of 6 entries cannot be blocked; nothing was requested$/);
      assert.deepEqual(refused.json.issues, [{ path: '[2].ip', message: 'allowlisted by 2001:db8:a11::/48' }]);

      // Written as an IPv4-mapped address, a range over an allowlisted one, a range that would need approval: each
      // refused at its own index, the rest of the list with them.
      const wide = canonicalCidr(`2001:db8:${randomBytes(1).toString('hex')}00::/40`).text;
      const mixed = await api.call('POST', '/v1/blocks', [
        { ip: addresses[0], reason: 'x' }, { ip: '::ffff:198.51.100.77', reason: 'x' }, { ip: '198.51.100.0/24', reason: 'x' }, { ip: wide, reason: 'x' },
      ], rita.auth);
      assert.equal(mixed.status, 400, mixed.text);
      assert.deepEqual(mixed.json.issues, [
        { path: '[1].ip', message: 'allowlisted by 198.51.100.64/26' },
        { path: '[2].ip', message: 'overlaps the allowlist entry 198.51.100.64/26' },
        { path: '[3].ip', message: 'wider than the policy\'s maxBlockWidth: request it alone, for approval' },
      ]);
      await assert.rejects(riposte.client.workflow.getHandle(`manual-block:${wide}`).describe(), WorkflowNotFoundError, 'no approval incident for the wide range');

      for (const target of [...addresses, allowlisted, '198.51.100.77', '198.51.100.0/24', wide]) await assertNotBlocked(target);
      const file = await enforced();
      assert.ok(!addresses.some((ip) => file.has(ip)), 'none of the list reached the EDL');
    });

    const invalidList = (first: string, last: string) => [{ ip: first, reason: 'x' }, { ip: '010.0.0.1', reason: 'x' }, { ip: last, reason: 'x', duration: '400d' }];

    test('an invalid entry refuses the whole list with 400 at that entry, and nothing is requested', async () => {
      const [first, last] = [uniqueAddress(), uniqueAddress()];
      const refused = await api.call('POST', '/v1/blocks', invalidList(first, last), rita.auth);
      assert.equal(refused.status, 400, refused.text);
      assert.equal(refused.json.error, 'validation_failed');
      const paths = refused.json.issues.map((i: { path: string }) => i.path);
      assert.ok(paths.some((path: string) => /^\[?1\]?\.ip$/.test(path)), `an issue at entry 1's ip in ${refused.text}`);
      assert.ok(paths.some((path: string) => /^\[?2\]?\.duration$/.test(path)), `an issue at entry 2's duration in ${refused.text}`);
      await assertNotBlocked(first);
      await assertNotBlocked(last);
    });

    // One form for every refusal, which the CLI (cli/blockList.ts) maps back to the lines of a file.
    test('an invalid entry is named `[<index>].ip`, as an allowlisted one is', async () => {
      const refused = await api.call('POST', '/v1/blocks', invalidList(uniqueAddress(), uniqueAddress()), rita.auth);
      assert.equal(refused.status, 400, refused.text);
      assert.deepEqual(refused.json.issues.map((i: { path: string }) => i.path).sort(), ['[1].ip', '[2].duration']);
    });

    test(`a list over ${MAX_BLOCKS_PER_REQUEST} entries, or an empty one, gets 400 and requests nothing`, async () => {
      const over = Array.from({ length: MAX_BLOCKS_PER_REQUEST + 1 }, (_, i) => ({ ip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, reason: 'x' }));
      const refused = await api.call('POST', '/v1/blocks', over, rita.auth);
      assert.equal(refused.status, 400, refused.text.slice(0, 500));
      assert.equal(refused.json.error, 'validation_failed');
      assert.ok(refused.json.issues.some((i: { message: string }) => i.message.includes(`at most ${MAX_BLOCKS_PER_REQUEST} blocks a request`)), JSON.stringify(refused.json.issues));
      for (const { ip } of [over[0]!, over[MAX_BLOCKS_PER_REQUEST]!]) await assertNotBlocked(ip);

      const empty = await api.call('POST', '/v1/blocks', [], rita.auth);
      assert.equal(empty.status, 400, empty.text);
      assert.ok(empty.json.issues.some((i: { message: string }) => i.message.includes('at least one block')), empty.text);
    });
  });
});
