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
  /**
   * A second IPv4 address of the attacker, in 203.0.113.0/24: a range that does not hold the server, so a test can
   * block the whole range around it. Send from it with curl's `--interface`.
   */
  attackerRangeIp: string;
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
const ATTACKER_RANGE = '203.0.113.0/24';
const ATTACKER_RANGE_IP = '203.0.113.66';

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

/** Why tests that need namespaces and nftables cannot run here, or false when they can. */
export async function netnsSkipReason(): Promise<string | false> {
  if (!isRoot()) return 'needs root to create network namespaces and nftables tables';
  if (!(await canUseNetns())) return 'network namespaces are not available on this host';
  return false;
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

export interface NetnsPairOptions {
  /**
   * The attacker's addresses; they must sit in the server's subnets (192.0.2.0/24, 2001:db8:1::/64). Tests that raise
   * incidents on a shared Temporal server give each scenario its own, since workflow ids (`block:<ip>`) are per address.
   */
  attackerIp?: string;
  attackerIp6?: string;
  /** In 203.0.113.0/24; default 203.0.113.66. */
  attackerRangeIp?: string;
}

export async function createNetnsPair(options: NetnsPairOptions = {}): Promise<NetnsPair> {
  const attackerIp = options.attackerIp ?? ATTACKER_IP;
  const attackerIp6 = options.attackerIp6 ?? ATTACKER_IP6;
  const attackerRangeIp = options.attackerRangeIp ?? ATTACKER_RANGE_IP;
  if (!/^192\.0\.2\.\d{1,3}$/.test(attackerIp) || attackerIp === SERVER_IP) throw new Error(`attackerIp must be in 192.0.2.0/24 and not ${SERVER_IP}`);
  if (!/^2001:db8:1::[0-9a-f]{1,4}$/.test(attackerIp6) || attackerIp6 === SERVER_IP6) throw new Error(`attackerIp6 must be in 2001:db8:1::/64 and not ${SERVER_IP6}`);
  if (!/^203\.0\.113\.\d{1,3}$/.test(attackerRangeIp)) throw new Error(`attackerRangeIp must be in ${ATTACKER_RANGE}`);
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
    for (const [ns, dev, ip4, ip6] of [[server, `rs${id}`, SERVER_IP, SERVER_IP6], [attacker, `ra${id}`, attackerIp, attackerIp6]] as const) {
      const inNs = (...args: string[]) => must('ip', ['netns', 'exec', ns, 'ip', ...args]);
      await inNs('link', 'set', 'lo', 'up');
      await inNs('addr', 'add', `${ip4}/24`, 'dev', dev);
      // Without nodad the address stays tentative for a second or two and connections to it fail.
      await inNs('-6', 'addr', 'add', `${ip6}/64`, 'dev', dev, 'nodad');
      await inNs('link', 'set', dev, 'up');
    }
    // The range is on the link as far as the server knows, so its answers go straight back over the veth.
    await must('ip', ['netns', 'exec', attacker, 'ip', 'addr', 'add', `${attackerRangeIp}/32`, 'dev', `ra${id}`]);
    await must('ip', ['netns', 'exec', server, 'ip', 'route', 'add', ATTACKER_RANGE, 'dev', `rs${id}`]);
  } catch (err) {
    await cleanup();
    throw err;
  }

  return {
    server,
    attacker,
    serverIp: SERVER_IP,
    attackerIp,
    serverIp6: SERVER_IP6,
    attackerIp6,
    attackerRangeIp,
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
          const match = out.match(/listening (\d+)\n/);
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

// Holds one keep-alive connection and sends a request on it per line read from stdin, printing `answered` for each,
// or `timeout` (no answer within the time limit), `error:<code>` or `closed`, after which it exits.
const KEEPALIVE_CLIENT = `
const net = require('node:net');
const [host, port, limit] = process.argv.slice(1);
const request = 'GET / HTTP/1.1\\r\\nHost: riposte\\r\\nConnection: keep-alive\\r\\n\\r\\n';
let buf = '';
let timer;
const finish = (line) => { console.log(line); process.exit(0); };
const send = () => {
  buf = '';
  socket.write(request);
  timer = setTimeout(() => finish('timeout'), Number(limit));
};
const socket = net.connect({ host, port: Number(port) }, send);
socket.on('data', (chunk) => {
  buf += chunk;
  if (!timer || !buf.endsWith('ok')) return;
  clearTimeout(timer);
  timer = undefined;
  console.log('answered');
});
socket.on('error', (err) => finish('error:' + err.code));
socket.on('close', () => finish('closed'));
process.stdin.on('data', send);
`;

export interface KeepAliveConnection {
  /** Sends one more request on the same socket: `answered`, `timeout`, `error:<code>` or `closed`. */
  request(): Promise<string>;
}

/**
 * Opens one HTTP keep-alive connection from the attacker namespace to `host:port` and checks the first request is
 * answered. A drop that only stops new connections leaves this one working; Riposte's must cut it.
 */
export async function openKeepAlive(pair: NetnsPair, host: string, port: number, answerWithinMs = 2_000): Promise<KeepAliveConnection> {
  const child = pair.spawn(pair.attacker, [process.execPath, '-e', KEEPALIVE_CLIENT, host, String(port), String(answerWithinMs)]);
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let partial = '';
  const deliver = (line: string) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else lines.push(line);
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    for (let end = partial.indexOf('\n'); end >= 0; end = partial.indexOf('\n')) {
      deliver(partial.slice(0, end));
      partial = partial.slice(end + 1);
    }
  });
  child.once('exit', () => {
    while (waiters.length > 0) deliver('exited');
  });
  const nextLine = () => new Promise<string>((resolve, reject) => {
    const queued = lines.shift();
    if (queued !== undefined) return resolve(queued);
    if (child.exitCode !== null || child.signalCode !== null) return resolve('exited');
    const timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(waiter), 1);
      reject(new Error('the keep-alive client said nothing'));
    }, answerWithinMs + 10_000);
    const waiter = (line: string) => {
      clearTimeout(timer);
      resolve(line);
    };
    waiters.push(waiter);
  });
  const first = await nextLine();
  if (first !== 'answered') throw new Error(`keep-alive connection to ${host}:${port} failed: ${first}`);
  return {
    request() {
      const answer = nextLine();
      child.stdin?.write('go\n');
      return answer;
    },
  };
}
