import { readdir, readFile, stat } from 'node:fs/promises';

const MiB = 2 ** 20;

async function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number | null> {
  try {
    const kib = Number((await readFile(`/proc/${pid}/status`, 'utf8')).match(new RegExp(`${field}:\\s+(\\d+)`))?.[1]);
    return Number.isFinite(kib) ? Math.round(kib / 1024) : null;
  } catch {
    return null;
  }
}

export const rssMiB = (pid: number) => statusField(pid, 'VmRSS');
export const peakRssMiB = (pid: number) => statusField(pid, 'VmHWM');

/**
 * The RSS of a process started with bench/support/gcOnSignal.mjs, after a full collection in every thread and a
 * pause for the heap to be given back; any other process ignores the signal and is read as it is.
 */
export async function rssAfterGcMiB(pid: number): Promise<number | null> {
  try {
    process.kill(pid, 'SIGWINCH');
  } catch {
    return null;
  }
  await new Promise((r) => setTimeout(r, 2_000));
  return rssMiB(pid);
}

/** A process of the bench's own whose command line contains `text` (e.g. a server's database file). */
export async function findProcess(text: string): Promise<number | undefined> {
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.split('\0').includes(text)) return Number(name);
  }
  return undefined;
}

/** Bytes of the files that exist among `paths` (a SQLite database with its WAL), in MiB. */
export async function filesMiB(paths: readonly string[]): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const path of paths) {
    const size = await stat(path).then((s) => s.size, () => undefined);
    if (size !== undefined) sizes[path.split('/').pop()!] = Math.round((size / MiB) * 10) / 10;
  }
  return sizes;
}
