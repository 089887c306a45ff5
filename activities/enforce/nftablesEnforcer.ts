import { execFile } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { CanonicalCidr } from '../../domain/ip.ts';
import { canonicalTarget, checkedBlock } from './blockTarget.ts';
import type { BlockTarget, EnforcementPoint } from './enforcementPoint.ts';
import { isRangeSet, layoutText, type NftSet, setFor, setNamed, targetOf } from './nftablesLayout.ts';
import { groupCommit } from './groupCommit.ts';
import { enforcementPointDefinition } from './pointDefinition.ts';

export interface NftablesOptions {
  /** Network namespace to act in (`ip netns exec`); the host's own when absent. */
  netns?: string;
  /** `inet <name>` or a bare name; default `inet riposte`. */
  table?: string;
  nftPath?: string;
}

export interface NftablesEnforcerOptions extends NftablesOptions {
  allowlist: readonly CanonicalCidr[];
  /** Largest number of apply/remove calls carried by one `nft -f` transaction; default 20,000. */
  maxBatch?: number;
  /** Called after every `nft -f` transaction that carries apply/remove calls (for metrics and benchmarks). */
  onTransaction?: (transaction: NftTransaction) => void;
}

export interface NftTransaction {
  /** apply/remove calls carried. */
  operations: number;
  ok: boolean;
  ms: number;
  /** A retry of part of a batch that failed, to find the calls that failed on their own. */
  retry: boolean;
}

// nft 1.0.6 refuses a seconds count above eight digits ("value too large"): about 3.2 years.
const MAX_TIMEOUT_S = 99_999_999;
const NFT_TIMEOUT_MS = 30_000;
// Measured with nft 1.0.6 on two cores: 20k applies commit in 0.3 s (nft peaks at ~28 MiB), 100k in 1.6 s (~120 MiB)
// with no gain per call; 20k keeps each transaction short and far inside NFT_TIMEOUT_MS.
const DEFAULT_MAX_BATCH = 20_000;

/** One apply or remove waiting for the next transaction; `expiresAt` absent means remove. */
interface Operation {
  target: CanonicalCidr;
  set: NftSet;
  expiresAt?: number;
  resolve(): void;
  reject(err: unknown): void;
}

function tableName(table = 'inet riposte'): string {
  // The name is spliced into nft batch text, so anything but a plain identifier could smuggle in commands.
  const match = table.match(/^(?:inet )?([A-Za-z][A-Za-z0-9_]{0,63})$/);
  if (!match) throw new Error('nftables table must be "inet <name>" with a plain identifier');
  return `inet ${match[1]}`;
}

