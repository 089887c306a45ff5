import { execFile } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { type CanonicalCidr, canonicalCidr, type IpFamily } from '../../domain/ip.ts';
import { canonicalTarget, checkedBlock } from './blockTarget.ts';
import type { BlockTarget, EnforcementPoint } from './enforcementPoint.ts';
import { groupCommit } from './groupCommit.ts';
import { enforcementPointDefinition } from './pointDefinition.ts';

/** Riposte's two sets, one per family: `hash:net` holds addresses and ranges side by side, each with its own timeout. */
export const IPSET_SETS = { 4: 'riposte4', 6: 'riposte6' } as const;
/** The kernel keeps timeouts in milliseconds in 31 bits, so `ipset` refuses more than this many seconds (about 24.8 days). */
export const IPSET_MAX_TIMEOUT_S = 2_147_483;
// The default maxelem (65,536) is below what a botnet wave can bring; elements cost memory only once added.
const MAX_ELEMENTS = 1_048_576;
const CHAINS = ['INPUT', 'FORWARD'] as const;
const COMMAND_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_BATCH = 20_000;

export interface IpsetOptions {
  /** Network namespace to act in (`ip netns exec`); the host's own when absent. */
  netns?: string;
  ipsetPath?: string;
  iptablesPath?: string;
  ip6tablesPath?: string;
}

export interface IpsetEnforcerOptions extends IpsetOptions {
  allowlist: readonly CanonicalCidr[];
  /** Largest number of apply/remove calls carried by one `ipset restore`; default 20,000. */
  maxBatch?: number;
}

/** One apply or remove waiting for the next `ipset restore`; `expiresAt` absent means remove. */
interface Operation {
  target: CanonicalCidr;
  expiresAt?: number;
  resolve(): void;
  reject(err: unknown): void;
}

type Run = (program: string, args: readonly string[], input?: string) => Promise<string>;

function runner(netns: string | undefined): Run {
  return (program, args, input) => new Promise((resolve, reject) => {
    const [file, argv] = netns === undefined ? [program, args] : ['ip', ['netns', 'exec', netns, program, ...args]];
    const child = execFile(file, argv, { timeout: COMMAND_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const failure = new Error(`${program} ${args.join(' ')} failed: ${(stderr || err.message).trim().slice(0, 500)}`);
      failure.name = 'IpsetError';
      reject(failure);
    });
    // The program may exit before reading stdin; the exit status already carries the failure.
    child.stdin?.on('error', () => {});
    child.stdin?.end(input ?? '');
  });
}

/** Seconds for an element's kernel timeout, or undefined when the expiry has passed (the element is deleted instead). */
export function ipsetTimeout(expiresAt: number, now: number): number | undefined {
  const ms = expiresAt - now;
  if (ms <= 0) return undefined;
  // A longer block is cut to the kernel's limit; reconcile puts it back with its remaining time once the kernel drops it.
  return Math.min(IPSET_MAX_TIMEOUT_S, Math.ceil(ms / 1000));
}

/**
 * The `ipset restore -exist` input for `ops`, in their order. With -exist an `add` of a present element rewrites its
 * timeout and a `del` of an absent one succeeds, so every line is safe whatever the sets hold.
 */
export function restoreText(ops: ReadonlyArray<{ target: CanonicalCidr; expiresAt?: number }>, now: number): string {
  return ops.map(({ target, expiresAt }) => {
    const set = IPSET_SETS[target.family];
    const timeout = expiresAt === undefined ? undefined : ipsetTimeout(expiresAt, now);
    return timeout === undefined ? `del ${set} ${target.text}` : `add ${set} ${target.text} timeout ${timeout}`;
  }).join('\n').concat('\n');
}

/** The elements of Riposte's sets in `ipset save` output, canonical, with their expiries. */
export function parseIpsetSave(text: string, now: number): BlockTarget[] {
  const names = new Set<string>(Object.values(IPSET_SETS));
  const targets: BlockTarget[] = [];
  for (const line of text.split('\n')) {
    const [verb, set, element, ...options] = line.trim().split(/\s+/);
    if (verb !== 'add' || !set || !names.has(set) || !element) continue;
    let address: string;
    try {
      address = canonicalCidr(element).text;
    } catch {
      // An element someone else wrote in a form Riposte never uses is not Riposte's to report.
      continue;
    }
    const at = options.indexOf('timeout');
    const seconds = at >= 0 ? Number(options[at + 1]) : 0;
    // An element without a timeout was not added by Riposte, which always sets one, and never expires.
    targets.push({ address, expiresAt: seconds > 0 ? now + seconds * 1000 : Number.MAX_SAFE_INTEGER });
  }
  return targets;
}

/** Whether `ipset list <set> -terse` describes a set Riposte can use for `family`: hash:net with timeouts. */
export function usableSetHeader(terse: string, family: IpFamily): boolean {
  const header = terse.match(/^Header: (.*)$/m)?.[1] ?? '';
  return /^Type: hash:net$/m.test(terse) && new RegExp(`\\bfamily ${family === 4 ? 'inet' : 'inet6'}\\b`).test(header) && /\btimeout \d+/.test(header);
}

/**
 * Blocks addresses and ranges in the ipset sets `riposte4` and `riposte6`, for hosts that filter with iptables rather
 * than nftables. Each element carries its own kernel timeout, so a block ends even while Riposte is down. One
 * `iptables`/`ip6tables` rule per set in INPUT and in FORWARD, inserted first, drops what the sets match; the rules
 * and sets are checked and put back before each batch after a failure and before every list(), never duplicated.
 */
