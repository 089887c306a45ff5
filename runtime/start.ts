import type { MetricsExposition } from '../api/metrics/exposition.ts';
import type { PolicySnapshot } from '../domain/policy.ts';
import { type Config, ConfigError } from './config.ts';
import { configuredCredentials, devApiKey, devPrincipal, NO_CREDENTIALS_HELP } from './devApiKey.ts';
import type { DevServer } from './devServer.ts';
import { startEmbeddedTemporal } from './embeddedTemporal.ts';
import { dataPaths } from './paths.ts';
import type { Logger } from './logger.ts';
import { policyReloadedOnHangup } from './policyReload.ts';
import { projectDir } from './projectDir.ts';
import { assertPortFree } from './portInUse.ts';
import { bootstrap, buildWorkers, exitOnError, listenApi, stopOnSignals } from './processes.ts';
import { registerSearchAttributes } from './searchAttributes.ts';
import { connectClient } from './temporalConnection.ts';
import { logPrincipals } from './wiring.ts';

/** `npm start`: Temporal (embedded unless TEMPORAL_ADDRESS is set), the workers and the API in one process. */
async function main(): Promise<void> {
  const { config, logger, policy, metrics } = await bootstrap({ runsWorkers: true });
  // A taken port is found before the embedded server starts, so that refusal leaves nothing to stop.
  await assertPortFree(config.api.port, config.api.host, 'RIPOSTE_API_PORT');
  if (config.workerMetrics) await assertPortFree(config.workerMetrics.port, config.workerMetrics.host, 'RIPOSTE_WORKER_METRICS_PORT');
  const devServer = config.temporal.address ? undefined : await startEmbeddedTemporal(config, logger, projectDir);
  try {
    await run(config, logger, policy, metrics, devServer);
  } finally {
    // Every way out, a failure included, stops the embedded server: the next start would find its port taken.
    await devServer?.stop();
  }
}

async function run(config: Config, logger: Logger, policy: PolicySnapshot, metrics: MetricsExposition, devServer: DevServer | undefined): Promise<void> {
  let stopping = false;
  void devServer?.exited?.then(({ code, signal, stderr }) => {
    // Ctrl-C reaches the server too (it is in this process's group): then its exit is part of stopping, not a failure.
    if (stopping) process.exit(0);
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

  const workers = await buildWorkers(config, temporal, client, policy, logger, metrics);
  const server = await listenApi(apiConfig, client, policyReloadedOnHangup(config.policyFile, policy, logger), logger, metrics, temporalUiUrl);

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
    stopping = true;
    server.close();
    for (const worker of workers) worker.shutdown();
  });
  await Promise.all(workers.map((worker) => worker.run()));
}

main().catch(exitOnError);
