/**
 * `npm run build`, then the compiled code as production runs it: `node dist/workers/api.js` and two
 * `node dist/workers/worker.js` processes split as the compose stack's enforcer splits them (RIPOSTE_WORKERS), from a
 * directory holding only dist/ and node_modules. A brute-force burst through the compiled API ends contained, with the
 * address on the EDL feed, and the workflow worker ran the bundle the build made rather than bundling at start-up.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { freePort } from '../../runtime/freePort.ts';
import { reconcileScheduleId } from '../../runtime/reconcileSchedule.ts';
import { WORKFLOW_BUNDLE_FILE } from '../../workers/riposteWorkers.ts';
import { ENFORCEMENT_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import { isolatedNamespace } from '../support/namespace.ts';
import { eventually, suiteServer, TEST_API_KEY } from '../support/temporal.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');
const ADDRESS = '203.0.113.7';
const POLICY = `
enforcement: { points: [edl], reconcileEvery: 1h, notify: [] }
playbooks:
  brute-force: { mode: auto, blockDuration: 1h, reviewWindow: 1h, notify: [] }
`;
const taskQueue = 'riposte-built';

interface CompiledProcess {
  child: ChildProcess;
  identity: string;
  /** Its JSON log lines so far, each parsed. */
  log(): Record<string, unknown>[];
}

let dir: string;
let dist: string;
let connection: Connection;
let client: Client;
let namespace: string;
const processes: CompiledProcess[] = [];
let stopping = false;
let reportEarlyExit: (err: Error) => void;
/** Rejects when a compiled process exits before the test stops it, so a waiting test fails at once, saying why. */
const exitedEarly = new Promise<never>((_, fail) => { reportEarlyExit = fail; });
// A process may die between two waits; the next wait still sees it.
exitedEarly.catch(() => undefined);

