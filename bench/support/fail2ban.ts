/**
 * A private fail2ban, run as a competent admin would tune it for fast reaction, for the time-to-contain comparison.
 *
 * The server runs in the foreground as our child, inside a network namespace of the caller's, with a config
 * directory, socket, pid file and database of its own: the system's /etc/fail2ban jails and service are never used,
 * and its nftables action only ever changes that namespace's ruleset. Only the stock nftables action file is copied
 * from the installed package, unmodified.
 *
 * What fail2ban does between a log line and a ban (1.0.x, measured against its code, not patched):
 * - backend: `pyinotify` (woken by inotify on each write) when python3-pyinotify is installed; fail2ban's default
 *   `auto` picks the same, else `polling`, which stats the file about once a second. `systemd` reads the journal
 *   and does not apply to a log file.
 * - the jail's actions thread does not wake on a new ticket: it polls for one with sleeps of 0.2, 0.4, 0.6, 0.8 s
 *   (restarting every 2 s), so a ban waits up to about 0.8 s after the filter has counted maxretry failures. No
 *   setting changes this.
 * - each ban runs the action as a shell command: `nft add element inet f2b-table addr-set-<jail> { <ip> }`.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFile, type FileHandle, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const JAIL = 'sshd';
const TABLE = 'f2b-table';
/** Where distributions put fail2ban's stock configuration (Debian: /etc/fail2ban). */
const STOCK_CONFIG_DIRS = ['/etc/fail2ban', '/usr/local/etc/fail2ban'];

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

function run(file: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, killSignal: 'SIGKILL', encoding: 'utf8', maxBuffer: 64 * 2 ** 20, env: env ?? process.env }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
      const reason = e.killed ? `timed out after ${timeoutMs} ms` : typeof e.code === 'string' ? e.code : undefined;
      resolve({ code: typeof e.code === 'number' ? e.code : null, stdout, stderr, error: reason ?? (stderr.trim() || e.message) });
    });
  });
}

const ok = (r: RunResult) => r.code === 0 && !r.error;
const nowMs = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tail = (text: string, lines = 15) => text.trimEnd().split('\n').slice(-lines).join('\n');

async function version(): Promise<string | undefined> {
  const r = await run('fail2ban-server', ['-V'], 15_000);
  return ok(r) ? r.stdout.trim().split('\n')[0] : undefined;
}

/**
 * Makes sure fail2ban-server, fail2ban-client, nft and ip are there; installs the Debian package with apt-get when
 * root and it is missing. Returns why fail2ban cannot be used, or undefined when ready.
 * The install never starts the system service: policy-rc.d denies it for the duration of the install (an existing
 * policy-rc.d is left as it is), and on a systemd host the unit the package enabled is disabled again.
 */
export async function ensureFail2ban(log: (m: string) => void): Promise<string | undefined> {
  for (const [tool, args] of [['nft', ['--version']], ['ip', ['-V']]] as const) {
    const r = await run(tool, [...args], 15_000);
    if (!ok(r)) return `${tool} is not usable: ${r.error ?? `exit ${r.code}`}`;
  }
  if (process.getuid?.() !== 0) return 'fail2ban needs root (to run in a network namespace and change nftables)';
  const before = await version();
  if (!before) {
    const apt = await run('apt-get', ['--version'], 15_000);
    if (!ok(apt)) return 'fail2ban is not installed and there is no apt-get to install it';
    log('fail2ban: not installed; installing the Debian package fail2ban (+ python3-pyinotify) with apt-get');
    const policy = '/usr/sbin/policy-rc.d';
    let ownPolicy = false;
    try {
      await writeFile(policy, '#!/bin/sh\n# written by riposte bench while installing fail2ban; removed afterwards\n[ "$1" = fail2ban ] && exit 101\nexit 0\n', { mode: 0o755, flag: 'wx' });
      ownPolicy = true;
    } catch {
      log(`fail2ban: ${policy} exists; relying on it not to start the fail2ban service`);
    }
    try {
      const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
      const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', 'fail2ban', 'python3-pyinotify'], 600_000, env);
      let r = await install();
      if (!ok(r)) {
        log('fail2ban: apt-get install failed; running apt-get update and trying again');
        await run('apt-get', ['update'], 600_000, env);
        r = await install();
      }
      if (!ok(r)) return `apt-get install fail2ban failed: ${tail(r.stderr || r.stdout || r.error || '', 5)}`;
    } finally {
      if (ownPolicy) await rm(policy, { force: true });
    }
    if ((await run('test', ['-d', '/run/systemd/system'], 5_000)).code === 0) {
      const r = await run('systemctl', ['disable', '--now', 'fail2ban.service'], 60_000);
      log(`fail2ban: disabled the system fail2ban.service the package enabled${ok(r) ? '' : ` (failed: ${r.error})`}`);
    }
  }
  const v = before ?? (await version());
  if (!v) return 'fail2ban-server does not run after installing it';
  const client = await run('fail2ban-client', ['-V'], 15_000);
  if (!ok(client)) return `fail2ban-client is not usable: ${client.error}`;
  if (!(await stockNftablesAction())) return `fail2ban's stock action.d/nftables.conf is not in ${STOCK_CONFIG_DIRS.join(' or ')}`;
  log(`fail2ban: ${v} ready`);
  return undefined;
}

