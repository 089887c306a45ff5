import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createNftablesEnforcer, removeNftablesTable } from '../../activities/enforce/nftablesEnforcer.ts';
import type { EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { canonicalCidr } from '../../domain/ip.ts';
import { createNetnsPair, type HttpServer, type NetnsPair, netnsSkipReason, openKeepAlive as openKeepAliveTo } from '../support/netns.ts';

describe('nftables enforcer against real packets', { skip: await netnsSkipReason() }, () => {
  let pair: NetnsPair;
  let http: HttpServer;
  let enforcer: EnforcementPoint;
  let firstExpiry = 0;

  const curl = (url: string, seconds = 2) => pair.exec(pair.attacker, ['curl', '-sS', '-m', String(seconds), url]);
  const curl4 = (seconds?: number) => curl(`http://${pair.serverIp}:${http.port}/`, seconds);
  const curl6 = (seconds?: number) => curl(`http://[${pair.serverIp6}]:${http.port}/`, seconds);
  const entry = async (address: string) => (await enforcer.list()).filter((target) => target.address === address);

  const openKeepAlive = () => openKeepAliveTo(pair, pair.serverIp, http.port);

  async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
    const start = performance.now();
    try {
      return await work();
    } finally {
      console.log(`${label}: ${(performance.now() - start).toFixed(1)} ms`);
    }
  }

  before(async () => {
    pair = await createNetnsPair();
    http = await pair.startHttpServer();
    enforcer = createNftablesEnforcer({ netns: pair.server, allowlist: [canonicalCidr('192.0.2.1/32')] });
  });

  after(async () => {
    if (!pair) return;
    await removeNftablesTable({ netns: pair.server });
    await removeNftablesTable({ netns: pair.server });
    await pair.cleanup();
    await pair.cleanup();
  });

  it('lets the attacker through before any block, on both families and on a kept-alive socket', async () => {
    assert.deepEqual(await curl4(), { stdout: 'ok', stderr: '', code: 0 });
    assert.equal((await curl6()).stdout, 'ok');
    const connection = await openKeepAlive();
    assert.equal(await connection.request(), 'answered');
  });

  it('cuts an established connection and drops new ones', async () => {
    const connection = await openKeepAlive();
    firstExpiry = Date.now() + 60_000;
    await timed('first apply (ensures the table)', () => enforcer.apply({ address: pair.attackerIp, expiresAt: firstExpiry }));
    assert.equal(await connection.request(), 'timeout');
    assert.equal((await curl4()).code, 28, 'curl should time out');
  });

  it('lists the block with its timeout, and an extension rewrites it', async () => {
    const [listed] = await entry(pair.attackerIp);
    assert.ok(listed);
    assert.ok(Math.abs(listed.expiresAt - firstExpiry) < 2_000, `expires ${listed.expiresAt - firstExpiry} ms off`);

    const later = Date.now() + 600_000;
    await timed('extending apply', () => enforcer.apply({ address: pair.attackerIp, expiresAt: later }));
    await enforcer.apply({ address: pair.attackerIp, expiresAt: later });
    const entries = await entry(pair.attackerIp);
    assert.equal(entries.length, 1);
    assert.ok(Math.abs(entries[0]!.expiresAt - later) < 2_000, `expires ${entries[0]!.expiresAt - later} ms off`);
    assert.notEqual((await curl4(1)).code, 0);
  });

  it('keeps existing blocks when another enforcer instance ensures the table again', async () => {
    const fresh = createNftablesEnforcer({ netns: pair.server, allowlist: [] });
    assert.equal((await fresh.list()).filter((target) => target.address === pair.attackerIp).length, 1);
    assert.notEqual((await curl4(1)).code, 0);
  });

  it('remove lets traffic through again, and removing twice is harmless', async () => {
    await timed('remove', () => enforcer.remove(pair.attackerIp));
    assert.equal((await curl4()).stdout, 'ok');
    await enforcer.remove(pair.attackerIp);
    assert.deepEqual(await entry(pair.attackerIp), []);
  });

  it('an expiry already past removes the block', async () => {
    await enforcer.apply({ address: pair.attackerIp, expiresAt: Date.now() + 60_000 });
    await enforcer.apply({ address: pair.attackerIp, expiresAt: Date.now() - 1_000 });
    assert.deepEqual(await entry(pair.attackerIp), []);
    assert.equal((await curl4()).stdout, 'ok');
  });

  it('the kernel expires a short block without any call to remove', async () => {
    const appliedAt = Date.now();
    await enforcer.apply({ address: pair.attackerIp, expiresAt: appliedAt + 2_000 });
    assert.notEqual((await curl4(1)).code, 0, 'blocked while the timeout runs');
    await sleep(appliedAt + 3_000 - Date.now());
    assert.equal((await curl4()).stdout, 'ok');
    assert.deepEqual(await entry(pair.attackerIp), []);
  });

  it('blocks an IPv6 attacker through blocked6 only', async () => {
    await enforcer.apply({ address: pair.attackerIp6, expiresAt: Date.now() + 60_000 });
    assert.equal((await curl6()).code, 28, 'curl over IPv6 should time out');
    assert.equal((await curl4()).stdout, 'ok');
    assert.equal((await entry(pair.attackerIp6)).length, 1);
    await enforcer.remove(pair.attackerIp6);
    assert.equal((await curl6()).stdout, 'ok');
  });

  it('refuses an allowlisted address and adds nothing', async () => {
    const guarded = createNftablesEnforcer({ netns: pair.server, allowlist: [canonicalCidr('192.0.2.64/26')] });
    await assert.rejects(guarded.apply({ address: pair.attackerIp, expiresAt: Date.now() + 60_000 }), { type: 'AllowlistViolation', nonRetryable: true });
    assert.deepEqual(await guarded.list(), []);
    assert.equal((await curl4()).stdout, 'ok');
  });

  it('refuses addresses that are not canonical, without echoing them', async () => {
    for (const address of ['::ffff:192.0.2.66', '010.0.0.1', '2130706433', '2001:DB8:1::66', '192.0.2.66/32', '192.0.2.66 }; flush ruleset; {', '']) {
      await assert.rejects(enforcer.apply({ address, expiresAt: Date.now() + 60_000 }), (err: Error & { type?: string }) => {
        assert.equal(err.type, 'InvalidAddress', address);
        assert.ok(!address || !err.message.includes(address), err.message);
        return true;
      });
      await assert.rejects(enforcer.remove(address), { type: 'InvalidAddress' });
    }
    assert.deepEqual(await enforcer.list(), []);
    assert.equal((await curl4()).stdout, 'ok');
  });
});
