import { ConfigError } from '../runtime/config.ts';
import { configuredCredentials, NO_CREDENTIALS_HELP } from '../runtime/devApiKey.ts';
import { bootstrap, exitOnError, listenApi, stopOnSignals } from '../runtime/processes.ts';
import { policyReloadedOnHangup } from '../runtime/policyReload.ts';
import { connectClient } from '../runtime/temporalConnection.ts';
import { logPrincipals } from '../runtime/wiring.ts';

/** `npm run api`: the HTTP API alone; stateless, so run as many as needed. */
async function main(): Promise<void> {
  const { config, logger, policy, metrics } = await bootstrap();
  const credentials = configuredCredentials(config.api);
  if (credentials.keys + credentials.webhooks === 0) throw new ConfigError(NO_CREDENTIALS_HELP);
  logPrincipals(logger, config);
  const client = await connectClient({ ...config.temporal, address: config.temporal.address ?? 'localhost:7233' });
  const server = await listenApi(config, client, policyReloadedOnHangup(config.policyFile, policy, logger), logger, metrics);
  logger.info('API listening', { host: config.api.host, port: config.api.port, pid: process.pid, reloadPolicy: `kill -HUP ${process.pid}` });
  stopOnSignals(logger, () => server.close());
}

main().catch(exitOnError);
