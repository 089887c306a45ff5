import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; -1 when the program could not be started or was killed. */
  code: number;
}

export interface HttpServer {
  port: number;
  stop(): Promise<void>;
}

export interface NetnsPair {
  server: string;
  attacker: string;
  serverIp: string;
  attackerIp: string;
  serverIp6: string;
  attackerIp6: string;
  /** Runs argv inside a namespace; never rejects on a non-zero exit. */
  exec(ns: string, argv: readonly string[]): Promise<ExecResult>;
  /** Starts a long-lived process inside a namespace; cleanup() kills it. */
  spawn(ns: string, argv: readonly string[]): ChildProcess;
  /** An HTTP server in the server namespace on 0.0.0.0 and ::, answering `ok`, keeping connections alive. */
  startHttpServer(): Promise<HttpServer>;
  /** Kills what was started and deletes both namespaces; safe to call more than once. */
  cleanup(): Promise<void>;
}

// Documentation ranges only (RFC 5737, RFC 3849), so nothing here can collide with a real network.
const SERVER_IP = '192.0.2.1';
const ATTACKER_IP = '192.0.2.66';
const SERVER_IP6 = '2001:db8:1::1';
const ATTACKER_IP6 = '2001:db8:1::66';

function run(file: string, args: readonly string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ stdout, stderr: stderr || (err && code === -1 ? err.message : ''), code });
    });
  });
}

async function must(file: string, args: readonly string[]): Promise<string> {
  const result = await run(file, args);
  if (result.code !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  return result.stdout;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

/** Whether this host lets us create a namespace and run `ip` inside it (containers often forbid it). */
export async function canUseNetns(): Promise<boolean> {
  if (!isRoot()) return false;
  const probe = `rip-probe-${randomBytes(4).toString('hex')}`;
  const added = await run('ip', ['netns', 'add', probe]);
  if (added.code !== 0) return false;
  const inside = await run('ip', ['netns', 'exec', probe, 'ip', 'link', 'set', 'lo', 'up']);
  await run('ip', ['netns', 'del', probe]);
  return inside.code === 0;
}

const HTTP_SERVER = `
const http = require('node:http');
const handler = (req, res) => { req.resume(); res.end('ok'); };
const listen = (srv, opts) => new Promise((ok, fail) => { srv.once('error', fail); srv.listen(opts, ok); });
(async () => {
  const v4 = http.createServer({ keepAliveTimeout: 120000 }, handler);
  await listen(v4, { host: '0.0.0.0', port: 0 });
  const port = v4.address().port;
  const v6 = http.createServer({ keepAliveTimeout: 120000 }, handler);
  await listen(v6, { host: '::', port, ipv6Only: true });
  for (const srv of [v4, v6]) srv.keepAliveTimeout = 120000;
  process.stdout.write('listening ' + port + '\\n');
})().catch((err) => { console.error(err); process.exit(1); });
`;

export async function createNetnsPair(): Promise<NetnsPair> {
  const id = randomBytes(4).toString('hex');
  const server = `rip-srv-${id}`;
  const attacker = `rip-atk-${id}`;
  const children = new Set<ChildProcess>();
  let cleaning: Promise<void> | undefined;

  function cleanup(): Promise<void> {
    cleaning ??= (async () => {
      await Promise.all([...children].map(stopChild));
      for (const ns of [server, attacker]) await run('ip', ['netns', 'del', ns]);
    })();
    return cleaning;
  }

  function spawnIn(ns: string, argv: readonly string[]): ChildProcess {
    const child = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  }

  try {
    await must('ip', ['netns', 'add', server]);
    await must('ip', ['netns', 'add', attacker]);
    // Interface names are limited to 15 characters.
    await must('ip', ['link', 'add', `rs${id}`, 'netns', server, 'type', 'veth', 'peer', 'name', `ra${id}`, 'netns', attacker]);
    for (const [ns, dev, ip4, ip6] of [[server, `rs${id}`, SERVER_IP, SERVER_IP6], [attacker, `ra${id}`, ATTACKER_IP, ATTACKER_IP6]] as const) {
      const inNs = (...args: string[]) => must('ip', ['netns', 'exec', ns, 'ip', ...args]);
      await inNs('link', 'set', 'lo', 'up');
      await inNs('addr', 'add', `${ip4}/24`, 'dev', dev);
      // Without nodad the address stays tentative for a second or two and connections to it fail.
      await inNs('-6', 'addr', 'add', `${ip6}/64`, 'dev', dev, 'nodad');
      await inNs('link', 'set', dev, 'up');
    }
  } catch (err) {
    await cleanup();
    throw err;
  }

  return {
    server,
    attacker,
    serverIp: SERVER_IP,
    attackerIp: ATTACKER_IP,
    serverIp6: SERVER_IP6,
    attackerIp6: ATTACKER_IP6,
    exec: (ns, argv) => run('ip', ['netns', 'exec', ns, ...argv]),
    spawn: spawnIn,
    async startHttpServer() {
      const child = spawnIn(server, [process.execPath, '-e', HTTP_SERVER]);
      const port = await new Promise<number>((resolve, reject) => {
        let out = '';
        let err = '';
        const timer = setTimeout(() => reject(new Error(`HTTP server did not start: ${err}`)), 10_000);
        child.stderr?.on('data', (chunk: Buffer) => { err += chunk.toString(); });
        child.stdout?.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /listening (\d+)\n/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`HTTP server exited (${code}): ${err}`));
        });
      });
      return { port, stop: () => stopChild(child) };
    },
    cleanup,
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
