import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

/** What the machine did while one figure was measured: on a shared machine a figure means little without it. */
export interface LoadRecord {
  /** os.loadavg()[0] when the measure started and when it ended. */
  load1: number;
  load1End: number;
  /** Cores' worth of CPU used by processes outside the bench's own tree (other people's tests, builds...). */
  otherCores: number | null;
  /** Cores' worth used by the bench and everything it started (servers, workers, nft, fail2ban). */
  benchCores: number | null;
  seconds: number;
}

export interface CpuMark {
  at: number;
  load1: number;
  /** Busy ticks of the whole machine, from /proc/stat; undefined where /proc cannot be read. */
  busy?: number;
  own?: number;
}

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

async function machineBusyTicks(): Promise<number> {
  const [user, nice, system, , , irq, softirq, steal] = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  return user! + nice! + system! + irq! + softirq! + (steal ?? 0);
}

/**
 * CPU ticks of this process and its live descendants, each with what it reaped from its own children. A child that
 * exits between two marks moves its whole total into its parent's reaped ticks, so the difference stays exact.
 */
async function ownTreeTicks(): Promise<number> {
  const stats = new Map<number, { ppid: number; ticks: number }>();
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = await readFile(`/proc/${name}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      stats.set(Number(name), { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]) });
    } catch {
      // gone meanwhile
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of stats) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let ticks = 0;
  const pending = [process.pid];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    ticks += stats.get(pid)?.ticks ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks;
}

export async function markCpu(): Promise<CpuMark> {
  const at = performance.now();
  const load1 = loadavg()[0]!;
  try {
    const [busy, own] = await Promise.all([machineBusyTicks(), ownTreeTicks()]);
    return { at, load1, busy, own };
  } catch {
    return { at, load1 };
  }
}

export async function loadSince(start: CpuMark): Promise<LoadRecord> {
  const end = await markCpu();
  const seconds = (end.at - start.at) / 1000;
  const cores = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 100) / 100;
  const measured = start.busy !== undefined && end.busy !== undefined && seconds > 0;
  const own = measured ? end.own! - start.own! : 0;
  return {
    load1: round2(start.load1),
    load1End: round2(end.load1),
    otherCores: measured ? Math.max(0, cores(end.busy! - start.busy! - own)) : null,
    benchCores: measured ? cores(own) : null,
    seconds: Math.round(seconds * 10) / 10,
  };
}

/** Runs `task` and returns its value with the load it ran under. */
export async function withLoad<T>(task: () => Promise<T>): Promise<{ value: T; load: LoadRecord }> {
  const mark = await markCpu();
  const value = await task();
  return { value, load: await loadSince(mark) };
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
