/**
 * The engine-ceiling scenario's worker, a process of its own like Riposte's: the minimal workflow on its own task
 * queue, with Riposte's main worker's cache size, against TEMPORAL_ADDRESS.
 */
import { createRequire } from 'node:module';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import * as activities from './activities.ts';

import { CEILING_TASK_QUEUE } from './taskQueue.ts';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const connection = await NativeConnection.connect({ address: process.env.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    taskQueue: CEILING_TASK_QUEUE,
    workflowsPath: createRequire(import.meta.url).resolve('./workflows.ts'),
    activities,
    maxCachedWorkflows: 500,
  });
  process.once('SIGTERM', () => worker.shutdown());
  await worker.run();
  await connection.close();
}

main().catch((err) => {
  process.stderr.write(`ceiling worker: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
