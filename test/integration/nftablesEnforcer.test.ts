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

  describe('group commit', () => {
    // Tables of their own, so the packet tests above keep an empty riposte table.
    const BULK = 'inet riposte_bulk';
    const FAULTY = 'inet riposte_faulty';
    let wrapperDir: string | undefined;

    after(async () => {
      if (!pair) return;
      await removeNftablesTable({ netns: pair.server, table: BULK });
      await removeNftablesTable({ netns: pair.server, table: FAULTY });
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
      // A real nft behind a wrapper that refuses any transaction mentioning the marker address.
      const nftPath = execFileSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' }).trim();
      assert.ok(nftPath.startsWith('/'), 'nft is on PATH');
      wrapperDir = await mkdtemp(join(tmpdir(), 'riposte-nft-'));
      const wrapper = join(wrapperDir, 'nft');
      const marker = '2001:db8:bad::1';
      await writeFile(wrapper, [
        '#!/bin/sh',
        'input=$(cat)',
        `case "$input" in *${marker}*) echo "Error: the test wrapper refuses ${marker}" >&2; exit 1;; esac`,
        `printf '%s\\n' "$input" | exec '${nftPath}' "$@"`,
        '',
      ].join('\n'));
      await chmod(wrapper, 0o755);

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
    });
  });
});
