import { bootstrap, buildWorkers, exitOnError, stopOnSignals } from '../runtime/processes.ts';
import { registerSearchAttributes } from '../runtime/searchAttributes.ts';
import { connectClient } from '../runtime/temporalConnection.ts';

/** `npm run worker`: the workers alone, for a deployment that runs them apart from the API. */
async function main(): Promise<void> {
  const { config, logger, policy, metrics } = await bootstrap({ runsWorkers: true });
  const temporal = { ...config.temporal, address: config.temporal.address ?? 'localhost:7233' };
  const client = await connectClient(temporal);
  await registerSearchAttributes(client, temporal.namespace);
  const workers = await buildWorkers(config, temporal, client, policy, logger, metrics);
  logger.info('workers running', { temporal: temporal.address, taskQueue: config.taskQueue, points: policy.enforcement.points, policy: policy.version });
  stopOnSignals(logger, () => workers.forEach((worker) => worker.shutdown()));
  await Promise.all(workers.map((worker) => worker.run()));
}

main().catch(exitOnError);
