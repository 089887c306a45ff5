import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createNftablesEnforcer, type NftTransaction, removeNftablesTable } from '../../activities/enforce/nftablesEnforcer.ts';
import type { EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { canonicalCidr, canonicalIp } from '../../domain/ip.ts';
import { createNetnsPair, type HttpServer, type NetnsPair, netnsSkipReason, openKeepAlive as openKeepAliveTo } from '../support/netns.ts';

/** A table laid out as the enforcer did before ranges: blocked4/blocked6 and their two rules only. */
const LEGACY = 'inet riposte_legacy';

/** A real nft behind a wrapper that refuses any transaction mentioning `marker`; returns the wrapper's path. */
async function refusingNft(dir: string, marker: string): Promise<string> {
  const nftPath = execFileSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' }).trim();
  assert.ok(nftPath.startsWith('/'), 'nft is on PATH');
  const wrapper = join(dir, `nft-refusing-${marker.replace(/[^0-9a-z]/g, '_')}`);
  await writeFile(wrapper, [
    '#!/bin/sh',
    'input=$(cat)',
    `case "$input" in *${marker}*) echo "Error: the test wrapper refuses ${marker}" >&2; exit 1;; esac`,
    `printf '%s\\n' "$input" | exec '${nftPath}' "$@"`,
    '',
  ].join('\n'));
  await chmod(wrapper, 0o755);
  return wrapper;
}

describe('nftables enforcer against real packets', { skip: await netnsSkipReason() }, () => {
  let pair: NetnsPair;
  let http: HttpServer;
  let enforcer: EnforcementPoint;
  let firstExpiry = 0;

  const curl = (url: string, seconds = 2) => pair.exec(pair.attacker, ['curl', '-sS', '-m', String(seconds), url]);
  const curl4 = (seconds?: number) => curl(`http://${pair.serverIp}:${http.port}/`, seconds);
  const curl6 = (seconds?: number) => curl(`http://[${pair.serverIp6}]:${http.port}/`, seconds);
  /** From the attacker's address in 203.0.113.0/24, a range that does not hold the server. */
  const curlFromRange = (seconds = 2) => pair.exec(pair.attacker, ['curl', '-sS', '--interface', pair.attackerRangeIp, '-m', String(seconds), `http://${pair.serverIp}:${http.port}/`]);
  const nftIn = (...args: string[]) => pair.exec(pair.server, ['nft', ...args]);
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
    await removeNftablesTable({ netns: pair.server, table: LEGACY });
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

  it('blocks a /24 and an IPv6 /64 by the packets\' source, and removing each lets traffic through again', async () => {
    assert.equal((await curlFromRange()).stdout, 'ok');
    const expiresAt = Date.now() + 60_000;
    await timed('apply of a /24 (makes its set)', () => enforcer.apply({ address: '203.0.113.0/24', expiresAt }));
    assert.equal((await curlFromRange()).code, 28, 'the attacker\'s address inside the /24 is dropped');
    assert.equal((await curl4()).stdout, 'ok', 'its address outside the /24 is not');
    const [listed] = await entry('203.0.113.0/24');
    assert.ok(listed && Math.abs(listed.expiresAt - expiresAt) < 2_000, JSON.stringify(listed));

    await enforcer.apply({ address: '2001:db8:1::/64', expiresAt });
    assert.equal((await curl6()).code, 28, 'the attacker\'s IPv6 /64 is dropped');
    assert.deepEqual((await enforcer.list()).map((t) => t.address).sort(), ['2001:db8:1::/64', '203.0.113.0/24']);
    const chain = (await nftIn('list', 'chain', 'inet', 'riposte', 'prerouting')).stdout;
    assert.match(chain, /ip saddr & 255\.255\.255\.0 == @blocked4_24 drop/);
    assert.match(chain, /ip6 saddr & ffff:ffff:ffff:ffff:: == @blocked6_64 drop/);

    await enforcer.remove('2001:db8:1::/64');
    assert.equal((await curl6()).stdout, 'ok');
    await enforcer.remove('203.0.113.0/24');
    await enforcer.remove('203.0.113.0/24');
    assert.equal((await curlFromRange()).stdout, 'ok');
    assert.deepEqual(await enforcer.list(), []);
  });

  it('an address inside a blocked range, ranges over blocked addresses and nested ranges share one transaction, and each comes off on its own', async () => {
    const transactions: NftTransaction[] = [];
    const observed = createNftablesEnforcer({ netns: pair.server, allowlist: [canonicalCidr('192.0.2.1/32')], onTransaction: (t) => transactions.push(t) });
    const expiresAt = Date.now() + 60_000;
    await observed.apply({ address: '203.0.113.64/26', expiresAt });
    await observed.apply({ address: '198.51.100.9', expiresAt });
    transactions.length = 0;
    await Promise.all([
      observed.apply({ address: pair.attackerRangeIp, expiresAt }), // inside the blocked /26
      observed.apply({ address: '203.0.113.0/24', expiresAt }), // over the /26 and that address
      observed.apply({ address: '203.0.113.0/25', expiresAt }), // between the two
      observed.apply({ address: '198.51.100.0/25', expiresAt }), // over the blocked 198.51.100.9
      observed.apply({ address: '2001:db8:1::/64', expiresAt }), // unrelated, same batch
    ]);
    assert.deepEqual(transactions.map((t) => [t.operations, t.ok, t.retry]), [[5, true, false]], 'one transaction, no failure to bisect');
    assert.deepEqual((await observed.list()).map((t) => t.address).sort(), [
      '198.51.100.0/25', '198.51.100.9', '2001:db8:1::/64', '203.0.113.0/24', '203.0.113.0/25', '203.0.113.64/26', pair.attackerRangeIp,
    ].sort());
    assert.equal((await curl6()).code, 28);

    // Every block over the attacker's address goes, one at a time; it is dropped until the last one is gone.
    for (const address of ['203.0.113.0/24', '203.0.113.0/25', '203.0.113.64/26']) {
      await observed.remove(address);
      assert.equal((await curlFromRange(1)).code, 28, `still dropped after removing ${address}`);
    }
    await observed.remove(pair.attackerRangeIp);
    assert.equal((await curlFromRange()).stdout, 'ok');
    assert.deepEqual((await observed.list()).map((t) => t.address).sort(), ['198.51.100.0/25', '198.51.100.9', '2001:db8:1::/64']);
    await Promise.all(['198.51.100.0/25', '198.51.100.9', '2001:db8:1::/64'].map((address) => observed.remove(address)));
    assert.deepEqual(await observed.list(), []);
    assert.equal((await curl6()).stdout, 'ok');
  });

  it('a table made before ranges keeps its sets and their blocks, and gains the range sets beside them', async () => {
    const [family, name] = LEGACY.split(' ') as [string, string];
    for (const args of [
      ['add', 'table', family, name],
      ['add', 'set', family, name, 'blocked4', '{ type ipv4_addr; flags timeout; }'],
      ['add', 'set', family, name, 'blocked6', '{ type ipv6_addr; flags timeout; }'],
      ['add', 'chain', family, name, 'prerouting', '{ type filter hook prerouting priority raw; policy accept; }'],
      ['add', 'rule', family, name, 'prerouting', 'ip', 'saddr', '@blocked4', 'drop'],
      ['add', 'rule', family, name, 'prerouting', 'ip6', 'saddr', '@blocked6', 'drop'],
      ['add', 'element', family, name, 'blocked4', `{ ${pair.attackerIp} timeout 600s }`],
    ]) {
      const result = await nftIn(...args);
      assert.equal(result.code, 0, `nft ${args.join(' ')}: ${result.stderr}`);
    }
    assert.equal((await curl4(1)).code, 28, 'the old layout drops the attacker');

    const upgraded = createNftablesEnforcer({ netns: pair.server, table: LEGACY, allowlist: [] });
    await upgraded.apply({ address: '203.0.113.0/24', expiresAt: Date.now() + 60_000 });
    const listed = new Map((await upgraded.list()).map((t) => [t.address, t.expiresAt]));
    assert.deepEqual([...listed.keys()].sort(), [pair.attackerIp, '203.0.113.0/24'].sort());
    assert.ok(Math.abs(listed.get(pair.attackerIp)! - (Date.now() + 600_000)) < 5_000, 'the old block keeps its timeout');
    assert.equal((await curl4(1)).code, 28, 'the old block still drops');
    assert.equal((await curlFromRange(1)).code, 28, 'and so does the new range');
    const sets = JSON.parse((await nftIn('-j', 'list', 'set', family, name, 'blocked4')).stdout).nftables[1].set;
    assert.deepEqual(sets.flags, ['timeout'], 'blocked4 is the same set, not a recreated one');

    await removeNftablesTable({ netns: pair.server, table: LEGACY });
    assert.equal((await curl4()).stdout, 'ok');
    assert.equal((await curlFromRange()).stdout, 'ok');
  });

  it('refuses a range over an allowlisted address, whichever contains the other', async () => {
    const guarded = createNftablesEnforcer({ netns: pair.server, allowlist: ['192.0.2.1', '203.0.113.128/25'].map(canonicalCidr) });
    for (const [address, message] of [
      ['192.0.2.0/24', /^192\.0\.2\.0\/24 covers addresses allowlisted by 192\.0\.2\.1$/],
      ['203.0.113.0/24', /^203\.0\.113\.0\/24 covers addresses allowlisted by 203\.0\.113\.128\/25$/],
      ['203.0.113.192/26', /^203\.0\.113\.192\/26 covers addresses allowlisted by 203\.0\.113\.128\/25$/],
    ] as const) {
      await assert.rejects(guarded.apply({ address, expiresAt: Date.now() + 60_000 }), { type: 'AllowlistViolation', nonRetryable: true, message });
    }
    await guarded.apply({ address: '203.0.113.0/25', expiresAt: Date.now() + 60_000 });
    assert.equal((await curlFromRange(1)).code, 28, 'the half without allowlisted addresses is blocked');
    await guarded.remove('203.0.113.0/25');
    assert.deepEqual(await guarded.list(), []);
  });

  it('refuses an allowlisted address and adds nothing', async () => {
    const guarded = createNftablesEnforcer({ netns: pair.server, allowlist: [canonicalCidr('192.0.2.64/26')] });
    await assert.rejects(guarded.apply({ address: pair.attackerIp, expiresAt: Date.now() + 60_000 }), { type: 'AllowlistViolation', nonRetryable: true });
    assert.deepEqual(await guarded.list(), []);
    assert.equal((await curl4()).stdout, 'ok');
  });

  it('refuses addresses that are not canonical, without echoing them', async () => {
    for (const address of [
      '::ffff:192.0.2.66', '010.0.0.1', '2130706433', '2001:DB8:1::66', '192.0.2.66/32', '192.0.2.66 }; flush ruleset; {', '',
      '203.0.113.66/24', '203.0.113.0/024', '2001:DB8:1::/64', '::ffff:203.0.113.0/120', '203.0.113.0/24 timeout 1s', '203.0.113.0/33',
    ]) {
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

  describe('group commit', () => {
    // Tables of their own, so the packet tests above keep an empty riposte table.
    const BULK = 'inet riposte_bulk';
    const FAULTY = 'inet riposte_faulty';
    const RANGED = 'inet riposte_ranged';
    let wrapperDir: string | undefined;
    const scratchDir = async () => (wrapperDir ??= await mkdtemp(join(tmpdir(), 'riposte-nft-')));

    after(async () => {
      if (!pair) return;
      for (const table of [BULK, FAULTY, RANGED]) await removeNftablesTable({ netns: pair.server, table });
      if (wrapperDir) await rm(wrapperDir, { recursive: true, force: true });
    });

    /** Distinct documentation-range addresses, canonical: some IPv4 (198.51.100.0/24), the rest IPv6 (2001:db8:5::/48). */
    const addresses = (count: number) => Array.from({ length: count }, (_, i) => canonicalIp(i < 200 ? `198.51.100.${i + 1}` : `2001:db8:5::${i.toString(16)}`).address);

    it('5,000 concurrent applies all land, in far fewer nft transactions than calls, and so do 5,000 removes', async () => {
      const transactions: NftTransaction[] = [];
      const bulk = createNftablesEnforcer({ netns: pair.server, table: BULK, allowlist: [], onTransaction: (t) => transactions.push(t) });
      const targets = addresses(5_000);
      const expiresAt = Date.now() + 3_600_000;
      await timed('5,000 concurrent applies', () => Promise.all(targets.map((address) => bulk.apply({ address, expiresAt }))));

      const listed = await bulk.list();
      assert.equal(listed.length, 5_000);
      assert.deepEqual(new Set(listed.map((t) => t.address)), new Set(targets));
      assert.ok(listed.every((t) => Math.abs(t.expiresAt - expiresAt) < 3_000), 'every element carries its own timeout');
      assert.ok(transactions.every((t) => t.ok && !t.retry), JSON.stringify(transactions));
      assert.equal(transactions.reduce((sum, t) => sum + t.operations, 0), 5_000);
      assert.ok(transactions.length <= 5, `${transactions.length} transactions for 5,000 calls`);
      console.log(`applies: ${transactions.length} transaction(s) of ${transactions.map((t) => t.operations).join(', ')} calls`);

      transactions.length = 0;
      // Calls that arrive while a transaction runs are carried by the next one: here in waves, not all in one tick.
      await timed('5,000 removes in waves', () => Promise.all(targets.map(async (address, i) => {
        await sleep(20 * Math.floor(i / 500));
        await bulk.remove(address);
      })));
      assert.deepEqual(await bulk.list(), []);
      assert.ok(transactions.length <= 10, `${transactions.length} transactions for 5,000 calls`);
      assert.ok(transactions.length > 1);
      console.log(`removes: ${transactions.length} transaction(s) of ${transactions.map((t) => t.operations).join(', ')} calls`);
    });

    it('calls on one address in one batch keep their order', async () => {
      const transactions: NftTransaction[] = [];
      const bulk = createNftablesEnforcer({ netns: pair.server, table: BULK, allowlist: [], onTransaction: (t) => transactions.push(t) });
      const soon = Date.now() + 60_000;
      const later = Date.now() + 600_000;
      await Promise.all([
        bulk.apply({ address: '198.51.100.20', expiresAt: later }),
        bulk.apply({ address: '2001:db8:5::20', expiresAt: soon }),
        bulk.remove('198.51.100.20'),
        bulk.apply({ address: '198.51.100.21', expiresAt: later }),
        bulk.apply({ address: '2001:db8:5::20', expiresAt: later }),
        bulk.remove('198.51.100.22'),
        bulk.apply({ address: '198.51.100.23', expiresAt: Date.now() - 1_000 }),
      ]);
      assert.deepEqual(transactions.map((t) => [t.operations, t.ok]), [[7, true]]);
      const listed = new Map((await bulk.list()).map((t) => [t.address, t.expiresAt]));
      assert.deepEqual([...listed.keys()].sort(), ['198.51.100.21', '2001:db8:5::20']);
      assert.ok(Math.abs(listed.get('2001:db8:5::20')! - later) < 2_000, 'the later apply of the same address won');
      await Promise.all(['198.51.100.21', '2001:db8:5::20'].map((address) => bulk.remove(address)));
      assert.deepEqual(await bulk.list(), []);
    });

    it('a batch with one failing call commits the others and rejects only that one', async () => {
      const marker = '2001:db8:bad::1';
      const wrapper = await refusingNft(await scratchDir(), marker);

      const transactions: NftTransaction[] = [];
      const faulty = createNftablesEnforcer({ netns: pair.server, table: FAULTY, nftPath: wrapper, allowlist: [], onTransaction: (t) => transactions.push(t) });
      const expiresAt = Date.now() + 600_000;
      await faulty.apply({ address: '198.51.100.1', expiresAt });
      transactions.length = 0;

      const good = addresses(1_001).slice(1);
      const calls = [...good.slice(0, 500), marker, ...good.slice(500)].map((address) => faulty.apply({ address, expiresAt }));
      const results = await Promise.allSettled(calls);
      const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, message: (r.reason as Error).message }] : []));
      assert.equal(rejected.length, 1, JSON.stringify(rejected));
      assert.equal(rejected[0]!.i, 500);
      assert.match(rejected[0]!.message, /the test wrapper refuses/);

      assert.deepEqual(transactions[0], { ...transactions[0], operations: 1_001, ok: false, retry: false }, 'all 1,001 calls went into one batch, which failed');
      const committed = transactions.filter((t) => t.ok).reduce((sum, t) => sum + t.operations, 0);
      assert.equal(committed, 1_000);
      assert.ok(transactions.length < 40, `${transactions.length} transactions to isolate one bad call`);
      const listed = new Set((await faulty.list()).map((t) => t.address));
      assert.equal(listed.size, 1_001);
      assert.ok(!listed.has(marker));
      console.log(`isolating one bad call among 1,001: ${transactions.length} transactions`);
    });

    it('a batch of ranges and addresses with one failing range commits the rest, making each new range set once', async () => {
      // Matches only the refused range's element (its network address), not the other ranges' or the addresses'.
      const marker = '2001:db8:bad:1::';
      const transactions: NftTransaction[] = [];
      const ranged = createNftablesEnforcer({ netns: pair.server, table: RANGED, nftPath: await refusingNft(await scratchDir(), marker), allowlist: [], onTransaction: (t) => transactions.push(t) });
      const ipv4Ranges = Array.from({ length: 16 }, (_, i) => `198.51.100.${i * 16}/28`); // over the addresses below
      const ipv6Ranges = Array.from({ length: 300 }, (_, i) => canonicalCidr(`2001:db8:7:${i.toString(16)}::/64`).text);
      const narrow = Array.from({ length: 40 }, (_, i) => canonicalCidr(`2001:db8:8::${(i * 256).toString(16)}/120`).text);
      const good = [...addresses(600), ...ipv4Ranges, ...ipv6Ranges, ...narrow];
      const expiresAt = Date.now() + 600_000;
      const calls = [...good.slice(0, 400), `${marker}/64`, ...good.slice(400)].map((address) => ranged.apply({ address, expiresAt }));
      const results = await Promise.allSettled(calls);
      const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, message: (r.reason as Error).message }] : []));
      assert.equal(rejected.length, 1, JSON.stringify(rejected));
      assert.equal(rejected[0]!.i, 400);
      assert.match(rejected[0]!.message, /the test wrapper refuses/);

      assert.equal(transactions.filter((t) => t.ok).reduce((sum, t) => sum + t.operations, 0), good.length);
      assert.ok(transactions.length < 40, `${transactions.length} transactions to isolate one bad call`);
      assert.deepEqual(new Set((await ranged.list()).map((t) => t.address)), new Set(good));
      const chain = (await nftIn('list', 'chain', ...RANGED.split(' '), 'prerouting')).stdout;
      for (const set of ['blocked4', 'blocked6', 'blocked4_28', 'blocked6_64', 'blocked6_120']) {
        assert.equal(chain.split('\n').filter((line) => line.includes(`@${set} drop`)).length, 1, `one rule for ${set} in\n${chain}`);
      }
      console.log(`isolating one bad range among ${good.length + 1} calls: ${transactions.length} transactions`);
    });

    it('puts its table back when someone deleted it, instead of failing every call from then on', async () => {
      const bulk = createNftablesEnforcer({ netns: pair.server, table: BULK, allowlist: [] });
      await bulk.apply({ address: '198.51.100.7', expiresAt: Date.now() + 60_000 });
      await removeNftablesTable({ netns: pair.server, table: BULK });
      // Together in one batch: it fails on the missing table, the table is put back, and both calls land.
      await Promise.all(['198.51.100.8', '198.51.100.9'].map((address) => bulk.apply({ address, expiresAt: Date.now() + 60_000 })));
      assert.deepEqual((await bulk.list()).map((t) => t.address).sort(), ['198.51.100.8', '198.51.100.9']);
      // Alone, the first call after a deletion fails (the activity retries it), and the next one puts the table back.
      await removeNftablesTable({ netns: pair.server, table: BULK });
      await assert.rejects(bulk.apply({ address: '198.51.100.10', expiresAt: Date.now() + 60_000 }), { name: 'NftError' });
      await bulk.apply({ address: '198.51.100.10', expiresAt: Date.now() + 60_000 });
      assert.deepEqual((await bulk.list()).map((t) => t.address), ['198.51.100.10']);
      // A range set it had made goes with the table; the next range of that length makes it again.
      await bulk.apply({ address: '203.0.113.0/24', expiresAt: Date.now() + 60_000 });
      await removeNftablesTable({ netns: pair.server, table: BULK });
      await assert.rejects(bulk.apply({ address: '203.0.113.0/24', expiresAt: Date.now() + 60_000 }), { name: 'NftError' });
      await bulk.apply({ address: '203.0.113.0/24', expiresAt: Date.now() + 60_000 });
      assert.deepEqual((await bulk.list()).map((t) => t.address), ['203.0.113.0/24']);
    });
  });
});
