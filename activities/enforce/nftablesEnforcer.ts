import { execFile } from 'node:child_process';
import { ApplicationFailure } from '@temporalio/common';
import { allowlistMatch, type CanonicalCidr, type CanonicalIp, canonicalIp } from '../../domain/ip.ts';
import type { BlockTarget, EnforcementPoint } from './enforcementPoint.ts';

export interface NftablesOptions {
  /** Network namespace to act in (`ip netns exec`); the host's own when absent. */
  netns?: string;
  /** `inet <name>` or a bare name; default `inet riposte`. */
  table?: string;
  nftPath?: string;
}

export interface NftablesEnforcerOptions extends NftablesOptions {
  allowlist: readonly CanonicalCidr[];
}

const SETS = { 4: 'blocked4', 6: 'blocked6' } as const;
const CHAIN = 'prerouting';
// nft 1.0.6 refuses a seconds count above eight digits ("value too large"): about 3.2 years.
const MAX_TIMEOUT_S = 99_999_999;
const NFT_TIMEOUT_MS = 30_000;

function tableName(table = 'inet riposte'): string {
  // The name is spliced into nft batch text, so anything but a plain identifier could smuggle in commands.
  const match = /^(?:inet )?([A-Za-z][A-Za-z0-9_]{0,63})$/.exec(table);
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

/** Blocks single addresses in a table of Riposte's own, with per-element kernel timeouts. */
export function createNftablesEnforcer(options: NftablesEnforcerOptions): EnforcementPoint {
  const table = tableName(options.table);
  const nft = runner(options);

  // One writer: concurrent nft transactions on big sets are slow and their interleaving is hard to reason about.
  let tail: Promise<unknown> = Promise.resolve();
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = tail.then(task, task);
    tail = run.catch(() => {});
    return run;
  }

  let ensured: Promise<unknown> | undefined;
  function ensure(): Promise<unknown> {
    // `add` leaves existing sets and their elements alone; only the chain's rules are rewritten.
    ensured ??= serial(() => nft(['-f', '-'], [
      `add table ${table}`,
      `add set ${table} ${SETS[4]} { type ipv4_addr; flags timeout; }`,
      `add set ${table} ${SETS[6]} { type ipv6_addr; flags timeout; }`,
      // Raw prerouting runs before conntrack, so packets of already-open connections are dropped as well.
      `add chain ${table} ${CHAIN} { type filter hook prerouting priority raw; policy accept; }`,
      `flush chain ${table} ${CHAIN}`,
      `add rule ${table} ${CHAIN} ip saddr @${SETS[4]} drop`,
      `add rule ${table} ${CHAIN} ip6 saddr @${SETS[6]} drop`,
      '',
    ].join('\n'))).catch((err: unknown) => {
      ensured = undefined;
      throw err;
    });
    return ensured;
  }

  async function batch(lines: string[]): Promise<void> {
    await ensure();
    await serial(() => nft(['-f', '-'], `${lines.join('\n')}\n`));
  }

  function setOf(ip: CanonicalIp): string {
    return `${table} ${SETS[ip.family]}`;
  }

  function removeLines(ip: CanonicalIp): string[] {
    // A batch is all-or-nothing, so the add makes the delete safe when the element is absent.
    return [`add element ${setOf(ip)} { ${ip.address} timeout 1s }`, `delete element ${setOf(ip)} { ${ip.address} }`];
  }

  return {
    name: 'nftables',

    async apply({ address, expiresAt }: BlockTarget) {
      const ip = canonical(address);
      const hit = allowlistMatch(ip, options.allowlist);
      if (hit) throw ApplicationFailure.nonRetryable(`${ip.address} is allowlisted by ${hit.text}`, 'AllowlistViolation');
      if (!Number.isFinite(expiresAt)) throw ApplicationFailure.nonRetryable('expiresAt must be a finite epoch time', 'InvalidExpiry');
      if (expiresAt <= Date.now()) return batch(removeLines(ip));
      const seconds = Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000));
      if (seconds > MAX_TIMEOUT_S) throw ApplicationFailure.nonRetryable(`expiry is beyond the kernel's ${MAX_TIMEOUT_S}s timeout limit`, 'InvalidExpiry');
      // `add` on an existing element keeps its old timeout, so an extension has to delete and re-add it.
      const add = `add element ${setOf(ip)} { ${ip.address} timeout ${seconds}s }`;
      return batch([add, `delete element ${setOf(ip)} { ${ip.address} }`, add]);
    },

    async remove(address: string) {
      return batch(removeLines(canonical(address)));
    },

    async list() {
      await ensure();
      const targets: BlockTarget[] = [];
      for (const set of Object.values(SETS)) {
        const json = await serial(() => nft(['-j', 'list', 'set', ...table.split(' '), set]));
        const now = Date.now();
        for (const elem of setElements(json)) {
          // Elements someone added without a timeout never expire.
          const expiresAt = elem.expires === undefined ? Number.MAX_SAFE_INTEGER : now + elem.expires * 1000;
          targets.push({ address: canonicalIp(elem.val).address, expiresAt });
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

function canonical(address: string): CanonicalIp {
  let ip: CanonicalIp;
  try {
    ip = canonicalIp(address);
  } catch {
    // The raw input is not echoed: it may be anything an attacker put in an alert.
    throw ApplicationFailure.nonRetryable('address is not a valid IP address', 'InvalidAddress');
  }
  if (ip.address !== address) throw ApplicationFailure.nonRetryable(`address was not sent in canonical form (${ip.address})`, 'InvalidAddress');
  return ip;
}

interface NftElement {
  val: string;
  /** Whole seconds left. */
  expires?: number;
}

function setElements(json: string): NftElement[] {
  const doc = JSON.parse(json) as { nftables?: Array<{ set?: { elem?: Array<string | { elem: NftElement }> } }> };
  const elems = doc.nftables?.find((entry) => entry.set)?.set?.elem ?? [];
  // Elements without a timeout are listed as bare strings.
  return elems.map((elem) => (typeof elem === 'string' ? { val: elem } : elem.elem));
}
