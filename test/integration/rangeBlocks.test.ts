/**
 * Range blocks end to end. An admin blocks a range through the real API; real workers drop the range's packets with
 * nftables in a network namespace and list it in the pulled feed, while the attacker's address outside the range still
 * gets through; DELETE with the range URL-encoded lets it through again. Then the requests the API refuses, which start
 * nothing: a responder's range wider than the policy allows, a range over the allowlist, host bits set. Last, the
 * enforcement activities' own allowlist check on a range, with the API bypassed.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { createBlockActivities } from '../../activities/blocks.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createNftablesEnforcer, removeNftablesTable } from '../../activities/enforce/nftablesEnforcer.ts';
import { canonicalBlockTarget } from '../../domain/ip.ts';
import { blockShardOf, blockShardWorkflowId, blockWorkflowId } from '../../workflows/ids.ts';
import { approveSignal, rejectSignal, statusQuery, timelineQuery } from '../../workflows/messages.ts';
import { createNetnsPair, type HttpServer, type NetnsPair, netnsSkipReason } from '../support/netns.ts';
import { eventually, startApi, startRiposte, testKey, type TestApi, type TestRiposte, testPolicy } from '../support/temporal.ts';

const skip = await netnsSkipReason();

/** curl's exit status when its time limit ran out: the packets went nowhere. */
const CURL_TIMEOUT = 28;

/** A fresh documentation /64 (2001:db8::/32), so blocks of tests sharing the server never share an address. */
function uniqueRange64(): string {
  const [a, b] = [randomBytes(2), randomBytes(2)].map((x) => x.readUInt16BE(0).toString(16));
  return canonicalBlockTarget(`2001:db8:${a}:${b}::/64`).text;
}

describe('an admin blocks a range through the API: its packets are dropped, the rest are not, DELETE lets them through', { skip }, () => {
  // One of the four /26s of 203.0.113.0/24, at random, so another file blocking 203.0.113.0/24 never shares this
  // incident id; the policy's maximum width is /27, so this /26 is a wide range that needs an admin.
  const quarter = randomInt(4) * 64;
  const range = `203.0.113.${quarter}/26`;
  const attackerRangeIp = `203.0.113.${quarter + 1 + randomInt(62)}`;
  const policy = testPolicy({ maxBlockWidth: { ipv4: 27 }, enforcement: { points: ['nftables', 'edl'] } });
  const rita = testKey('rita', 'responder');
  let pair: NetnsPair;
  let http: HttpServer;
  let riposte: TestRiposte;
  let api: TestApi;

  before(async () => {
    pair = await createNetnsPair({ attackerIp: '192.0.2.71', attackerIp6: '2001:db8:1::71', attackerRangeIp });
    http = await pair.startHttpServer();
    const netns = pair.server;
    riposte = await startRiposte({
      policy,
      // startRiposte's `edl` (the API's feed) reads <dataDir>/edl.json, so the EDL point writes that same file.
      points: (dataDir) => [createNftablesEnforcer({ netns, allowlist: [] }), createEdlEnforcer(new EdlFile(join(dataDir, 'edl.json')))],
    });
    api = await startApi(riposte, policy, { keys: [rita.spec] });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
    if (pair) {
      await removeNftablesTable({ netns: pair.server }).catch(() => undefined);
      await pair.cleanup();
    }
  });

  const curl = (source: string, seconds = 2) => pair.exec(pair.attacker, ['curl', '-sS', '--interface', source, '-m', String(seconds), `http://${pair.serverIp}:${http.port}/`]);
  const feed = async () => (await api.call('GET', '/v1/feeds/blocklist.txt')).text.split('\n').filter(Boolean);
  const listed = async () => (await api.call('GET', '/v1/blocks')).json.blocks as Array<{ address: string; workflowId: string; expiresAt: string | null }>;

  it('a responder\'s request waits for another person, who is not the requester; nothing is blocked meanwhile', async () => {
    const posted = await api.call('POST', '/v1/blocks', { ip: range, duration: '1h', reason: 'botnet range' }, rita.auth);
    assert.equal(posted.status, 202, posted.text);
    assert.deepEqual([posted.json.incident, posted.json.status, posted.json.approvalsNeeded, posted.json.by], [`manual-block:${range}`, 'awaiting_approval', 1, 'rita']);
    const handle = riposte.client.workflow.getHandle(`manual-block:${range}`);
    await eventually('awaiting approval', async () => ((await handle.query(statusQuery)).status === 'awaiting_approval' ? true : undefined));
    await handle.signal(approveSignal, { by: 'rita' });
    const timeline = await eventually('the requester\'s approval refused', async () => {
      const entries = await handle.query(timelineQuery);
      return entries.some((e) => e.event === 'approve_ignored' && e.by === 'rita') ? entries : undefined;
    });
    assert.match(timeline.find((e) => e.event === 'approve_ignored')!.detail!, /rita asked for this action and cannot approve it/);
    assert.equal((await handle.query(statusQuery)).status, 'awaiting_approval');
    assert.equal(await riposte.blocks.read(range), null, 'nothing requested while the approval is pending');
    assert.equal((await curl(attackerRangeIp)).stdout, 'ok');
    await handle.signal(rejectSignal, { by: 'admin', reason: 'the next test blocks it directly' });
    await eventually('rejected', async () => ((await handle.query(statusQuery)).status === 'rejected' ? true : undefined));
  });

  it('an admin\'s request is the approval: its shard holds the range, and the kernel drops it', async () => {
    assert.equal((await curl(pair.attackerIp)).stdout, 'ok');
    const posted = await api.call('POST', '/v1/blocks', { ip: range, duration: '1h', reason: 'botnet range' });
    assert.equal(posted.status, 202, posted.text);
    assert.equal(posted.json.address, range);
    const shard = blockShardWorkflowId(riposte.taskQueue, blockShardOf(range));
    assert.equal(posted.json.workflowId, shard);
    assert.match(posted.json.by, /^api-key:[0-9a-f]{8}$/, 'the admin key\'s principal');
    await assert.rejects(riposte.client.workflow.getHandle(blockWorkflowId(range)).describe(), WorkflowNotFoundError, 'no block workflow of its own');

    await eventually('the range dropped', async () => ((await curl(attackerRangeIp, 1)).code === CURL_TIMEOUT ? true : undefined));
    assert.equal((await curl(pair.attackerIp)).stdout, 'ok', 'the attacker\'s address outside the range still gets through');
    await eventually('the range in the feed', async () => ((await feed()).includes(range) ? true : undefined));
    const block = await eventually('the range in GET /v1/blocks', async () => (await listed()).find((b) => b.address === range && b.expiresAt));
    assert.equal(block.workflowId, shard);
    const held = await riposte.blocks.read(range);
    assert.deepEqual([held?.state, held?.points.nftables?.state, held?.points.edl?.state], ['active', 'applied', 'applied'], 'held at both points');
    assert.equal(held?.requestedBy, posted.json.by);
  });

  it('DELETE /v1/blocks/<range, URL-encoded> lets the range through again and takes it off the feed', async () => {
    const path = `/v1/blocks/${encodeURIComponent(range)}`;
    assert.ok(path.includes('%2F'));
    const deleted = await api.call('DELETE', path, { reason: 'provider cleaned up' });
    assert.equal(deleted.status, 202, deleted.text);
    assert.deepEqual([deleted.json.address, deleted.json.unblocking], [range, true]);
    await eventually('the range through again', async () => ((await curl(attackerRangeIp, 1)).stdout === 'ok' ? true : undefined));
    await eventually('the feed without the range', async () => ((await feed()).includes(range) ? undefined : true));
    await eventually('the block gone from GET /v1/blocks', async () => ((await listed()).some((b) => b.address === range) ? undefined : true));
    assert.equal(await riposte.blocks.read(range), null, 'removed at every point, the entry is gone from its shard');
    assert.equal((await api.call('DELETE', path)).status, 404);
  });
});