/** A compiled entry point as production starts it, from the build directory, with `env` over the test's own. */
function startCompiled(name: string, entry: string, env: Record<string, string>): CompiledProcess {
  const child = spawn(process.execPath, [join(dist, entry)], {
    cwd: dir,
    env: { ...process.env, NODE_ENV: 'production', RIPOSTE_LOG_LEVEL: 'info', RIPOSTE_RDAP: 'off', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
  child.once('exit', (code, signal) => {
    if (!stopping) reportEarlyExit(new Error(`${name} (${entry}) exited (${code ?? signal}):\n${stderr}`));
  });
  const log = () => stderr.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  const started = { child, identity: `${child.pid}@${hostname()}`, log };
  processes.push(started);
  return started;
}

/** `eventually`, failing at once with its log when a compiled process dies meanwhile. */
function whileRunning<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  return Promise.race([eventually(what, check, timeoutMs), exitedEarly]);
}

async function pollers(queue: string, type: proto.temporal.api.enums.v1.TaskQueueType): Promise<string[]> {
  const described = await client.workflowService.describeTaskQueue({ namespace, taskQueue: { name: queue }, taskQueueType: type });
  return (described.pollers ?? []).map((poller) => poller.identity ?? '').sort();
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-build-'));
  dist = join(dir, 'dist');
  // As in the image: dist/ beside the installed packages, and no sources.
  await symlink(join(projectDir, 'node_modules'), join(dir, 'node_modules'));
  await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/build.ts', '--out-dir', dist], { cwd: projectDir });
  await writeFile(join(dir, 'policy.yaml'), POLICY);
  connection = await Connection.connect({ address: suiteServer().address });
  namespace = await isolatedNamespace(connection, 'riposte-build');
  client = new Client({ connection, namespace });
});

after(async () => {
  stopping = true;
  await Promise.all(processes.map(({ child }) => new Promise((exited) => {
    if (child.exitCode !== null || child.signalCode !== null) return exited(undefined);
    child.once('exit', exited).kill('SIGTERM');
  })));
  await client?.schedule.getHandle(reconcileScheduleId(taskQueue)).delete().catch(() => undefined);
  await connection?.close();
  await rm(dir, { recursive: true, force: true });
});

test('dist/ holds the production folders and the workflow bundle, nothing else', async () => {
  const expected = ['activities', 'api', 'cli', 'domain', 'playbooks', 'runtime', 'workers', 'workflows', WORKFLOW_BUNDLE_FILE];
  assert.deepEqual((await readdir(dist)).sort(), expected.sort());
  assert.deepEqual((await readdir(join(dist, 'activities/enforce/httpFirewalls'))).sort(), ['aws-waf.yaml', 'cloudflare.yaml']);
});

test('the compiled API and workers contain a brute-force burst, on the prebuilt workflow bundle', { timeout: 10 * 60_000 }, async () => {
  const port = await freePort();
  const deployment = {
    TEMPORAL_ADDRESS: suiteServer().address, TEMPORAL_NAMESPACE: namespace, RIPOSTE_TASK_QUEUE: taskQueue,
    RIPOSTE_POLICY_FILE: join(dir, 'policy.yaml'), RIPOSTE_DATA_DIR: join(dir, 'data'),
  };
  const worker = { ...deployment, RIPOSTE_WORKER_METRICS_PORT: 'off' };
  const workflows = startCompiled('the workflow worker', 'workers/worker.js', { ...worker, RIPOSTE_WORKERS: 'main,control' });
  const enforcer = startCompiled('the enforcer', 'workers/worker.js', { ...worker, RIPOSTE_WORKERS: 'enforcement' });
  startCompiled('the API', 'workers/api.js', { ...deployment, RIPOSTE_API_KEYS: TEST_API_KEY, RIPOSTE_API_PORT: String(port) });
  const api = `http://127.0.0.1:${port}`;
  const auth = { authorization: `Bearer ${TEST_API_KEY}` };

  const { TaskQueueType } = proto.temporal.api.enums.v1;
  const queues = await whileRunning('the workers polling their queues', async () => {
    const main = await pollers(taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
    const enforcement = await pollers(ENFORCEMENT_TASK_QUEUE, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY);
    return main.length > 0 && enforcement.length > 0 ? { main, enforcement } : undefined;
  }, 5 * 60_000);
  assert.deepEqual(queues.main, [workflows.identity], 'the workflow worker alone polls the main queue');
  assert.deepEqual(queues.enforcement, [enforcer.identity], 'the enforcer alone polls the enforcement queue');
  const started = workflows.log().find((line) => line.roles !== undefined);
  assert.deepEqual(started?.roles, ['main', 'control']);
  assert.equal(started?.workflowBundle, join(dist, WORKFLOW_BUNDLE_FILE), 'the worker loaded the bundle the build made');
  const enforcerStarted = enforcer.log().find((line) => line.roles !== undefined);
  assert.deepEqual(enforcerStarted?.roles, ['enforcement']);
  assert.equal(enforcerStarted?.workflowBundle, undefined, 'an enforcement-only worker runs no workflow code');

  await whileRunning('the compiled API ready', async () => (await fetch(`${api}/readyz`).catch(() => undefined))?.ok || undefined, 60_000);
  const posted = await fetch(`${api}/v1/alerts/humio`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ hostname: 'dc01', ip: ADDRESS, count: 12 }),
  });
  assert.equal(posted.status, 202, await posted.text());

  await whileRunning('the incident contained', async () => {
    const incident = await fetch(`${api}/v1/incidents/brute-force:${ADDRESS}`, { headers: auth }).then((r) => r.json()) as { status?: string };
    return incident.status === 'contained' || undefined;
  }, 2 * 60_000);
  const feed = await whileRunning('the address on the EDL feed', async () => {
    const text = await fetch(`${api}/v1/feeds/blocklist.txt`, { headers: auth }).then((r) => r.text());
    return text.split('\n').includes(ADDRESS) ? text : undefined;
  }, 60_000);
  assert.equal(feed.trim(), ADDRESS);
});
