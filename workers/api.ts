import { ConfigError, loadConfig, loadDotEnv } from '../runtime/config.ts';
import { createLogger } from '../runtime/logger.ts';
import { loadPolicy } from '../runtime/policyFile.ts';
import { exitOnError, installSdkLogging, listenApi, stopOnSignals } from '../runtime/processes.ts';
import { connectClient } from '../runtime/temporalConnection.ts';

/** `npm run api`: the HTTP API alone; stateless, so run as many as needed. */
async function main(): Promise<void> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  installSdkLogging(logger, config.logLevel);
  if (config.api.keys.length === 0) throw new ConfigError('RIPOSTE_API_KEYS is required');
  const policy = await loadPolicy(config.policyFile);
  const client = await connectClient({ ...config.temporal, address: config.temporal.address ?? 'localhost:7233' });
  const server = await listenApi(config, client, () => policy, logger);
  logger.info('API listening', { host: config.api.host, port: config.api.port });
  stopOnSignals(logger, () => server.close());
}

main().catch(exitOnError);
