/**
 * Reconcile against a real firewall: Riposte's nft table flushed behind its back (another tool's `nft flush ruleset`)
 * is put back within one cycle, each block with its remaining time, and the attacker's packets are dropped again.
 * Needs root and network namespaces; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createNftablesEnforcer, removeNftablesTable } from '../../activities/enforce/nftablesEnforcer.ts';
import { readKillSwitch } from '../../activities/control.ts';
import type { PointEnforcement } from '../../workflows/control.ts';
import { startReconcileSchedule, reconcileScheduleId } from '../../runtime/reconcileSchedule.ts';
import { createWebhookNotifier } from '../../activities/notify/webhookNotifier.ts';
import { type HttpReceiver, startReceiver } from '../support/httpReceiver.ts';
import { createNetnsPair, type HttpServer, type NetnsPair, netnsSkipReason } from '../support/netns.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy } from '../support/temporal.ts';

const skip = await netnsSkipReason();
const CYCLE_MS = 5_000;
const HOUR = 3_600_000;
const policy = testPolicy({ enforcement: { points: ['nftables'], reconcileEvery: '5s', notify: [] } });
const others = Array.from({ length: 19 }, (_, i) => `2001:db8:77::${(i + 1).toString(16)}`);

describe('reconcile puts back what the firewall lost', { skip }, () => {
  let pair: NetnsPair;
  let http: HttpServer;
  let riposte: TestRiposte;
  const readings: PointEnforcement[] = [];
  let watching = true;
  let watcher: Promise<void>;

  const curl = () => pair.exec(pair.attacker, ['curl', '-sS', '-m', '2', `http://${pair.serverIp}:${http.port}/`]);
  /** Element → seconds left, from the kernel. */
  async function kernelSet(): Promise<Map<string, number>> {
    const elements = new Map<string, number>();
    for (const set of ['blocked4', 'blocked6']) {
      const result = await pair.exec(pair.server, ['nft', '-j', 'list', 'set', 'inet', 'riposte', set]);
      if (result.code !== 0) continue;
      const doc = JSON.parse(result.stdout) as { nftables: Array<{ set?: { elem?: Array<string | { elem: { val: string; expires?: number } }> } }> };
      for (const elem of doc.nftables.find((entry) => entry.set)?.set?.elem ?? []) {
        if (typeof elem !== 'string') elements.set(elem.elem.val, elem.elem.expires ?? Number.POSITIVE_INFINITY);
      }
    }
    return elements;
  }

  before(async () => {
    pair = await createNetnsPair();
    http = await pair.startHttpServer();
    riposte = await startRiposte({ policy, points: () => [createNftablesEnforcer({ netns: pair.server, allowlist: [] })] });
    await startReconcileSchedule(riposte.client, { taskQueue: riposte.taskQueue, enforcementTaskQueue: `${riposte.taskQueue}-enforcement`, policy });
    watcher = (async () => {
      while (watching) {
        const point = (await readKillSwitch(riposte.client, riposte.taskQueue).catch(() => undefined))?.enforcement?.nftables;
        if (point && point.at !== readings.at(-1)?.at) readings.push(point);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
  });
  after(async () => {
    watching = false;
    await watcher;
    await riposte?.client.schedule.getHandle(reconcileScheduleId(riposte.taskQueue)).delete().catch(() => undefined);
    await riposte?.stop();
    if (pair) {
      await removeNftablesTable({ netns: pair.server }).catch(() => undefined);
      await pair.cleanup();
    }
  });

  it('twenty blocks reach the kernel, the attacker is dropped, and a cycle finds every one held', async () => {
    assert.equal((await curl()).stdout, 'ok');
    await riposte.blocks.request([pair.attackerIp, ...others].map((address) => ({ address, points: ['nftables'], durationMs: HOUR, reason: 'threat list', requestedBy: 'rita' })));
    await eventually('all twenty in the kernel', async () => ((await kernelSet()).size === 20 ? true : undefined), 20_000);
    assert.equal((await curl()).code, 28, 'dropped');
    const whole = await eventually('a cycle that found all twenty held', () => readings.find((r) => r.intended === 20 && r.enforced === 1), 4 * CYCLE_MS);
    assert.equal(whole.cyclesBelow, 0);
  });

  it('after `nft flush ruleset`, one cycle puts every block back with its remaining time, and the ratio dips and recovers', async () => {
    const flushedAt = Date.now();
    const flushed = await pair.exec(pair.server, ['nft', 'flush', 'ruleset']);
    assert.equal(flushed.code, 0, flushed.stderr);
    assert.equal((await kernelSet()).size, 0);
    assert.equal((await curl()).stdout, 'ok', 'with the table gone the attacker gets through');

    const restored = await eventually('all twenty back', async () => {
      const set = await kernelSet();
      return set.size === 20 ? set : undefined;
    }, CYCLE_MS + 10_000);
    const backAfter = Date.now() - flushedAt;
    assert.ok(backAfter <= CYCLE_MS + 10_000, `back after ${backAfter} ms`);
    for (const address of [pair.attackerIp, ...others]) {
      const block = await riposte.blocks.read(address);
      const remaining = (Date.parse(block!.expiresAt!) - Date.now()) / 1000;
      const kernel = restored.get(address);
      assert.ok(kernel !== undefined && Math.abs(kernel - remaining) < 30, `${address}: kernel ${kernel} s against ${remaining.toFixed(0)} s remaining`);
    }
    assert.equal((await curl()).code, 28, 'dropped again: the table, its sets and its rule are back');

    const dipped = readings.findIndex((r) => Date.parse(r.at) >= flushedAt && r.enforced < 1);
    assert.ok(dipped >= 0, `a reading below 100 % after the flush: ${JSON.stringify(readings)}`);
    assert.equal(readings[dipped]!.restored, 20);
    await eventually('a later cycle whole again', () => readings.slice(dipped + 1).find((r) => r.enforced === 1 && r.intended === 20), 3 * CYCLE_MS);
  });

  it('a stale entry Riposte made that no live block accounts for is removed; one without an expiry, not Riposte\'s, stays', async () => {
    const stale = await pair.exec(pair.server, ['nft', 'add', 'element', 'inet', 'riposte', 'blocked6', '{ 2001:db8:77::ff timeout 1h }']);
    assert.equal(stale.code, 0, stale.stderr);
    const foreign = await pair.exec(pair.server, ['nft', 'add', 'element', 'inet', 'riposte', 'blocked6', '{ 2001:db8:77::fe }']);
    assert.equal(foreign.code, 0, foreign.stderr);
    await eventually('the stale entry gone', async () => (!(await kernelSet()).has('2001:db8:77::ff') ? true : undefined), 3 * CYCLE_MS);
    const listed = await pair.exec(pair.server, ['nft', 'get', 'element', 'inet', 'riposte', 'blocked6', '{ 2001:db8:77::fe }']);
    assert.equal(listed.code, 0, 'the element without a timeout is left alone');
    assert.equal((await kernelSet()).size, 20);
  });
});

describe('a point that stays short', () => {
  const shortPolicy = testPolicy({ enforcement: { points: ['edl'], notify: ['webhook'] } });
  let webhook: HttpReceiver;
  let riposte: TestRiposte;
  before(async () => {
    webhook = await startReceiver();
    riposte = await startRiposte({ policy: shortPolicy, notifiers: [createWebhookNotifier({ url: `${webhook.url}/hook` })] });
  });
  after(async () => {
    await riposte?.stop();
    await webhook?.close();
  });

  const cycle = () => riposte.client.workflow.execute('reconcileWorkflow', {
    workflowId: `reconcile-short-${randomBytes(3).toString('hex')}`,
    taskQueue: riposte.taskQueue,
    args: [{ points: ['edl'], enforcementTaskQueue: `${riposte.taskQueue}-enforcement`, notify: shortPolicy.enforcement.notify }],
  });
  const notices = () => webhook.requests.filter((r) => r.body.includes('is missing blocks'));

  it('is announced once, on its second cycle in a row below 100 %, and not again while it holds everything', async () => {
    const address = '2001:db8:77:1::9';
    await riposte.blocks.request([{ address, points: ['edl'], durationMs: HOUR, reason: 'threat list', requestedBy: 'rita' }]);
    await eventually('the block held', async () => ((await riposte.blocks.read(address))?.state === 'active' ? true : undefined));
    await riposte.edl.remove(address);
    const first = await cycle();
    assert.deepEqual([first[0]?.enforced, first[0]?.restored], [0, 1]);
    assert.equal(notices().length, 0, 'one short cycle may be a block applied between two reads');
    await riposte.edl.remove(address);
    await cycle();
    await eventually('the notice sent', () => (notices().length === 1 ? true : undefined));
    assert.match(notices()[0]!.body, /edl held 0 of 1 live blocks for 2 reconcile cycles in a row/);
    const whole = await cycle();
    assert.equal(whole[0]?.enforced, 1);
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal(notices().length, 1);
    assert.equal((await readKillSwitch(riposte.client, riposte.taskQueue)).enforcement?.edl?.cyclesBelow, 0);
  });
});
