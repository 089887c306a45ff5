/**
 * `npm test`: one headless in-memory Temporal dev server and one workflow bundle for the whole suite (starting a server
 * or bundling per test file costs seconds each on two cores), then node's test runner over test/.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundleOptions } from '../workers/riposteWorkers.ts';
import { startDevServer } from '../runtime/devServer.ts';
import { registerSearchAttributes } from '../runtime/searchAttributes.ts';
import { findTemporalBinary, NO_TEMPORAL_CLI_HELP } from '../runtime/temporalCli.ts';
import { freePort } from '../runtime/freePort.ts';

const projectDir = resolve(fileURLToPath(import.meta.url), '../..');

async function testFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.test.ts'))
    .map((e) => relative(projectDir, join(e.parentPath, e.name)))
    .sort();
}


async function main(): Promise<number> {
  const requested = process.argv.slice(2);
  const files = requested.length > 0 ? requested : await testFiles(join(projectDir, 'test'));
  const cli = findTemporalBinary('temporal', { explicitPath: process.env.TEMPORAL_CLI_PATH, envPath: process.env.PATH, projectDir });
  if (!cli) {
    process.stderr.write(`${NO_TEMPORAL_CLI_HELP}\n`);
    return 1;
  }
  const testServer = findTemporalBinary('temporal-test-server', { explicitPath: process.env.TEMPORAL_TEST_SERVER_PATH, envPath: process.env.PATH, projectDir });

  const scratch = await mkdtemp(join(tmpdir(), 'riposte-test-'));
  // Each test file's workers have task queues of their own, and so their own kill switch and breaker: one namespace.
  const server = await startDevServer({ cliPath: cli.path, port: await freePort(), namespace: 'default' });
  try {
    const connection = await Connection.connect({ address: server.address });
    await registerSearchAttributes(new Client({ connection, namespace: 'default' }), 'default');
    await connection.close();
    const bundle = await bundleWorkflowCode(workflowBundleOptions({ info() {}, warn() {}, error: console.error, debug() {}, trace() {}, log() {} }));
    const bundlePath = join(scratch, 'workflow-bundle.js');
    await writeFile(bundlePath, bundle.code);
    process.stderr.write(`riposte tests: Temporal dev server at ${server.address} (${cli.source}), ${files.length} test files\n`);
    void server.exited?.then(({ code, signal, stderr }) => {
      process.stderr.write(`riposte tests: the Temporal dev server exited during the run (code ${code}, signal ${signal}): ${stderr || 'no output'}\n`);
    });

    const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
      cwd: projectDir,
      stdio: 'inherit',
      env: {
        ...process.env,
        RIPOSTE_TEST_TEMPORAL_ADDRESS: server.address,
        RIPOSTE_TEST_WORKFLOW_BUNDLE: bundlePath,
        ...(testServer ? { RIPOSTE_TEST_TIME_SKIPPING_SERVER: testServer.path } : {}),
      },
    });
    return await new Promise<number>((ok) => child.once('exit', (code, signal) => ok(code ?? (signal ? 1 : 0))));
  } finally {
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code), (err) => {
  process.stderr.write(`riposte tests: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
