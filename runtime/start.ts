import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { canonicalCidr } from '../domain/ip.ts';
import { openDbipGeoIp } from '../activities/enrich/geoip.ts';
import { createRiposteWorkers } from '../workers/riposteWorkers.ts';
import { ConfigError, loadConfig } from './config.ts';
import { devApiKey } from './devApiKey.ts';
import type { DevServer } from './devServer.ts';
import { startEmbeddedTemporal } from './embeddedTemporal.ts';
import { createLogger } from './logger.ts';
import { dataPaths } from './paths.ts';
import { loadPolicy, PolicyError } from './policyFile.ts';
import { registerSearchAttributes } from './searchAttributes.ts';
import { connectClient, connectWorker } from './temporalConnection.ts';
import { apiApp, enforcementPoints, notifiers } from './wiring.ts';

const projectDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `npm start`: Temporal (embedded unless TEMPORAL_ADDRESS is set), the workers and the API in one process. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const policy = await loadPolicy(config.policyFile);

  let devServer: DevServer | undefined;
  if (!config.temporal.address) devServer = await startEmbeddedTemporal(config, logger, projectDir);
  const temporal = { ...config.temporal, address: config.temporal.address ?? devServer!.address };
  const temporalUiUrl = config.temporal.uiUrl ?? devServer?.uiUrl;

  const apiKeys = config.api.keys.length > 0 ? config.api.keys : devServer ? [await devApiKey(dataPaths(config).devApiKey)] : [];
  if (apiKeys.length === 0) throw new ConfigError('RIPOSTE_API_KEYS is required when connecting to a Temporal cluster');

  const client = await connectClient(temporal);
  const registered = await registerSearchAttributes(client, temporal.namespace);
  if (registered.length > 0) logger.info('registered search attributes', { registered });

  const workers = await createRiposteWorkers({
    connection: await connectWorker(temporal),
    client,
    namespace: temporal.namespace,
    taskQueue: config.taskQueue,
    enforcementPoints: enforcementPoints(config, policy),
    allowlist: policy.allowlist.map(canonicalCidr),
    notifiers: notifiers(config),
    geoip: await openDbipGeoIp(),
  });

  const app = apiApp({ ...config, api: { ...config.api, keys: apiKeys } }, client, () => policy, logger, temporalUiUrl);
  const server = app.listen(config.api.port, config.api.host);
  await new Promise<void>((ok, fail) => server.once('listening', ok).once('error', fail));

  const apiUrl = `http://${config.api.host}:${config.api.port}`;
  process.stdout.write([
    '',
    'Riposte is running.',
    `  API:          ${apiUrl}`,
    `  Temporal:     ${temporal.address} (namespace ${temporal.namespace})`,
    ...(temporalUiUrl ? [`  Temporal UI:  ${temporalUiUrl}`] : []),
    `  Policy:       ${config.policyFile} (${policy.version}); enforcement at ${policy.enforcement.points.join(', ')}`,
    ...(config.api.keys.length === 0 ? [`  API key:      ${apiKeys[0]}   (development key, kept in ${dataPaths(config).devApiKey})`] : []),
    '',
  ].join('\n'));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    server.close();
    for (const worker of workers) worker.shutdown();
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));

  await Promise.all(workers.map((worker) => worker.run()));
  await devServer?.stop();
}

main().catch((err) => {
  const known = err instanceof ConfigError || err instanceof PolicyError;
  process.stderr.write(`riposte: ${known ? err.message : (err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
