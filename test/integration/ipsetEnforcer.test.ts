/**
 * The ipset point against real packets: a server and an attacker in network namespaces, the sets and the iptables and
 * ip6tables rules in the server's. Needs root, network namespaces, ipset and iptables; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { createIpsetEnforcer, IPSET_MAX_TIMEOUT_S } from '../../activities/enforce/ipsetEnforcer.ts';
import type { EnforcementPoint } from '../../activities/enforce/enforcementPoint.ts';
import { canonicalCidr, canonicalIp } from '../../domain/ip.ts';
import { createNetnsPair, type HttpServer, type NetnsPair, netnsSkipReason, openKeepAlive } from '../support/netns.ts';

/** curl's exit status when its time limit ran out: the packets went nowhere. */
const CURL_TIMEOUT = 28;

function commandPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function skipReason(): Promise<string | false> {
  const netns = await netnsSkipReason();
  if (netns) return netns;
  const missing = ['ipset', 'iptables', 'ip6tables'].filter((name) => !commandPath(name));
  return missing.length > 0 ? `needs ${missing.join(', ')} (apt-get install ipset iptables)` : false;
}

/** A real ipset behind a wrapper that refuses any restore input mentioning `marker`; returns the wrapper's path. */
async function refusingIpset(dir: string, marker: string): Promise<string> {
  const wrapper = join(dir, 'ipset-refusing');
  await writeFile(wrapper, [
    '#!/bin/sh',
    'input=$(cat)',
    `case "$input" in *${marker}*) echo "ipset v7: Error in line 1: the test wrapper refuses ${marker}" >&2; exit 1;; esac`,
    `printf '%s\\n' "$input" | exec '${commandPath('ipset')}' "$@"`,
    '',
  ].join('\n'));
  await chmod(wrapper, 0o755);
  return wrapper;
}