export function createIpsetEnforcer(options: IpsetEnforcerOptions): EnforcementPoint {
  const run = runner(options.netns);
  const ipset = options.ipsetPath ?? 'ipset';
  const tables = { 4: options.iptablesPath ?? 'iptables', 6: options.ip6tablesPath ?? 'ip6tables' } as const;

  // One writer: ipset and iptables changes from concurrent calls would interleave in ways hard to reason about.
  let tail: Promise<unknown> = Promise.resolve();
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const result = tail.then(task, task);
    tail = result.catch(() => {});
    return result;
  }

  async function ensureSet(family: IpFamily): Promise<void> {
    const name = IPSET_SETS[family];
    const terse = await run(ipset, ['list', name, '-terse']).catch(() => undefined);
    if (terse === undefined) {
      await run(ipset, ['create', name, 'hash:net', 'family', family === 4 ? 'inet' : 'inet6', 'timeout', '0', 'maxelem', String(MAX_ELEMENTS), '-exist']);
      return;
    }
    if (!usableSetHeader(terse, family)) {
      throw ApplicationFailure.nonRetryable(`ipset set ${name} exists but is not a hash:net ${family === 4 ? 'inet' : 'inet6'} set with timeouts; rename or destroy it`, 'IpsetLayout');
    }
  }

  async function ensureRules(family: IpFamily): Promise<void> {
    for (const chain of CHAINS) {
      const rule = [chain, '-m', 'set', '--match-set', IPSET_SETS[family], 'src', '-j', 'DROP'];
      // -C first: -I alone would add a second copy of the rule every time the layout is checked.
      const present = await run(tables[family], ['-w', '10', '-C', ...rule]).then(() => true, () => false);
      if (!present) await run(tables[family], ['-w', '10', '-I', ...rule]);
    }
  }

  let ensured: Promise<unknown> | undefined;
  function ensure(): Promise<unknown> {
    // The rules reference the sets, so the sets come first.
    ensured ??= serial(async () => {
      for (const family of [4, 6] as const) await ensureSet(family);
      for (const family of [4, 6] as const) await ensureRules(family);
    }).catch((err: unknown) => {
      ensured = undefined;
      throw err;
    });
    return ensured;
  }

  // Group commit, as the nftables point does: calls that arrive while a restore runs share the next one.
  const batched = groupCommit<Operation>({
    maxBatch: Math.max(1, Math.floor(options.maxBatch ?? DEFAULT_MAX_BATCH)),
    prepare: ensure,
    commit: (ops) => commit(ops, false),
  });
  const enqueue = (target: CanonicalCidr, expiresAt?: number) => batched({ target, expiresAt });

  /**
   * `ipset restore` stops at the first line it cannot carry out, having done the lines before it. Every line is
   * idempotent and halves keep the calls' order, so running the halves again ends in the state of the calls made one
   * by one, and finds the calls that fail on their own.
   */
  async function commit(ops: Operation[], retry: boolean): Promise<void> {
    const err = await serial(() => run(ipset, ['restore', '-exist'], restoreText(ops, Date.now()))).then(() => undefined, (failure: unknown) => failure ?? new Error('ipset restore failed'));
    if (err === undefined) {
      for (const op of ops) op.resolve();
      return;
    }
    if (!retry) {
      // The sets may have been destroyed under us; if even putting them back fails, every call fails with it.
      ensured = undefined;
      try {
        await ensure();
      } catch (ensureErr) {
        for (const op of ops) op.reject(ensureErr);
        return;
      }
      if (ops.length === 1) return commit(ops, true);
    }
    if (ops.length === 1) {
      ops[0]!.reject(err);
      return;
    }
    const half = Math.ceil(ops.length / 2);
    await commit(ops.slice(0, half), true);
    await commit(ops.slice(half), true);
  }

  return {
    name: 'ipset',

    async apply({ address, expiresAt }: BlockTarget) {
      const target = checkedBlock({ address, expiresAt }, options.allowlist);
      if (target.prefix === 0) throw ApplicationFailure.nonRetryable('ipset hash:net sets cannot hold a /0 network', 'InvalidAddress');
      return enqueue(target, expiresAt);
    },

    async remove(address: string) {
      return enqueue(canonicalTarget(address));
    },

    async list() {
      // Reconcile lists the point: sets or rules flushed since are put back first (without touching any element).
      ensured = undefined;
      await ensure();
      const saved = await serial(() => Promise.all([run(ipset, ['save', IPSET_SETS[4]]), run(ipset, ['save', IPSET_SETS[6]])]));
      return parseIpsetSave(saved.join('\n'), Date.now());
    },
  };
}

export const ipsetPoint = enforcementPointDefinition({
  name: 'ipset',
  description: 'ipset sets riposte4/riposte6 with per-element timeouts, dropped by iptables/ip6tables rules in INPUT and FORWARD',
  settings: z.object({
    // Another network namespace's firewall (`ip netns exec`), as the tests use; absent: this host's own.
    RIPOSTE_IPSET_NETNS: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).optional(),
  }),
  create: (settings, { allowlist }) => createIpsetEnforcer({ netns: settings.RIPOSTE_IPSET_NETNS, allowlist }),
});
