/**
 * active-blocks: what holding many blocks at once costs. Applies N blocks through the real nftables enforcer (N
 * concurrent calls, the group-commit path) inside a network namespace of its own; times a single new block with N
 * present; serves the pulled feed with N entries from the real API; reads the API's and the worker's peak RSS. Every
 * figure has a baseline taken in the same run: one raw `nft -f` transaction, one raw `nft add element`, a bare
 * node:http server sending the same file, the worker's RSS before it holds any block.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { createNftablesEnforcer, type NftTransaction } from '../../activities/enforce/nftablesEnforcer.ts';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { canonicalIp } from '../../domain/ip.ts';
import { blockRequestSignal } from '../../workflows/messages.ts';
import { blockWorkflowId } from '../../workflows/ids.ts';
import { ENFORCEMENT_TASK_QUEUE, MAIN_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.ts';
import { BENCH_API_KEY, runConcurrently, type Stack, startStack } from '../support/stack.ts';
import { ratio, summary } from '../support/stats.ts';

const IPV4_RANGES = ['192.0.2', '198.51.100', '203.0.113'] as const;
const HOUR_MS = 3_600_000;

export const activeBlocks: Scenario = { name: 'active-blocks', run };

/**
 * `count` distinct canonical documentation-range addresses: first .1–.254 of the three IPv4 ranges (RFC 5737, 762 in
 * all), the rest IPv6 in 2001:db8:<prefix>::/48 (RFC 3849).
 */
export function documentationAddresses(count: number, ipv6Prefix = 0x10): string[] {
  const out: string[] = [];
  for (const range of IPV4_RANGES) for (let host = 1; host <= 254 && out.length < count; host += 1) out.push(`${range}.${host}`);
  for (let i = 0; out.length < count; i += 1) {
    out.push(canonicalIp(`2001:db8:${ipv6Prefix.toString(16)}:${(i >>> 16).toString(16)}::${(i & 0xffff).toString(16)}`).address);
  }
  return out;
}

interface Exec { stdout: string; stderr: string; code: number }

function runProcess(file: string, args: readonly string[], input?: string, timeoutMs = 60_000): Promise<Exec> {
  return new Promise((resolve) => {
    const child = execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ stdout, stderr, code: err ? (typeof err.code === 'number' ? err.code : -1) : 0 });
    });
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