function runner({ netns, nftPath = 'nft' }: NftablesOptions) {
  const [file, prefix] = netns === undefined ? [nftPath, []] : ['ip', ['netns', 'exec', netns, nftPath]];
  return (args: readonly string[], input?: string): Promise<string> => new Promise((resolve, reject) => {
    const child = execFile(file, [...prefix, ...args], { timeout: NFT_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const detail = (stderr || err.message).trim().slice(0, 500);
      const failure = new Error(`nft ${args.join(' ')} failed: ${detail}`);
      failure.name = 'NftError';
      reject(failure);
    });
    // nft may exit before reading stdin; the exit status already carries the failure.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** Blocks addresses and ranges in a table of Riposte's own (see nftablesLayout.ts), with per-element kernel timeouts. */
export function createNftablesEnforcer(options: NftablesEnforcerOptions): EnforcementPoint {
  const table = tableName(options.table);
  const nft = runner(options);
  /** The range sets in the table and in its chain: read by ensure(), grown by each transaction that makes one. */
  let rangeSets = new Map<string, NftSet>();
  async function readRangeSets(): Promise<Map<string, NftSet>> {
    const sets = rangeSetsIn(await nft(['-j', '-t', 'list', 'sets', 'inet']), table);
    return new Map(sets.map((set) => [set.name, set]));
  }

  // One writer: concurrent nft transactions on big sets are slow and their interleaving is hard to reason about.
  let tail: Promise<unknown> = Promise.resolve();
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  }

  let ensured: Promise<unknown> | undefined;
  function ensure(): Promise<unknown> {
    // Range sets made by an earlier run keep their elements, and the chain is rewritten to look them up again.
    ensured ??= serial(async () => {
      const existing = await readRangeSets();
      await nft(['-f', '-'], [`add table ${table}`, ...layoutText(table, existing.values()), ''].join('\n'));
      rangeSets = existing;
    }).catch((err: unknown) => {
      ensured = undefined;
      throw err;
    });
    return ensured;
  }

  /**
   * The transaction text for `ops`. Per element it is add, delete, then add again for an apply: `add` on an existing
   * element keeps its old timeout, so an extension has to delete and re-add it, and the first add makes the delete
   * safe when the element is absent (a batch is all-or-nothing). Runs of calls on distinct addresses are written as
   * one statement per set and step, which nft parses about twice as fast as one statement per element (measured: 20k
   * applies in 0.29 s and 28 MiB against 0.51 s and 105 MiB); a repeated target starts a new run, so its calls keep
   * their order. A range of a length with no set yet brings the set and its rule along, in the same transaction.
   */
  function batchText(ops: readonly Operation[], now: number): { text: string; made: NftSet[] } {
    const made = new Map<string, NftSet>();
    for (const { set } of ops) if (isRangeSet(set) && !rangeSets.has(set.name)) made.set(set.name, set);
    const lines = made.size > 0 ? layoutText(table, [...rangeSets.values(), ...made.values()]) : [];
    let run = new Map<string, Operation[]>();
    let seen = new Set<string>();
    const flush = () => {
      for (const [name, mine] of run) {
        const set = `${table} ${name}`;
        // The timeout is counted from when the transaction is built, not from when the call arrived.
        const applied = mine.map((op) => (op.expiresAt !== undefined && op.expiresAt > now
          ? `${op.target.network} timeout ${Math.min(MAX_TIMEOUT_S, Math.max(1, Math.ceil((op.expiresAt - now) / 1000)))}s`
          : undefined));
        lines.push(`add element ${set} { ${mine.map((op, i) => applied[i] ?? `${op.target.network} timeout 1s`).join(', ')} }`);
        lines.push(`delete element ${set} { ${mine.map((op) => op.target.network).join(', ')} }`);
        const readd = applied.filter((element) => element !== undefined);
        if (readd.length > 0) lines.push(`add element ${set} { ${readd.join(', ')} }`);
      }
      run = new Map();
      seen = new Set();
    };
    for (const op of ops) {
      if (seen.has(op.target.text)) flush();
      seen.add(op.target.text);
      const mine = run.get(op.set.name);
      if (mine) mine.push(op);
      else run.set(op.set.name, [op]);
    }
    flush();
    return { text: `${lines.join('\n')}\n`, made: [...made.values()] };
  }

  // Group commit: the next transaction carries every call waiting (up to maxBatch) in one `nft -f`. Each element's
  // add/delete/add is safe whatever the set holds, and calls on one target keep their order, so a batch ends in the
  // same state as the calls made one by one.
  const batched = groupCommit<Operation>({
    maxBatch: Math.max(1, Math.floor(options.maxBatch ?? DEFAULT_MAX_BATCH)),
    prepare: ensure,
    commit: (ops) => commit(ops, false),
  });
  const enqueue = (target: CanonicalCidr, expiresAt?: number) => batched({ target, set: setFor(target), expiresAt });

  async function transact(ops: Operation[], retry: boolean): Promise<unknown> {
    const start = performance.now();
    let ok = false;
    try {
      await serial(async () => {
        // A new set rewrites the chain, which must keep the lookups of sets another enforcer on this table has made.
        if (ops.some(({ set }) => isRangeSet(set) && !rangeSets.has(set.name))) rangeSets = await readRangeSets();
        const { text, made } = batchText(ops, Date.now());
        await nft(['-f', '-'], text);
        for (const set of made) rangeSets.set(set.name, set);
      });
      ok = true;
      return undefined;
    } catch (err) {
      return err ?? new Error('nft failed');
    } finally {
      try {
        options.onTransaction?.({ operations: ops.length, ok, ms: performance.now() - start, retry });
      } catch {
        // An observer's fault must not strand the callers waiting on this transaction.
      }
    }
  }

  /** Commits `ops` in one transaction; when it fails, finds the calls that fail on their own and rejects only those. */
  async function commit(ops: Operation[], retry: boolean): Promise<void> {
    const err = await transact(ops, retry);
    if (err === undefined) {
      for (const op of ops) op.resolve();
      return;
    }
    // The table may have been deleted under us (`nft flush ruleset`): the next ensure() puts it back.
    if (!retry) ensured = undefined;
    if (ops.length === 1) {
      ops[0]!.reject(err);
      return;
    }
    if (!retry) {
      // If even putting the table back fails, the fault is not in any one call, so every call fails with it.
      try {
        await ensure();
      } catch (ensureErr) {
        for (const op of ops) op.reject(ensureErr);
        return;
      }
    }
    // Halves rather than one transaction per call: one bad call among 20k costs ~30 transactions, not 20k.
    const half = Math.ceil(ops.length / 2);
    await commit(ops.slice(0, half), true);
    await commit(ops.slice(half), true);
  }

  return {
    name: 'nftables',

    async apply({ address, expiresAt }: BlockTarget) {
      const target = checkedBlock({ address, expiresAt }, options.allowlist);
      if ((expiresAt - Date.now()) / 1000 > MAX_TIMEOUT_S) throw ApplicationFailure.nonRetryable(`expiry is beyond the kernel's ${MAX_TIMEOUT_S}s timeout limit`, 'InvalidExpiry');
      return enqueue(target, expiresAt);
    },

    async remove(address: string) {
      return enqueue(canonicalTarget(address));
    },

    async list() {
      // Reconcile lists the point: the table, its sets or its rules may have been flushed since, so they are put back
      // first (the layout is idempotent and keeps every element).
      ensured = undefined;
      await ensure();
      const json = await serial(() => nft(['-j', 'list', 'table', ...table.split(' ')]));
      const now = Date.now();
      const targets: BlockTarget[] = [];
      for (const { name, elem = [] } of nftSets(json)) {
        const set = setNamed(name);
        if (!set) continue;
        for (const entry of elem) {
          // Elements without a timeout are listed as bare strings; someone else added them, and they never expire.
          const { val, expires } = typeof entry === 'string' ? { val: entry, expires: undefined } : entry.elem;
          targets.push({ address: targetOf(set, val), expiresAt: expires === undefined ? Number.MAX_SAFE_INTEGER : now + expires * 1000 });
        }
      }
      return targets;
    },
  };
}

/** Deletes the whole table; tests use it to clean up. Absent tables are fine. */
export async function removeNftablesTable(options: NftablesOptions = {}): Promise<void> {
  const table = tableName(options.table);
  // Adding first makes the delete succeed in the same transaction whether or not the table existed.
  await runner(options)(['-f', '-'], `add table ${table}\ndelete table ${table}\n`);
}

interface NftSetJson {
  name: string;
  table: string;
  elem?: Array<string | { elem: { val: string; /** Whole seconds left. */ expires?: number } }>;
}

/** The sets in `nft -j list` output. */
function nftSets(json: string): NftSetJson[] {
  const doc = JSON.parse(json) as { nftables?: Array<{ set?: NftSetJson }> };
  return (doc.nftables ?? []).flatMap((entry) => (entry.set ? [entry.set] : []));
}

/** The range sets of Riposte's layout that `table` holds, from `nft -j -t list sets inet`. */
function rangeSetsIn(json: string, table: string): NftSet[] {
  const name = table.split(' ')[1];
  return nftSets(json).flatMap((entry) => {
    const set = entry.table === name ? setNamed(entry.name) : undefined;
    return set && isRangeSet(set) ? [set] : [];
  });
}

export const nftablesPoint = enforcementPointDefinition({
  name: 'nftables',
  description: 'the host kernel firewall: a table of its own with per-element timeouts',
  settings: z.object({
    // Another network namespace's firewall (`ip netns exec`), as the tests use; absent: this host's own.
    RIPOSTE_NFT_NETNS: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
    RIPOSTE_NFT_TABLE: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/).default('riposte'),
  }),
  create: (settings, { allowlist }) => createNftablesEnforcer({ netns: settings.RIPOSTE_NFT_NETNS, table: settings.RIPOSTE_NFT_TABLE, allowlist }),
});
