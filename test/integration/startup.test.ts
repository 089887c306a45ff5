/**
 * `npm start` as an operator runs it (`runtime/start.ts`, embedded Temporal): a taken port is one line and nothing
 * starts, and a failure after the embedded Temporal server has started stops that server, so nothing is left behind
 * and its port is free for the next start.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../runtime/freePort.ts';
import { assertPortFree } from '../../runtime/portInUse.ts';
import { eventually } from '../support/temporal.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../../..');
let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-startup-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Started {
  code: number | null;
  stderr: string;
  /** The process group it led: it and every child it started. */
  group: number;
}

/**
 * `runtime/start.ts` in a process group of its own, from an empty working directory (no .env, no principals file),
 * with its data in a fresh directory and the ports given.
 */
function start(env: Record<string, string>): Promise<Started> {
  const child: ChildProcess = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectDir, 'runtime/start.ts')], {
    cwd: dir,
    detached: true,
    env: {
      PATH: process.env.PATH!,
      RIPOSTE_POLICY_FILE: join(projectDir, 'config/policy.yaml'),
      RIPOSTE_WORKER_METRICS_PORT: 'off',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((ok) => child.once('exit', (code) => ok({ code, stderr, group: child.pid! })));
}

/** Whether any process of the group is still alive (signal 0 checks without sending). */
function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** tsx's esbuild service ends on its own once its parent has gone; a Temporal server left behind would not. */
const groupEnded = (group: number) => eventually('every process of the group to end', () => (groupAlive(group) ? undefined : true), 10_000);

function listen(port: number, host = '127.0.0.1'): Promise<Server> {
  return new Promise((ok, fail) => {
    const server = createServer().listen(port, host, () => ok(server)).once('error', fail);
  });
}

const PORT_VARIABLES = ['RIPOSTE_API_PORT', 'RIPOSTE_DEV_SERVER_PORT', 'RIPOSTE_DEV_UI_PORT'] as const;

async function ports(): Promise<Record<(typeof PORT_VARIABLES)[number], string>> {
  return {
    RIPOSTE_API_PORT: String(await freePort()),
    RIPOSTE_DEV_SERVER_PORT: String(await freePort()),
    RIPOSTE_DEV_UI_PORT: String(await freePort()),
  };
}

for (const variable of PORT_VARIABLES) {
  test(`a taken ${variable} is one line on stderr, exit 1, and nothing is left running`, { timeout: 120_000 }, async () => {
    const env = { ...(await ports()), RIPOSTE_DATA_DIR: join(dir, `data-${variable}`) };
    const taken = await listen(Number(env[variable]));
    try {
      const started = await start(env);
      assert.equal(started.code, 1);
      assert.equal(started.stderr, `riposte: port ${env[variable]} is in use (${variable})\n`);
      await groupEnded(started.group);
    } finally {
      await new Promise((ok) => taken.close(ok));
    }
  });
}

test('a failure after the embedded Temporal server started stops it: no process left, its ports free again', { timeout: 180_000 }, async () => {
  // The audit file's directory would be under a regular file: the workers fail to open it, after Temporal is up.
  const notADirectory = join(dir, 'not-a-directory');
  await writeFile(notADirectory, '');
  const env = { ...(await ports()), RIPOSTE_DATA_DIR: join(dir, 'data-late'), RIPOSTE_AUDIT_FILE: join(notADirectory, 'audit.jsonl') };
  const started = await start(env);
  assert.match(started.stderr, /"message":"starting the Temporal dev server"/, 'the embedded server had started');
  assert.match(started.stderr, /\nriposte: Error: .*not-a-directory/);
  assert.equal(started.code, 1);
  await groupEnded(started.group);
  await assertPortFree(Number(env.RIPOSTE_DEV_SERVER_PORT), '127.0.0.1', 'RIPOSTE_DEV_SERVER_PORT');
  await assertPortFree(Number(env.RIPOSTE_DEV_UI_PORT), '127.0.0.1', 'RIPOSTE_DEV_UI_PORT');
});