async function must(file: string, args: readonly string[], input?: string): Promise<string> {
  const result = await runProcess(file, args, input);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim().slice(0, 300)}`);
  return result.stdout;
}

const round = (v: number) => Math.round(v * 10) / 10;

/** Current resident set size of a process, in MiB (the stack's helper reads the peak, VmHWM). */
async function rssMiB(pid: number | undefined): Promise<number | null> {
  try {
    const kib = Number((await readFile(`/proc/${pid}/status`, 'utf8')).match(/VmRSS:\s+(\d+)/)?.[1]);
    return Number.isFinite(kib) ? Math.round(kib / 1024) : null;
  } catch {
    return null;
  }
}

/** Runs `task` up to `count` times, sequentially, stopping early when `budgetMs` is spent; returns per-call ms. */
async function sample(count: number, budgetMs: number, task: (i: number) => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  const deadline = performance.now() + budgetMs;
  for (let i = 0; i < count && performance.now() < deadline; i += 1) {
    const t0 = performance.now();
    await task(i);
    out.push(performance.now() - t0);
  }
  return out;
}

async function run(ctx: BenchContext): Promise<ScenarioResult> {
  const n = ctx.quick ? 10_000 : 100_000;
  const singles = ctx.quick ? 50 : 200;
  const feedGets = ctx.quick ? 5 : 20;
  const held = ctx.quick ? 200 : 2_000;
  const result: ScenarioResult = {
    name: 'active-blocks',
    parameters: { n, singleSamples: singles, feedGets, heldWorkflows: held, ipv4: Math.min(n, 762), ipv6: Math.max(0, n - 762) },
    figures: {},
    ratios: {},
    checks: {},
    notes: [
      `The documentation ranges hold only 762 usable IPv4 addresses (.1-.254 of 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24), so ${Math.max(0, n - 762)} of the ${n} addresses are IPv6 in 2001:db8::/32.`,
    ],
  };
  const addresses = documentationAddresses(n);
  if (process.getuid?.() === 0) await nftablesPart(ctx, addresses, singles, result);
  else result.notes!.push('nftables: skipped, creating a network namespace needs root.');
  await feedPart(ctx, addresses, feedGets, result);
  await workerPart(ctx, held, result);
  return result;
}

/** Parts 1 and 2: all N at once through the enforcer, then single new blocks with N present; both against raw nft. */
async function nftablesPart(ctx: BenchContext, addresses: readonly string[], singles: number, result: ScenarioResult): Promise<void> {
  const n = addresses.length;
  const netns = `rip-bench-${randomBytes(4).toString('hex')}`;
  const nftIn = (args: readonly string[], input?: string) => must('ip', ['netns', 'exec', netns, 'nft', ...args], input);
  await must('ip', ['netns', 'add', netns]);
  try {
    // Baseline: the engine's limit, one transaction loading the same N elements into fresh sets, one statement per set.
    const expiresAt = Date.now() + HOUR_MS;
    const families = { 4: addresses.filter((a) => !a.includes(':')), 6: addresses.filter((a) => a.includes(':')) };
    const rawText = [
      'add table inet rawbench',
      'add set inet rawbench raw4 { type ipv4_addr; flags timeout; }',
      'add set inet rawbench raw6 { type ipv6_addr; flags timeout; }',
      ...([4, 6] as const).filter((f) => families[f].length > 0).map((f) => `add element inet rawbench raw${f} { ${families[f].map((a) => `${a} timeout 3600s`).join(', ')} }`),
      '',
    ].join('\n');
    let t0 = performance.now();
    await nftIn(['-f', '-'], rawText);
    const rawBatchMs = performance.now() - t0;
    ctx.log(`active-blocks: raw nft -f of ${n} elements: ${round(rawBatchMs)} ms`);

    const transactions: NftTransaction[] = [];
    const enforcer = createNftablesEnforcer({ netns, allowlist: [], onTransaction: (t) => transactions.push(t) });
    // The table and chain are made by the first call; ensuring them first keeps that out of the timed figure.
    await enforcer.apply({ address: '2001:db8:ffff:ffff::1', expiresAt });
    transactions.length = 0;
    t0 = performance.now();
    const settled = await Promise.allSettled(addresses.map((address) => enforcer.apply({ address, expiresAt })));
    const applyAllMs = performance.now() - t0;
    const applyTransactions = transactions.splice(0);
    const failed = settled.filter((s) => s.status === 'rejected').length;
    ctx.log(`active-blocks: ${n} concurrent applies: ${round(applyAllMs)} ms in ${applyTransactions.length} transactions, ${failed} failed`);
    t0 = performance.now();
    const listed = await enforcer.list();
    const listMs = performance.now() - t0;

    // Part 2: one new block at a time with N present, through the enforcer and as a bare `nft add element`.
    const fresh = documentationAddresses(762 + singles * 2, 0xfe).slice(762);
    const enforcerSingles = await sample(singles, 60_000, (i) => enforcer.apply({ address: fresh[i]!, expiresAt: Date.now() + HOUR_MS }));
    const rawSingles = await sample(singles, 60_000, async (i) => {
      await nftIn(['add', 'element', 'inet', 'rawbench', 'raw6', `{ ${fresh[singles + i]!} timeout 3600s }`]);
    });
    const single = summary(enforcerSingles);
    const rawSingle = summary(rawSingles);
    ctx.log(`active-blocks: single apply with ${n} present p50 ${single.p50} p99 ${single.p99} ms; raw nft add element p50 ${rawSingle.p50} p99 ${rawSingle.p99} ms`);

    result.figures.nftables = {
      rawBatchMs: round(rawBatchMs),
      applyAllMs: round(applyAllMs),
      applyAllPerSecond: Math.round(n / (applyAllMs / 1000)),
      transactions: applyTransactions.length,
      batchSizes: applyTransactions.map((t) => t.operations),
      transactionMs: applyTransactions.map((t) => round(t.ms)),
      failedApplies: failed,
      listMs: round(listMs),
      listed: listed.length,
      singleBlockMs: single,
      rawSingleMs: rawSingle,
    };
    result.ratios['applyAll/rawBatch'] = ratio(applyAllMs, rawBatchMs);
    result.ratios['singleBlockP99/rawSingleP99'] = ratio(single.p99, rawSingle.p99);
    result.ratios['calls/transactions'] = ratio(n, applyTransactions.length);
    result.checks!.allApplied = failed === 0 && listed.length === n + 1;
    result.checks!.groupCommitted = applyTransactions.length <= Math.ceil(n / 1_000);
    result.checks!.singlesApplied = (await enforcer.list()).length === n + 1 + enforcerSingles.length;
    result.notes!.push(
      `nftables: the raw baseline is one "add element" statement per set in one transaction; the enforcer writes add, delete and add again per element (so an extension rewrites the timeout), in batches of at most 20,000 calls, and ${applyTransactions.length} transactions carried the ${n} calls.`,
      'Single-block times include starting nft through "ip netns exec", for the enforcer and the raw command alike.',
    );
  } finally {
    // Deleting the namespace takes its tables with it.
    await runProcess('ip', ['netns', 'del', netns]);
  }
}

/** Part 3 and the API's RSS: the pulled feed with N entries, against a bare server sending the same file. */
async function feedPart(ctx: BenchContext, addresses: readonly string[], gets: number, result: ScenarioResult): Promise<void> {
  const dir = join(ctx.scratch, 'active-blocks-feed');
  await mkdir(dir, { recursive: true });
  let stack: Stack | undefined;
  let bare: Server | undefined;
  try {
    stack = await startStack(dir, { policy: { enforcement: { points: ['edl'] } }, worker: false });
    const edlPath = join(stack.dataDir, 'edl-blocklist.json');
    const expiresAt = Date.now() + HOUR_MS;
    const t0 = performance.now();
    await new EdlFile(edlPath).update((entries) => {
      for (const address of addresses) entries.set(address, expiresAt);
    });
    const edlWriteMs = performance.now() - t0;

    const url = `${stack.apiUrl}/v1/feeds/blocklist.txt`;
    let bodyBytes = 0;
    let lines = 0;
    const feedMs = await sample(gets, 120_000, async () => {
      const res = await fetch(url, { headers: { 'x-api-key': BENCH_API_KEY } });
      const body = await res.text();
      if (res.status !== 200) throw new Error(`feed answered ${res.status}: ${body.slice(0, 200)}`);
      bodyBytes = Buffer.byteLength(body);
      lines = body.split('\n').filter(Boolean).length;
    });

    bare = createServer((_req, res) => {
      readFile(edlPath).then((file) => res.end(file), () => {
        res.statusCode = 500;
        res.end();
      });
    });
    await new Promise<void>((ok, fail) => bare!.once('error', fail).listen(0, '127.0.0.1', ok));
    const bareUrl = `http://127.0.0.1:${(bare.address() as { port: number }).port}/`;
    let fileBytes = 0;
    const rawMs = await sample(gets, 60_000, async () => {
      const res = await fetch(bareUrl);
      fileBytes = (await res.arrayBuffer()).byteLength;
    });
    const apiRss = await stack.api.peakRssMiB();
    const feed = summary(feedMs);
    const raw = summary(rawMs);
    ctx.log(`active-blocks: feed with ${addresses.length} entries p50 ${feed.p50} p99 ${feed.p99} ms (${bodyBytes} B); bare file p50 ${raw.p50} p99 ${raw.p99} ms; API peak RSS ${apiRss} MiB`);
    result.figures.feed = { edlWriteMs: round(edlWriteMs), feedMs: feed, bodyBytes, lines, rawFileMs: raw, fileBytes, apiPeakRssMiB: apiRss };
    result.ratios['feed/rawFile'] = ratio(feed.p50, raw.p50);
    result.ratios['feedP99/rawFileP99'] = ratio(feed.p99, raw.p99);
    result.checks!.feedComplete = lines === addresses.length;
    result.notes!.push(`feed: the bare server reads the EDL's JSON file (${fileBytes} B) and sends it as it is; the API reads the same file and parses, sorts, formats and hashes it on every request.`);
  } finally {
    if (bare) await new Promise<void>((ok) => bare!.close(() => ok()));
    await stack?.stop();
  }
}

