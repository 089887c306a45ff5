import { reconcileScheduleId } from '../../runtime/reconcileSchedule.ts';
import { MAIN_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import { join } from 'node:path';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { ipv6At } from '../support/addresses.ts';
import { serveFile } from '../support/bareFile.ts';
import { importBlocks } from '../support/blockImport.ts';
import { walkBlockPages } from '../support/blockPages.ts';
import { eventuallyCount } from '../support/eventually.ts';
import { callApi } from '../support/http.ts';
import { pollUntilAll } from '../support/kernelPoll.ts';
import { auditTail } from '../support/auditTail.ts';
import { withLoad } from '../support/load.ts';
import { createNamespace, isRoot, type Namespace, nftSetMembers } from '../support/namespace.ts';
import { edlAddresses } from '../support/points.ts';
import { rawBulkLoadMs, rawSingleSet } from '../support/rawNft.ts';
import { alternateSamples } from '../support/rounds.ts';
import { filesMiB, rssMiB } from '../support/rss.ts';
import { BENCH_API_KEY, type Stack, startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';

const DURATION = '2h';
const DURATION_SECONDS = 7_200;
const POINTS = ['nftables', 'edl'] as const;
const SET = { family: 'inet', table: 'riposte', name: 'blocked6' };
const GOALS = { oneMoreP99Ms: 50, feedP99Ms: 200, pageP99Ms: 200, workerRssMiB: 600, restoreMs: 2_000 };
const now = () => performance.timeOrigin + performance.now();
const round = (v: number | undefined) => (v === undefined ? null : Math.round(v));

/** Addresses of the run: the bulk, the extra blocks, the raw baseline's, the warm-up. */
const address = { bulk: (i: number) => ipv6At(0x10, i), extra: (i: number) => ipv6At(0x11, i), raw: (i: number) => ipv6At(0x12, i), warmup: ipv6At(0x13, 0) };

/**
 * active-blocks: many live blocks through the real path. The API takes them as a threat list (POST /v1/blocks arrays
 * of 10,000), the shard workflows hold them, and the worker applies them to the nftables point in a namespace of the
 * bench's own and to the EDL point. With all of them in the kernel: one more block from its request to the kernel, the
 * feed, the listing's pages, what the processes hold and the server's database. Each figure has what the kernel, a
 * bare file server or a raw nft command does beside it, taken in turns with it where it is a sample.
 */
export const activeBlocks: Scenario = { name: 'active-blocks', run };

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const n = ctx.quick ? 10_000 : 100_000;
  const extras = ctx.quick ? 5 : 20;
  const feedGets = ctx.quick ? 5 : 20;
  const parameters = { blocks: n, extraBlockSamples: extras, feedGets, points: POINTS, maxActionsPerSecond: 10_000, duration: DURATION, addresses: '2001:db8::/32', goals: GOALS };
  // Without root there is no kernel to count in: that is a failed run, not a passed one.
  if (!isRoot()) return { name: 'active-blocks', parameters, figures: {}, ratios: {}, checks: { measured: false }, notes: ['not measured: needs root for a network namespace and nftables'] };

  let ns: Namespace | undefined;
  let stack: Stack | undefined;
  try {
    ns = await createNamespace('rip-blocks');
    stack = await startStack(join(ctx.scratch, 'active-blocks'), {
      policy: { enforcement: { points: [...POINTS], maxActionsPerSecond: 10_000 } },
      env: { RIPOSTE_NFT_NETNS: ns.name },
    });
    const checks: Record<string, boolean> = { measured: true };
    const result: ScenarioResult = { name: 'active-blocks', parameters, figures: {}, ratios: {}, checks, notes: [] };
    const { figures, ratios } = result;

    // One block first, so the table, the shard code and the connections exist before anything is timed.
    const warm = await importBlocks(stack.apiUrl, [address.warmup], 'bench active-blocks warm-up', DURATION);
    if ((await pollUntilAll(ns, SET, new Set([address.warmup]), performance.now(), 120_000)).allInMs === undefined || warm.refused) throw new Error('the warm-up block never reached the kernel');
    figures.idle = await processMemory(stack);

    const bulk = Array.from({ length: n }, (_, i) => address.bulk(i));
    const rawBulkMs = await rawBulkLoadMs(ns, bulk, DURATION_SECONDS);
    ctx.log(`active-blocks: raw nft -f of ${n} elements: ${Math.round(rawBulkMs)} ms; importing ${n} blocks through the API`);
    const started = performance.now();
    const { value: [imported, arrival], load } = await withLoad(() => Promise.all([
      importBlocks(stack!.apiUrl, bulk, 'bench active-blocks', DURATION),
      pollUntilAll(ns!, SET, new Set(bulk), started, ctx.quick ? 300_000 : 1_200_000),
    ]));
    ctx.log(`active-blocks: ${arrival.present}/${n} in the kernel after ${round(arrival.allInMs ?? arrival.notYetMs)} ms (${arrival.polls} listings)`);
    const edl = await eventuallyCount(async () => (await edlAddresses(stack!.dataDir)).size, n + 1, 300_000, 1_000);
    figures.import = { ...imported, requestMs: imported.requestMs.map(round), elapsedMs: round(imported.elapsedMs), load };
    figures.allInKernel = { ms: round(arrival.allInMs), notYetMs: round(arrival.notYetMs), resolutionMs: arrival.allInMs === undefined || arrival.notYetMs === undefined ? null : round(arrival.allInMs - arrival.notYetMs), present: arrival.present, listings: arrival.polls, listingMs: round(arrival.listingMs), rawNftFileMs: round(rawBulkMs) };
    figures.edlEntries = edl;
    ratios['allInKernel/rawNftFile'] = ratio(arrival.allInMs, rawBulkMs);
    checks['every import request accepted whole'] = imported.refused === 0;
    checks[`all ${n} in the kernel set`] = arrival.present === n;
    checks[`all ${n} at the EDL point`] = edl === n + 1;

    // One more block with all of them present, from its request to the point's applying it (its audit record), in
    // turns with a raw `nft add element`, timed until the command returns.
    const applies = auditTail(join(stack.dataDir, 'audit.jsonl'), 'nftables');
    await applies.fromNow();
    const rawAdd = await rawSingleSet(ns);
    let missingExtras = 0;
    const oneMore: number[] = [];
    const rawOne: number[] = [];
    const { load: extraLoad } = await withLoad(() => alternateSamples(extras, {
      riposte: async (i) => {
        const t0 = now();
        const r = await callApi(stack!.apiUrl, 'POST', '/v1/blocks', { ip: address.extra(i), reason: 'bench active-blocks one more', duration: DURATION });
        if (r.status !== 202) throw new Error(`one more block answered ${r.status}: ${r.text.slice(0, 200)}`);
        const at = await applies.appliedAt(address.extra(i), 30_000);
        if (at === undefined) missingExtras += 1;
        oneMore.push((at ?? now()) - t0);
      },
      raw: async (i) => {
        const t0 = now();
        await rawAdd(address.raw(i), DURATION_SECONDS);
        rawOne.push(now() - t0);
      },
    }));
    const one = summary(oneMore);
    const rawSingle = summary(rawOne);
    ctx.log(`active-blocks: one more block with ${n} present p50 ${one.p50} p99 ${one.p99} ms; raw nft add element p50 ${rawSingle.p50} p99 ${rawSingle.p99} ms`);
    figures.oneMoreBlock = { ms: one, missing: missingExtras, rawAddElementMs: rawSingle, load: extraLoad, observed: 'the audit after-record of the nftables apply (made when nft returns); the raw add until its nft command returns' };
    ratios['oneMoreP99/rawAddElementP99'] = ratio(one.p99, rawSingle.p99);
    checks['every extra block reached the kernel'] = missingExtras === 0;

    const total = n + 1 + extras;
    await eventuallyCount(async () => (await edlAddresses(stack!.dataDir)).size, total, 60_000, 1_000);
    const feed = await measureFeed(stack, feedGets);
    ctx.log(`active-blocks: feed with ${feed.lines} entries p50 ${feed.ms.p50} p99 ${feed.ms.p99} ms; bare file p50 ${feed.rawFileMs.p50} p99 ${feed.rawFileMs.p99} ms`);
    figures.feed = feed;
    ratios['feedP99/rawFileP99'] = ratio(feed.ms.p99, feed.rawFileMs.p99);
    checks['the feed lists every block'] = feed.lines === total;

    const { value: pages, load: pageLoad } = await withLoad(() => walkBlockPages(stack!.apiUrl, 1000, POINTS));
    const page = summary(pages.pageMs);
    ctx.log(`active-blocks: ${pages.pageMs.length} pages of GET /v1/blocks p50 ${page.p50} p99 ${page.p99} ms, ${pages.heldEverywhere}/${pages.blocks} held at every point`);
    figures.listing = { pages: pages.pageMs.length, pageMs: page, blocks: pages.blocks, heldEverywhere: pages.heldEverywhere, load: pageLoad };
    checks['GET /v1/blocks lists every block, applied at every point'] = !pages.failed && pages.blocks === total && pages.heldEverywhere === total;

    const inKernel = await nftSetMembers(ns, SET.family, SET.table, SET.name);
    checks['the kernel set holds every block at the end'] = inKernel.size === total && bulk.every((ip) => inKernel.has(ip));
    const held = await processMemory(stack);
    figures.held = held;
    checks['the worker ran throughout'] = stack.worker!.child.exitCode === null && stack.worker!.child.signalCode === null;
    ratios['workerRssHeld/idle'] = ratio(held.workerRssAfterGcMiB, (figures.idle as typeof held).workerRssAfterGcMiB);
    ctx.log(`active-blocks: worker RSS after GC ${held.workerRssAfterGcMiB} MiB (peak ${held.workerPeakRssMiB}), server ${held.serverRssMiB} MiB, SQLite ${JSON.stringify(held.sqliteMiB)}`);
    // Reconcile's restore: the set flushed behind Riposte's back, one cycle triggered, until every block is back.
    await ns.run(['nft', 'flush', 'set', SET.family, SET.table, SET.name]);
    const restoreStarted = performance.now();
    await stack.client.schedule.getHandle(reconcileScheduleId(MAIN_TASK_QUEUE)).trigger();
    const restored = await pollUntilAll(ns, SET, new Set([...inKernel]), restoreStarted, 120_000);
    ctx.log(`active-blocks: ${restored.present} of ${inKernel.size} put back by one reconcile cycle in ${round(restored.allInMs)} ms`);
    figures.restore = { ...restored, blocks: inKernel.size, how: 'nft flush set, then the reconcile schedule triggered; observed by listing' };
    checks['one reconcile cycle puts every block back'] = restored.present === inKernel.size;
    figures.meetsGoals = {
      restoreMs: (restored.allInMs ?? Infinity) <= GOALS.restoreMs,
      oneMoreP99Ms: (one.p99 ?? Infinity) <= GOALS.oneMoreP99Ms,
      feedP99Ms: (feed.ms.p99 ?? Infinity) <= GOALS.feedP99Ms,
      pageP99Ms: (page.p99 ?? Infinity) < GOALS.pageP99Ms,
      workerRssMiB: (held.workerRssAfterGcMiB ?? Infinity) <= GOALS.workerRssMiB,
    };
    result.notes!.push(
      `Blocks arrive as ${Math.ceil(n / 10_000)} POST /v1/blocks requests of at most 10,000, one after another, at enforcement.maxActionsPerSecond 10,000 (the most the policy takes) for two points, so the rate alone allows no less than ${(2 * n) / 10_000} s.`,
      'The bulk is observed by listing the kernel set (an `nft monitor` slows a bulk load several times over and drops events), each listing waiting twice as long as the one before took; allInKernel.ms lies within resolutionMs of the true time. An extra block is timed to the audit after-record of its nftables apply (made when nft returns; an `nft monitor` does not start within a minute with 100,000 elements present), the raw baseline until its `nft add element` returns.',
      'RSS after GC is read after a full garbage collection in every thread of the process (bench/support/gcOnSignal.mjs); the peak (VmHWM) includes bundling the workflow code at start-up.',
    );
    if (n === 100_000) result.summary = { blocks100k: { allInKernelMs: round(arrival.allInMs), oneMoreP99Ms: one.p99, feedP99Ms: feed.ms.p99, workerRssMiB: held.workerRssAfterGcMiB } };
    return result;
  } finally {
    await stack?.stop();
    await ns?.remove();
  }
}

/** The feed with every block, in turns with a bare server sending the EDL file it is made from. */
async function measureFeed(stack: Stack, gets: number) {
  const bare = await serveFile(join(stack.dataDir, 'edl-blocklist.json'));
  try {
    let lines = 0;
    let bodyBytes = 0;
    let fileBytes = 0;
    const { value: times, load } = await withLoad(() => alternateSamples(gets, {
      api: async () => {
        const res = await fetch(`${stack.apiUrl}/v1/feeds/blocklist.txt`, { headers: { 'x-api-key': BENCH_API_KEY } });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`feed answered ${res.status}: ${body.slice(0, 200)}`);
        bodyBytes = Buffer.byteLength(body);
        lines = body.split('\n').filter(Boolean).length;
      },
      bare: async () => {
        fileBytes = (await (await fetch(bare.url)).arrayBuffer()).byteLength;
      },
    }));
    return { ms: summary(times.api!), rawFileMs: summary(times.bare!), lines, bodyBytes, fileBytes, load };
  } finally {
    await bare.close();
  }
}

/** What the worker, the API and the Temporal server hold, and the size of the server's database. */
async function processMemory(stack: Stack) {
  const serverPid = await stack.serverPid();
  return {
    workerRssAfterGcMiB: await stack.worker!.rssAfterGcMiB(),
    workerPeakRssMiB: await stack.worker!.peakRssMiB(),
    apiRssAfterGcMiB: await stack.api.rssAfterGcMiB(),
    serverRssMiB: serverPid === undefined ? null : await rssMiB(serverPid),
    sqliteMiB: await filesMiB([stack.dbFile, `${stack.dbFile}-wal`]),
  };
}
