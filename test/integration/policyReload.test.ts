import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { statusQuery } from '../../workflows/messages.ts';
import { eventually, startRiposte, suiteServer, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';
import { freePort } from '../../runtime/freePort.ts';

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KEY = 'reload-test-key-0123456789abcdefghij';
const version = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
const policyText = (timeout: string) => `playbooks:\n  brute-force:\n    mode: approve\n    approvalTimeout: ${timeout}\n    notify: []\n`;

let dir: string;
let policyFile: string;
let riposte: TestRiposte;
let api: ChildProcess;
let apiUrl: string;
let log = '';


before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-reload-'));
  policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, policyText('1h'));
  riposte = await startRiposte({ policy: testPolicy() });
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  // tsx is named by its resolved URL: a bare --import would be looked up from the temporary working directory.
  api = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(projectDir, 'workers/api.ts')], {
    cwd: dir,
    env: {
      PATH: process.env.PATH,
      TEMPORAL_ADDRESS: suiteServer().address,
      RIPOSTE_TASK_QUEUE: riposte.taskQueue,
      RIPOSTE_POLICY_FILE: policyFile,
      RIPOSTE_API_KEYS: KEY,
      RIPOSTE_API_PORT: String(port),
      RIPOSTE_DATA_DIR: join(dir, 'data'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  api.stderr!.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  await eventually('the API process', async () => ((await fetch(`${apiUrl}/healthz`)).ok ? true : undefined), 60_000);
});
after(async () => {
  api?.kill('SIGTERM');
  await riposte?.stop();
  await rm(dir, { recursive: true, force: true });
});

/** The policy version a new incident is stamped with. */
async function stampedVersion(): Promise<string> {
  const ip = uniqueAddress();
  const posted = await fetch(`${apiUrl}/v1/alerts/humio`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ hostname: 'web01', ip }) });
  assert.equal(posted.status, 202);
  const state = await eventually('the incident', async () => {
    const s = await riposte.client.workflow.getHandle(`brute-force:${ip}`).query(statusQuery);
    return s.status === 'awaiting_approval' ? s : undefined;
  });
  return state.policyVersion;
}

async function hangUpAndWaitFor(message: string): Promise<string> {
  const seen = log.length;
  api.kill('SIGHUP');
  return eventually(`"${message}" in the API log`, () => {
    const line = log.slice(seen).split('\n').find((l) => l.includes(message));
    return line ? line : undefined;
  });
}

test('SIGHUP applies a valid new policy to new incidents, and refuses an invalid one while keeping the running policy', async () => {
  assert.equal(await stampedVersion(), version(policyText('1h')));

  await writeFile(policyFile, policyText('2h'));
  const reloaded = JSON.parse(await hangUpAndWaitFor('policy reloaded'));
  assert.equal(reloaded.version, version(policyText('2h')));
  assert.equal(await stampedVersion(), version(policyText('2h')));

  await writeFile(policyFile, 'playbooks:\n  brute-force:\n    mode: sometimes\n');
  const refused = JSON.parse(await hangUpAndWaitFor('policy reload refused'));
  assert.equal(refused.level, 'error');
  assert.match(refused.reason, /playbooks\.brute-force\.mode: /);
  assert.equal(refused.version, version(policyText('2h')));
  assert.equal(await stampedVersion(), version(policyText('2h')), 'the running policy stays after a refused reload');
  assert.equal(api.exitCode, null, 'a refused reload does not stop the API');
});