/** The worker's peak RSS with `held` block workflows running (each waiting on its timer), against its RSS before. */
async function workerPart(ctx: BenchContext, held: number, result: ScenarioResult): Promise<void> {
  const dir = join(ctx.scratch, 'active-blocks-worker');
  await mkdir(dir, { recursive: true });
  let stack: Stack | undefined;
  try {
    // The dry-run log point: the workflows and the enforcement activities run for real, no firewall is touched.
    stack = await startStack(dir, { policy: { enforcement: { points: ['log'] } } });
    const { client, worker } = stack;
    // The worker bundles the workflow code at start-up (its peak RSS includes that); one block first makes sure it
    // is bundled and polling before its idle RSS is read.
    const pid = worker!.child.pid;
    const warmup = documentationAddresses(763, 0xfc)[762]!;
    await client.workflow.signalWithStart('blockWorkflow', {
      workflowId: blockWorkflowId(warmup),
      taskQueue: MAIN_TASK_QUEUE,
      args: [{ address: warmup, points: ['log'], enforcementTaskQueue: ENFORCEMENT_TASK_QUEUE }],
      signal: blockRequestSignal,
      signalArgs: [{ durationMs: HOUR_MS, reason: 'bench active-blocks warm-up', requestedBy: 'bench' }],
    });
    const activeQuery = 'WorkflowType = "blockWorkflow" AND ExecutionStatus = "Running" AND RiposteStatus = "active"';
    const warmDeadline = Date.now() + 90_000;
    while ((await client.workflow.count(activeQuery)).count < 1 && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 500));
    await new Promise((r) => setTimeout(r, 2_000));
    const idleRss = await rssMiB(pid);
    const idlePeak = await worker!.peakRssMiB();

    const addresses = documentationAddresses(762 + held, 0xfd).slice(762);
    const t0 = performance.now();
    const started = await runConcurrently(held, 32, async (i) => {
      const address = addresses[i]!;
      await client.workflow.signalWithStart('blockWorkflow', {
        workflowId: blockWorkflowId(address),
        taskQueue: MAIN_TASK_QUEUE,
        args: [{ address, points: ['log'], enforcementTaskQueue: ENFORCEMENT_TASK_QUEUE }],
        signal: blockRequestSignal,
        signalArgs: [{ durationMs: HOUR_MS, reason: 'bench active-blocks', requestedBy: 'bench' }],
      });
    });
    const startMs = performance.now() - t0;
    let active = 0;
    const deadline = Date.now() + (ctx.quick ? 60_000 : 150_000);
    while (Date.now() < deadline) {
      active = (await client.workflow.count(activeQuery)).count;
      if (active >= held + 1 - started.failures) break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const allActiveMs = performance.now() - t0;
    active -= 1; // the warm-up block
    const heldRss = await rssMiB(pid);
    const heldPeak = await worker!.peakRssMiB();
    ctx.log(`active-blocks: ${active}/${held} block workflows active after ${round(allActiveMs)} ms; worker RSS ${idleRss} -> ${heldRss} MiB, peak ${heldPeak} MiB`);
    result.figures.worker = {
      heldWorkflows: active,
      startFailures: started.failures,
      signalWithStartMs: round(startMs),
      allActiveMs: round(allActiveMs),
      idleRssMiB: idleRss,
      idlePeakRssMiB: idlePeak,
      heldRssMiB: heldRss,
      heldPeakRssMiB: heldPeak,
    };
    result.ratios['workerRssHeld/idle'] = ratio(heldRss, idleRss);
    result.checks!.workflowsHeld = active === held;
    result.notes!.push(
      `worker: ${held} block workflows started by signal-with-start (as requestBlock does), applied through the enforcement queue to the dry-run "log" point and left waiting on their one-hour timers; "allActiveMs" runs until the visibility store counts them all active. RSS is read from /proc (VmRSS now, VmHWM for the peak, which includes bundling the workflow code at start-up). The main worker caches at most 500 workflows (maxCachedWorkflows), so a held workflow beyond that costs server-side storage, not worker memory, until its timer fires.`,
    );
  } finally {
    await stack?.stop();
  }
}