async function stockNftablesAction(): Promise<string | undefined> {
  for (const dir of STOCK_CONFIG_DIRS) {
    const file = join(dir, 'action.d', 'nftables.conf');
    if ((await run('test', ['-f', file], 5_000)).code === 0) return file;
  }
  return undefined;
}

export interface Fail2banHarness {
  /** Appends `count` failed-login lines for `ip` to the watched log (maxretry is reached by the last one) and returns the time (performance.now() + performance.timeOrigin, i.e. epoch ms with sub-ms precision) right after the LAST line was written and flushed. */
  failLogins(ip: string, count: number): Promise<number>;
  /** Addresses currently in fail2ban's nftables set (canonical text). One `nft -j list set` call. */
  bannedNow(): Promise<Set<string>>;
  maxretry: number;
  stop(): Promise<void>;
  /** The log backend fail2ban initiated for the jail (`pyinotify`, or `polling` without python3-pyinotify). */
  backend: string;
  /** `fail2ban-server -V`. */
  version: string;
  /** What the jail was configured with, for the result file. */
  settings: Record<string, string | number>;
}

/** An sshd line as rsyslog's RSYSLOG_FileFormat writes it (RFC 3339, microseconds). */
function sshdLine(ip: string, pid: number): string {
  const ms = nowMs();
  const whole = Math.floor(ms);
  const micros = String(Math.floor((ms - whole) * 1000)).padStart(3, '0');
  const stamp = new Date(whole).toISOString().replace('Z', `${micros}+00:00`);
  const port = 1024 + Math.floor(Math.random() * 64_000);
  return `${stamp} riposte-bench sshd[${pid}]: Failed password for invalid user root from ${ip} port ${port} ssh2\n`;
}

