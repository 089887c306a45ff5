import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';

function run(file: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(file, args, { timeout: 60_000, maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => (err ? reject(new Error(`${file} ${args.slice(0, 6).join(' ')}: ${stderr || err.message}`)) : resolve(stdout)));
    if (input !== undefined) child.stdin!.end(input);
  });
}

export interface Namespace {
  name: string;
  run(argv: readonly string[]): Promise<string>;
  /** Like run, with `input` on the command's standard input. */
  runWithInput(argv: readonly string[], input: string): Promise<string>;
  /** Like run, but through nsenter, which skips `ip netns exec`'s mount namespace: cheaper for tight polling loops. */
  enter(argv: readonly string[]): Promise<string>;
  remove(): Promise<void>;
}

/** A network namespace of the bench's own, with loopback up; nothing else is touched. */
export async function createNamespace(prefix: string): Promise<Namespace> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  await run('ip', ['netns', 'add', name]);
  await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return {
    name,
    run: (argv) => run('ip', ['netns', 'exec', name, ...argv]),
    runWithInput: (argv, input) => run('ip', ['netns', 'exec', name, ...argv], input),
    enter: (argv) => run('nsenter', [`--net=/run/netns/${name}`, '--', ...argv]),
    remove: () => run('ip', ['netns', 'delete', name]).then(() => undefined, () => undefined),
  };
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Addresses in an nft set, from `nft -j list set`; an absent table reads as empty. */
export async function nftSetMembers(ns: Namespace, family: string, table: string, set: string): Promise<Set<string>> {
  let text: string;
  try {
    text = await ns.enter(['nft', '-j', 'list', 'set', family, table, set]);
  } catch {
    return new Set();
  }
  const members = new Set<string>();
  for (const item of (JSON.parse(text) as { nftables: { set?: { elem?: unknown[] } }[] }).nftables) {
    for (const elem of item.set?.elem ?? []) {
      const value = typeof elem === 'string' ? elem : (elem as { elem?: { val?: unknown } }).elem?.val;
      if (typeof value === 'string') members.add(value);
    }
  }
  return members;
}