describe('ipset enforcer against real packets', { skip: await skipReason() }, () => {
  let pair: NetnsPair;
  let http: HttpServer;
  let enforcer: EnforcementPoint;
  let scratch: string | undefined;

  const curl = (url: string, extra: string[] = [], seconds = 2) => pair.exec(pair.attacker, ['curl', '-sS', ...extra, '-m', String(seconds), url]);
  const curl4 = (seconds?: number) => curl(`http://${pair.serverIp}:${http.port}/`, [], seconds);
  const curl6 = (seconds?: number) => curl(`http://[${pair.serverIp6}]:${http.port}/`, ['-g', '-6'], seconds);
  const curlFromRange = (seconds?: number) => curl(`http://${pair.serverIp}:${http.port}/`, ['--interface', pair.attackerRangeIp], seconds);
  const inServer = async (...argv: string[]) => {
    const result = await pair.exec(pair.server, argv);
    assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  const entries = async (address: string) => (await enforcer.list()).filter((target) => target.address === address);
  /** Riposte's rules in the server namespace, as `-S` prints them, for both families and both chains. */
  const rules = async () => [
    ...(await inServer('iptables', '-S')).split('\n'),
    ...(await inServer('ip6tables', '-S')).split('\n'),
  ].filter((line) => line.includes('--match-set'));
  const expectedRules = [
    '-A INPUT -m set --match-set riposte4 src -j DROP',
    '-A FORWARD -m set --match-set riposte4 src -j DROP',
    '-A INPUT -m set --match-set riposte6 src -j DROP',
    '-A FORWARD -m set --match-set riposte6 src -j DROP',
  ];

  before(async () => {
    pair = await createNetnsPair({ attackerIp: '192.0.2.80', attackerIp6: '2001:db8:1::80', attackerRangeIp: '203.0.113.80' });
    http = await pair.startHttpServer();
    enforcer = createIpsetEnforcer({ netns: pair.server, allowlist: [canonicalCidr('192.0.2.1/32')] });
  });

  after(async () => {
    // Sets and rules live in the server namespace and go with it.
    await pair?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('lets the attacker through before any block, on both families and on a kept-alive socket', async () => {
    assert.deepEqual(await curl4(), { stdout: 'ok', stderr: '', code: 0 });
    assert.equal((await curl6()).stdout, 'ok');
    const connection = await openKeepAlive(pair, pair.serverIp, http.port);
    assert.equal(await connection.request(), 'answered');
  });

  it('a block drops new connections and cuts an established one; the rules are in place once', async () => {
    const connection = await openKeepAlive(pair, pair.serverIp, http.port);
    const expiresAt = Date.now() + 60_000;
    await enforcer.apply({ address: pair.attackerIp, expiresAt });
    assert.equal(await connection.request(), 'timeout', 'the kept-alive connection must be cut');
    assert.equal((await curl4(1)).code, CURL_TIMEOUT, 'a new connection must be dropped');
    assert.equal((await curl6()).stdout, 'ok', 'the attacker\'s IPv6 address is not blocked');
    assert.deepEqual((await rules()).sort(), [...expectedRules].sort());
    assert.match(await inServer('ipset', 'save', 'riposte4'), /^create riposte4 hash:net family inet .*timeout 0/m);
    const [listed] = await entries(pair.attackerIp);
    assert.ok(listed && Math.abs(listed.expiresAt - expiresAt) < 2_000, JSON.stringify(listed));
  });

  it('applying again rewrites the kernel timeout, longer or shorter, and keeps one element and one set of rules', async () => {
    const later = Date.now() + 600_000;
    await enforcer.apply({ address: pair.attackerIp, expiresAt: later });
    await enforcer.apply({ address: pair.attackerIp, expiresAt: later });
    let listed = await entries(pair.attackerIp);
    assert.equal(listed.length, 1);
    assert.ok(Math.abs(listed[0]!.expiresAt - later) < 2_000, `expires ${listed[0]!.expiresAt - later} ms off`);
    const sooner = Date.now() + 30_000;
    await enforcer.apply({ address: pair.attackerIp, expiresAt: sooner });
    listed = await entries(pair.attackerIp);
    assert.ok(Math.abs(listed[0]!.expiresAt - sooner) < 2_000, `expires ${listed[0]!.expiresAt - sooner} ms off`);
    const again = createIpsetEnforcer({ netns: pair.server, allowlist: [] });
    assert.equal((await again.list()).filter((target) => target.address === pair.attackerIp).length, 1, 'another instance keeps the element');
    assert.deepEqual((await rules()).sort(), [...expectedRules].sort(), 'and adds no second rule');
    assert.equal((await curl4(1)).code, CURL_TIMEOUT);
  });

  it('remove lets the attacker through again, and removing twice is harmless', async () => {
    await enforcer.remove(pair.attackerIp);
    assert.equal((await curl4()).stdout, 'ok');
    await enforcer.remove(pair.attackerIp);
    assert.deepEqual(await entries(pair.attackerIp), []);
  });

  it('the kernel removes a short block at its timeout, without any call to remove', async () => {
    const appliedAt = Date.now();
    await enforcer.apply({ address: pair.attackerIp, expiresAt: appliedAt + 2_000 });
    assert.equal((await curl4(1)).code, CURL_TIMEOUT, 'dropped while the timeout runs');
    await sleep(appliedAt + 3_000 - Date.now());
    assert.equal((await curl4()).stdout, 'ok');
    assert.deepEqual(await entries(pair.attackerIp), []);
  });

  it('an expiry already past removes the block', async () => {
    await enforcer.apply({ address: pair.attackerIp, expiresAt: Date.now() + 60_000 });
    await enforcer.apply({ address: pair.attackerIp, expiresAt: Date.now() - 1_000 });
    assert.deepEqual(await entries(pair.attackerIp), []);
    assert.equal((await curl4()).stdout, 'ok');
  });

  it('a block beyond the kernel\'s longest timeout holds that long, and is listed with it', async () => {
    await enforcer.apply({ address: pair.attackerIp, expiresAt: Date.now() + 30 * 86_400_000 });
    const [listed] = await entries(pair.attackerIp);
    assert.ok(listed && Math.abs(listed.expiresAt - (Date.now() + IPSET_MAX_TIMEOUT_S * 1000)) < 3_000, JSON.stringify(listed));
    assert.equal((await curl4(1)).code, CURL_TIMEOUT);
    await enforcer.remove(pair.attackerIp);
  });

  it('blocks an IPv6 attacker through riposte6 only', async () => {
    await enforcer.apply({ address: pair.attackerIp6, expiresAt: Date.now() + 60_000 });
    assert.equal((await curl6(1)).code, CURL_TIMEOUT, 'curl over IPv6 must be dropped');
    assert.equal((await curl4()).stdout, 'ok');
    assert.match(await inServer('ipset', 'save', 'riposte6'), new RegExp(`^add riposte6 ${pair.attackerIp6} timeout \\d+$`, 'm'));
    await enforcer.remove(pair.attackerIp6);
    assert.equal((await curl6()).stdout, 'ok');
  });

  it('an address and the ranges over it are elements of their own, and it is dropped until the last one goes', async () => {
    const expiresAt = Date.now() + 60_000;
    await Promise.all([pair.attackerRangeIp, '203.0.113.0/24', '203.0.113.64/26', '2001:db8:1::/64'].map((address) => enforcer.apply({ address, expiresAt })));
    assert.deepEqual((await enforcer.list()).map((t) => t.address).sort(), ['2001:db8:1::/64', '203.0.113.0/24', '203.0.113.64/26', pair.attackerRangeIp].sort());
    assert.equal((await curlFromRange(1)).code, CURL_TIMEOUT);
    assert.equal((await curl6(1)).code, CURL_TIMEOUT, 'the attacker\'s IPv6 /64 is dropped');
    assert.equal((await curl4()).stdout, 'ok', 'its address outside the ranges is not');
    for (const address of ['203.0.113.0/24', '203.0.113.64/26']) {
      await enforcer.remove(address);
      assert.equal((await curlFromRange(1)).code, CURL_TIMEOUT, `still dropped after removing ${address}`);
    }
    await enforcer.remove(pair.attackerRangeIp);
    assert.equal((await curlFromRange()).stdout, 'ok');
    await enforcer.remove('2001:db8:1::/64');
    assert.deepEqual(await enforcer.list(), []);
    assert.equal((await curl6()).stdout, 'ok');
  });

  it('refuses allowlisted addresses and ranges over them, non-canonical input and /0, and adds nothing', async () => {
    const guarded = createIpsetEnforcer({ netns: pair.server, allowlist: ['192.0.2.64/26', '203.0.113.128/25'].map(canonicalCidr) });
    for (const address of [pair.attackerIp, '192.0.2.0/24', '203.0.113.0/24']) {
      await assert.rejects(guarded.apply({ address, expiresAt: Date.now() + 60_000 }), { type: 'AllowlistViolation', nonRetryable: true }, address);
    }
    for (const address of ['::ffff:192.0.2.80', '010.0.0.1', '2001:DB8:1::80', '192.0.2.80/32', '192.0.2.80 timeout 0', '203.0.113.80/24', '']) {
      await assert.rejects(enforcer.apply({ address, expiresAt: Date.now() + 60_000 }), (err: Error & { type?: string }) => {
        assert.equal(err.type, 'InvalidAddress', address);
        assert.ok(!address || !err.message.includes(address), err.message);
        return true;
      });
      await assert.rejects(enforcer.remove(address), { type: 'InvalidAddress' });
    }
    await assert.rejects(createIpsetEnforcer({ netns: pair.server, allowlist: [] }).apply({ address: '0.0.0.0/0', expiresAt: Date.now() + 60_000 }), { type: 'InvalidAddress', nonRetryable: true });
    assert.deepEqual(await enforcer.list(), []);
    assert.equal((await curl4()).stdout, 'ok');
  });

  it('lists an element another tool added without a timeout as never expiring, so reconcile leaves it alone', async () => {
    await inServer('ipset', 'add', 'riposte4', '198.51.100.77');
    const [listed] = await entries('198.51.100.77');
    assert.equal(listed?.expiresAt, Number.MAX_SAFE_INTEGER);
    await enforcer.remove('198.51.100.77');
  });

  it('puts back rules and sets that were flushed and destroyed, and blocks again', async () => {
    await enforcer.apply({ address: pair.attackerIp, expiresAt: Date.now() + 60_000 });
    for (const tool of ['iptables', 'ip6tables']) for (const chain of ['INPUT', 'FORWARD']) await inServer(tool, '-F', chain);
    await inServer('ipset', 'destroy');
    assert.equal((await curl4()).stdout, 'ok', 'with the layout gone the attacker gets through');
    assert.deepEqual(await enforcer.list(), [], 'the destroyed set\'s element is gone: reconcile puts it back from the intent');
    assert.deepEqual((await rules()).sort(), [...expectedRules].sort());
    // The first call after a destruction succeeds too: a failed restore checks the layout and tries again.
    for (const chain of ['INPUT', 'FORWARD']) await inServer('ip6tables', '-F', chain);
    await inServer('ipset', 'destroy', 'riposte6');
    await enforcer.apply({ address: pair.attackerIp6, expiresAt: Date.now() + 60_000 });
    assert.equal((await curl6(1)).code, CURL_TIMEOUT);
    await enforcer.remove(pair.attackerIp6);
  });

  it('5,000 concurrent applies all land, each with its own timeout, and 5,000 removes clear them', async () => {
    const addresses = Array.from({ length: 5_000 }, (_, i) => canonicalIp(i < 250 ? `198.51.100.${i + 1}` : `2001:db8:5::${i.toString(16)}`).address);
    const expiresAt = Date.now() + 3_600_000;
    const started = performance.now();
    await Promise.all(addresses.map((address) => enforcer.apply({ address, expiresAt })));
    console.log(`5,000 concurrent ipset applies: ${(performance.now() - started).toFixed(0)} ms`);
    const listed = await enforcer.list();
    assert.deepEqual(new Set(listed.map((t) => t.address)), new Set(addresses));
    assert.ok(listed.every((t) => Math.abs(t.expiresAt - expiresAt) < 3_000), 'every element carries its own timeout');
    await Promise.all(addresses.map((address) => enforcer.remove(address)));
    assert.deepEqual(await enforcer.list(), []);
  });

  it('a batch with one failing call commits the others and rejects only that one', async () => {
    scratch ??= await mkdtemp(join(tmpdir(), 'riposte-ipset-'));
    const marker = '198.51.100.250';
    const faulty = createIpsetEnforcer({ netns: pair.server, allowlist: [], ipsetPath: await refusingIpset(scratch, marker) });
    const good = Array.from({ length: 200 }, (_, i) => `2001:db8:6::${(i + 1).toString(16)}`);
    const calls = [...good.slice(0, 100), marker, ...good.slice(100)].map((address) => faulty.apply({ address, expiresAt: Date.now() + 60_000 }));
    const results = await Promise.allSettled(calls);
    const rejected = results.flatMap((r, i) => (r.status === 'rejected' ? [{ i, message: (r.reason as Error).message }] : []));
    assert.equal(rejected.length, 1, JSON.stringify(rejected));
    assert.equal(rejected[0]!.i, 100);
    assert.match(rejected[0]!.message, /the test wrapper refuses/);
    assert.deepEqual(new Set((await enforcer.list()).map((t) => t.address)), new Set(good));
    await Promise.all(good.map((address) => enforcer.remove(address)));
  });
});
