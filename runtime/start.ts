import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from './config.ts';
import { configuredCredentials, devApiKey, devPrincipal, NO_CREDENTIALS_HELP } from './devApiKey.ts';
import type { DevServer } from './devServer.ts';
import { startEmbeddedTemporal } from './embeddedTemporal.ts';
import { dataPaths } from './paths.ts';
import { policyReloadedOnHangup } from './policyReload.ts';
import { bootstrap, buildWorkers, exitOnError, listenApi, stopOnSignals } from './processes.ts';
import { registerSearchAttributes } from './searchAttributes.ts';
import { connectClient } from './temporalConnection.ts';
import { logPrincipals } from './wiring.ts';

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `npm start`: Temporal (embedded unless TEMPORAL_ADDRESS is set), the workers and the API in one process. */
async function main(): Promise<void> {
  const { config, logger, policy } = await bootstrap();

  let devServer: DevServer | undefined;
  if (!config.temporal.address) devServer = await startEmbeddedTemporal(config, logger, projectDir);
  void devServer?.exited?.then(({ code, signal, stderr }) => {
    logger.error('the embedded Temporal server exited: stopping', { code, signal, stderr });
    process.exit(1);
  });
  const temporal = { ...config.temporal, address: config.temporal.address ?? devServer!.address };
  const temporalUiUrl = config.temporal.uiUrl ?? devServer?.uiUrl;

  // With the embedded server and no keys configured, one generated key with role admin, so the quick start works.
  const credentials = configuredCredentials(config.api);
  const generatedKey = credentials.keys === 0 && devServer ? await devApiKey(dataPaths(config).devApiKey) : undefined;
  const apiConfig = generatedKey ? { ...config, api: { ...config.api, principals: [devPrincipal(generatedKey)] } } : config;
  if (!generatedKey && credentials.keys + credentials.webhooks === 0) throw new ConfigError(`${NO_CREDENTIALS_HELP}; required when connecting to a Temporal cluster`);
  logPrincipals(logger, apiConfig);

  const client = await connectClient(temporal);
  const registered = await registerSearchAttributes(client, temporal.namespace);
  if (registered.length > 0) logger.info('registered search attributes', { registered });

  const workers = await buildWorkers(config, temporal, client, policy, logger);
  const server = await listenApi(apiConfig, client, policyReloadedOnHangup(config.policyFile, policy, logger), logger, temporalUiUrl);

  process.stdout.write([
    '',
    'Riposte is running.',
    `  API:          http://${config.api.host}:${config.api.port}`,
    `  Temporal:     ${temporal.address} (namespace ${temporal.namespace})`,
    ...(temporalUiUrl ? [`  Temporal UI:  ${temporalUiUrl}`] : []),
    `  Policy:       ${config.policyFile} (${policy.version}); enforcement at ${policy.enforcement.points.join(', ')}`,
    // npm and tsx sit between the shell and this process and die of a SIGHUP, so the reload names this pid.
    `  Reload:       kill -HUP ${process.pid}   (re-reads the policy for new incidents)`,
    ...(generatedKey ? [`  API key:      ${generatedKey}   (development key, kept in ${dataPaths(config).devApiKey})`] : []),
    '',
  ].join('\n'));

  stopOnSignals(logger, () => {
    server.close();
    for (const worker of workers) worker.shutdown();
  });
  await Promise.all(workers.map((worker) => worker.run()));
  await devServer?.stop();
}

main().catch(exitOnError);
