import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';

export interface DevServer {
  address: string;
  uiUrl?: string;
  /** Settles if the server exits by itself, with its exit code and the end of its error output. */
  exited?: Promise<{ code: number | null; signal: string | null; stderr: string }>;
  stop(): Promise<void>;
}

export interface DevServerOptions {
  cliPath: string;
  port: number;
  /** Omit for a headless server. */
  uiPort?: number;
  /** Omit for an in-memory server. */
  dbFile?: string;
  namespace: string;
  startTimeoutMs?: number;
}

/** Starts `temporal server start-dev` as a child process and waits until its frontend answers. */
export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const address = `127.0.0.1:${options.port}`;
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(options.port),
    '--namespace', options.namespace,
    '--log-level', 'error',
    // SQLite tuned for a single local writer: the dev server is a convenience, not the production store.
    '--sqlite-pragma', 'journal_mode=WAL',
    '--sqlite-pragma', 'synchronous=NORMAL',
  ];
  if (options.dbFile) {
    await mkdir(dirname(options.dbFile), { recursive: true });
    args.push('--db-filename', options.dbFile);
  }
  args.push(...(options.uiPort === undefined ? ['--headless'] : ['--ui-port', String(options.uiPort)]));

  const child = spawn(options.cliPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', resolveExit));
  let stopping = false;

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    const code = await Promise.race([exited, delay(250).then(() => 'running' as const)]);
    if (code !== 'running') throw new Error(`temporal server start-dev exited with ${code}: ${stderr.trim() || 'no output'}`);
    if (await answers(address)) break;
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`temporal server start-dev did not answer on ${address} within ${options.startTimeoutMs ?? 60_000} ms: ${stderr.trim()}`);
    }
  }
  return {
    address,
    uiUrl: options.uiPort === undefined ? undefined : `http://localhost:${options.uiPort}`,
    exited: exited.then((code) => (stopping ? new Promise<never>(() => undefined) : { code, signal: child.signalCode, stderr: stderr.trim() })),
    stop: () => {
      stopping = true;
      return stopChild(child, exited);
    },
  };
}

async function answers(address: string): Promise<boolean> {
  try {
    const connection = await Connection.connect({ address, connectTimeout: 1000 });
    try {
      await connection.workflowService.getSystemInfo({});
      return true;
    } finally {
      await connection.close();
    }
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