export async function startFail2ban(options: { netns: string; dir: string; maxretry?: number; log: (m: string) => void }): Promise<Fail2banHarness> {
  const { netns, dir, log } = options;
  const maxretry = options.maxretry ?? 5;
  if (!/^[\w.-]+$/.test(netns)) throw new Error(`fail2ban: bad network namespace name ${JSON.stringify(netns)}`);
  if (!Number.isInteger(maxretry) || maxretry < 1) throw new Error(`fail2ban: bad maxretry ${maxretry}`);
  const v = await version();
  if (!v) throw new Error('fail2ban: fail2ban-server is not installed (call ensureFail2ban first)');
  const stockAction = await stockNftablesAction();
  if (!stockAction) throw new Error('fail2ban: the stock action.d/nftables.conf is missing');

  const conf = join(dir, 'fail2ban-conf');
  const logPath = join(dir, 'auth.log');
  const serverLog = join(dir, 'fail2ban.log');
  const pidFile = join(dir, 'fail2ban.pid');
  const dbFile = join(dir, 'fail2ban.sqlite3');
  // A unix socket path must fit in 108 bytes; the scratch directory may be deep.
  let socket = join(dir, 'fail2ban.sock');
  if (Buffer.byteLength(socket) > 100) socket = join(tmpdir(), `riposte-f2b-${process.pid}-${Math.random().toString(36).slice(2, 8)}.sock`);

  await rm(conf, { recursive: true, force: true });
  await mkdir(join(conf, 'filter.d'), { recursive: true });
  await mkdir(join(conf, 'action.d'), { recursive: true });
  await Promise.all([rm(dbFile, { force: true }), rm(serverLog, { force: true }), rm(socket, { force: true })]);
  await copyFile(stockAction, join(conf, 'action.d', 'nftables.conf'));
  await writeFile(join(conf, 'fail2ban.conf'), [
    '[Definition]',
    'loglevel = INFO',
    `logtarget = ${serverLog}`,
    `socket = ${socket}`,
    `pidfile = ${pidFile}`,
    // fail2ban's default keeps bans and log positions in SQLite; so does this one (a file of its own).
    `dbfile = ${dbFile}`,
    'dbpurgeage = 1d',
    '',
  ].join('\n'));
  await writeFile(join(conf, 'filter.d', 'riposte-sshd.conf'), [
    '[Definition]',
    'failregex = ^ \\S+ sshd\\[\\d+\\]: Failed password for (?:invalid user )?\\S+ from <HOST> port \\d+(?: ssh2)?$',
    'ignoreregex =',
    // An explicit datepattern spares the date detector its search over every template.
    'datepattern = {^LN-BEG}%%Y-%%m-%%dT%%H:%%M:%%S\\.%%f%%z',
    '',
  ].join('\n'));
  const settings = {
    backend: 'pyinotify',
    maxretry,
    findtime: 600,
    bantime: 3600,
    action: 'nftables[type=allports, protocol=tcp, actionstart_on_demand=false]',
    usedns: 'no',
    ignoreself: 'false',
  };
  await writeFile(join(conf, 'jail.conf'), [
    '[DEFAULT]',
    // pyinotify is woken per write; fail2ban falls back to polling (once a second) if it cannot be imported.
    `backend = ${settings.backend}`,
    `usedns = ${settings.usedns}`,
    // Offenders are documentation addresses; resolving our own names inside an offline namespace could only add
    // resolver timeouts to the first ban.
    `ignoreself = ${settings.ignoreself}`,
    'ignoreip =',
    '',
    `[${JAIL}]`,
    'enabled = true',
    'filter = riposte-sshd',
    `logpath = ${logPath}`,
    `maxretry = ${maxretry}`,
    `findtime = ${settings.findtime}`,
    `bantime = ${settings.bantime}`,
    // The stock Debian action: table inet f2b-table, sets addr-set-sshd / addr6-set-sshd, a reject rule on input.
    // Started with the jail (not on the first ban) so the first ban does not pay for creating the table.
    `action = ${settings.action}`,
    '',
  ].join('\n'));
  await writeFile(logPath, '');
  const logFile: FileHandle = await open(logPath, 'a');

  const nft = (args: string[], timeoutMs = 10_000) => run('ip', ['netns', 'exec', netns, 'nft', ...args], timeoutMs);
  const nsenterNft = (args: string[], timeoutMs = 10_000) => run('nsenter', [`--net=/run/netns/${netns}`, '--', 'nft', ...args], timeoutMs);
  const client = (args: string[], timeoutMs = 10_000) => run('fail2ban-client', ['-s', socket, ...args], timeoutMs);

  const ns = await run('ip', ['netns', 'exec', netns, 'true'], 10_000);
  if (!ok(ns)) {
    await logFile.close();
    throw new Error(`fail2ban: network namespace ${netns} is not usable: ${ns.error}`);
  }
  // Faster than `ip netns exec` (no mount namespace) for the many bannedNow() calls, when util-linux has nsenter.
  const listNft = ok(await nsenterNft(['list', 'tables'])) ? nsenterNft : nft;

  let output = '';
  const child: ChildProcess = spawn('ip', ['netns', 'exec', netns, 'fail2ban-server', '-f', '-x', '-c', conf, '-s', socket, '-p', pidFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
    child.once('error', (err) => {
      exited = { code: null, signal: null };
      keep(Buffer.from(String(err)));
      resolve();
    });
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const serverLogTail = async () => {
    try {
      return tail(await readFile(serverLog, 'utf8'));
    } catch {
      return '';
    }
  };

  const bannedNow = async (): Promise<Set<string>> => {
    const r = await listNft(['-j', 'list', 'table', 'inet', TABLE]);
    const banned = new Set<string>();
    if (!ok(r)) {
      if (/No such file or directory|does not exist/i.test(r.stderr)) return banned;
      throw new Error(`fail2ban: nft list table inet ${TABLE} failed: ${r.error}`);
    }
    const doc = JSON.parse(r.stdout) as { nftables?: { set?: { name?: string; elem?: unknown[] } }[] };
    for (const item of doc.nftables ?? []) {
      const set = item.set;
      if (!set || (set.name !== `addr-set-${JAIL}` && set.name !== `addr6-set-${JAIL}`)) continue;
      for (const e of set.elem ?? []) {
        // Plain sets list bare strings; sets with timeouts or counters wrap them as { elem: { val } }.
        const val = typeof e === 'string' ? e : (e as { elem?: { val?: unknown } }).elem?.val;
        if (typeof val === 'string') banned.add(val);
      }
    }
    return banned;
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (!exited) {
      await client(['stop'], 15_000);
      await Promise.race([exit, sleep(15_000)]);
    }
    if (!exited) {
      log('fail2ban: server did not stop; SIGTERM');
      child.kill('SIGTERM');
      await Promise.race([exit, sleep(5_000)]);
    }
    if (!exited) {
      log('fail2ban: server did not stop; SIGKILL');
      child.kill('SIGKILL');
      await Promise.race([exit, sleep(5_000)]);
    }
    process.removeListener('exit', killOnExit);
    await logFile.close().catch(() => undefined);
    if (ok(await nft(['list', 'table', 'inet', TABLE]))) {
      log(`fail2ban: table inet ${TABLE} left behind in ${netns}; deleting it`);
      const r = await nft(['delete', 'table', 'inet', TABLE]);
      if (!ok(r)) log(`fail2ban: could not delete table inet ${TABLE}: ${r.error}`);
    }
    await rm(socket, { force: true });
  };

  // Ready when the server answers, the jail is up and its action has created the set.
  const deadline = Date.now() + 30_000;
  let last = '';
  try {
    for (;;) {
      if (exited) throw new Error(`fail2ban-server exited (${exited.code ?? exited.signal}) while starting:\n${tail(output)}\n${await serverLogTail()}`);
      if (Date.now() > deadline) throw new Error(`fail2ban-server not ready within 30 s (${last}):\n${tail(output)}\n${await serverLogTail()}`);
      const status = await client(['status', JAIL], 5_000);
      if (!ok(status)) last = `status ${JAIL}: ${status.error}`;
      else {
        const sets = await listNft(['-j', 'list', 'sets', 'inet'], 5_000);
        if (ok(sets) && sets.stdout.includes(`"addr-set-${JAIL}"`)) break;
        last = `set addr-set-${JAIL} not created yet`;
      }
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }

  const backend = (await readFile(serverLog, 'utf8').catch(() => '')).match(/Initiated '(\w+)' backend/)?.[1] ?? 'unknown';
  if (backend !== settings.backend) log(`fail2ban: WARNING: jail runs the '${backend}' backend, not '${settings.backend}' (is python3-pyinotify installed?)`);
  log(`fail2ban: ${v} in netns ${netns}, jail ${JAIL} (backend ${backend}, maxretry ${maxretry}, action nftables allports)`);

  const sshdPid = 1000 + Math.floor(Math.random() * 30_000);
  return {
    maxretry,
    backend,
    version: v,
    settings: { ...settings, backend },
    bannedNow,
    stop,
    async failLogins(ip: string, count: number): Promise<number> {
      if (stopped) throw new Error('fail2ban: harness stopped');
      if (!/^[0-9a-fA-F.:]+$/.test(ip)) throw new Error(`fail2ban: not an address: ${ip}`);
      let at = nowMs();
      for (let i = 0; i < count; i++) {
        // One write(2) per line on a file opened O_APPEND, as syslog writes; visible to readers at once.
        await logFile.appendFile(sshdLine(ip, sshdPid));
        at = nowMs();
      }
      return at;
    },
  };
}