describe('range requests the API refuses start nothing; the enforcement activities refuse one it never saw', () => {
  const allowlisted = '198.51.100.7';
  const allowlistedRange = '2001:db8:a13::/48';
  const policy = testPolicy({ allowlist: [allowlisted, allowlistedRange] });
  const rita = testKey('rita', 'responder');
  const sam = testKey('sam', 'responder');
  let riposte: TestRiposte;
  let api: TestApi;
  before(async () => {
    riposte = await startRiposte({ policy });
    api = await startApi(riposte, policy, { keys: [rita.spec, sam.spec] });
  });
  after(async () => {
    await api?.close();
    await riposte?.stop();
  });

  /** Read from its shard, which is strongly consistent: no request for the target ever reached it. */
  async function assertNotBlocked(target: string): Promise<void> {
    assert.equal(await riposte.blocks.read(target), null, `no block of ${target}`);
  }

  it('a responder\'s range wider than the default maximum (/48 for IPv6) needs approval; a /64 does not', async () => {
    const held = await api.call('POST', '/v1/blocks', { ip: '2001:DB8:FE00::/40', reason: 'whole provider' }, rita.auth);
    assert.equal(held.status, 202, held.text);
    assert.equal(held.json.incident, 'manual-block:2001:db8:fe00::/40');
    assert.match(held.json.message, /^2001:db8:fe00::\/40 is wider than \/48: it is blocked once another person approves/);
    await assertNotBlocked('2001:db8:fe00::/40');
    const again = await api.call('POST', '/v1/blocks', { ip: '2001:db8:fe00::/40', reason: 'me too' }, sam.auth);
    assert.equal(again.status, 409, 'a second requester may not join the first one\'s request and approve it');
    assert.match(again.json.message, /^manual-block:2001:db8:fe00::\/40 is already \w+, requested by rita: approve or reject it first$/);
    await riposte.client.workflow.getHandle('manual-block:2001:db8:fe00::/40').signal(rejectSignal, { by: 'admin', reason: 'test over' });

    const range = uniqueRange64();
    const allowed = await api.call('POST', '/v1/blocks', { ip: range, duration: '1h', reason: 'one subnet' }, rita.auth);
    assert.equal(allowed.status, 202, allowed.text);
    assert.equal(allowed.json.by, 'rita');
    await eventually('the /64 in the EDL', async () => ((await riposte.edl.read()).some((t) => t.address === range) ? true : undefined));
    assert.equal((await api.call('DELETE', `/v1/blocks/${encodeURIComponent(range)}`, undefined, rita.auth)).status, 202);
    await eventually('the /64 gone from the EDL', async () => ((await riposte.edl.read()).some((t) => t.address === range) ? undefined : true));
  });

  it('a range over an allowlisted address is refused with 403 naming the entry, even for an admin', async () => {
    const over = await api.call('POST', '/v1/blocks', { ip: '198.51.100.0/24', reason: 'scanner subnet' });
    assert.equal(over.status, 403, over.text);
    assert.equal(over.json.error, 'allowlisted');
    assert.match(over.json.message, /^198\.51\.100\.0\/24 covers addresses on the allowlist \(198\.51\.100\.7, policy test-\w+\), which are never blocked$/);
    assert.deepEqual(over.json.issues, [{ path: 'ip', message: `overlaps the allowlist entry ${allowlisted}` }]);

    // Inside an allowlisted range, and written as an IPv4-mapped range: the same refusal.
    const inside = await api.call('POST', '/v1/blocks', { ip: '2001:db8:a13:7::/64', reason: 'x' });
    assert.equal(inside.status, 403, inside.text);
    assert.deepEqual(inside.json.issues, [{ path: 'ip', message: `overlaps the allowlist entry ${allowlistedRange}` }]);
    const mapped = await api.call('POST', '/v1/blocks', { ip: '::ffff:198.51.100.0/125', reason: 'x' });
    assert.equal(mapped.status, 403, mapped.text);
    assert.match(mapped.json.message, /^198\.51\.100\.0\/29 covers addresses on the allowlist \(198\.51\.100\.7,/);

    for (const target of ['198.51.100.0/24', '2001:db8:a13:7::/64', '198.51.100.0/29']) await assertNotBlocked(target);
  });

  it('host bits set are refused with 400 at the field, in the body and in the DELETE path; nothing is widened', async () => {
    const posted = await api.call('POST', '/v1/blocks', { ip: '203.0.113.7/24', reason: 'typo' });
    assert.equal(posted.status, 400, posted.text);
    assert.equal(posted.json.error, 'validation_failed');
    assert.deepEqual(posted.json.issues, [{ path: 'ip', message: 'invalid IP address "203.0.113.7/24": host bits are set: the network is 203.0.113.0/24; give the network or a single address' }]);
    const deleted = await api.call('DELETE', `/v1/blocks/${encodeURIComponent('203.0.113.7/24')}`);
    assert.equal(deleted.status, 400, deleted.text);
    assert.deepEqual(deleted.json.issues.map((i: { path: string }) => i.path), ['ip']);
    await assertNotBlocked('203.0.113.0/24');
    await assertNotBlocked('203.0.113.7');
  });

  it('requestBlock refuses a range not in canonical form, and the enforcement activity refuses a range over the allowlist', async () => {
    const { requestBlock } = createBlockActivities({ client: riposte.client, taskQueue: riposte.taskQueue, enforcementTaskQueue: `${riposte.taskQueue}-enforcement` });
    const request = { durationMs: 3_600_000, reason: 'bypassing the API', requestedBy: 'test', points: ['edl'] };
    for (const address of ['2001:DB8:a13:9::/64', '2001:db8:a13:9::1/64', '198.51.100.0/024']) {
      await assert.rejects(requestBlock({ ...request, address }), { type: 'InvalidAddress', nonRetryable: true }, address);
    }
    await assertNotBlocked('2001:db8:a13:9::/64');
    await assertNotBlocked('2001:DB8:a13:9::/64');

    const range = canonicalBlockTarget(`2001:db8:a13:${randomBytes(2).readUInt16BE(0).toString(16)}::/64`).text;
    const lease = await requestBlock({ ...request, address: range });
    assert.deepEqual([lease.workflowId, lease.address], [blockShardWorkflowId(riposte.taskQueue, blockShardOf(range)), range]);
    assert.ok(lease.leaseId, 'a lease id to withdraw exactly this grant');
    const refused = await eventually('the EDL point refused', async () => {
      const block = await riposte.blocks.read(range);
      return block?.points.edl?.error ? block : undefined;
    });
    const error = refused.points.edl!.error!;
    assert.ok(error.includes(`${range} covers addresses allowlisted by ${allowlistedRange}`), error);
    assert.equal(refused.points.edl!.state, 'failed');
    assert.equal(refused.state, 'failed', 'refused by its only point, the block holds nowhere');
    assert.equal((await riposte.edl.read()).some((t) => t.address === range), false);
    assert.equal(await riposte.blocks.lift(range, 'test', 'test over'), true);
    await eventually('the entry gone from its shard', async () => ((await riposte.blocks.read(range)) === null ? true : undefined));
    assert.equal((await riposte.edl.read()).some((t) => t.address === range), false);
    assert.equal(await riposte.blocks.lift(range, 'test'), false, 'nothing left to lift');
  });
});
