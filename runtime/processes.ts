import { startReconcileSchedule } from './reconcileSchedule.ts';
import { removeStalePollerSchedules, startPollerSchedules } from './pollerSchedules.ts';
import { loadPollers } from './pollers.ts';
import { ENFORCEMENT_TASK_QUEUE } from '../workflows/taskQueues.ts';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import { DefaultLogger, type MetricsExporterConfig, Runtime, type Worker } from '@temporalio/worker';
import { openDbipGeoIp } from '../activities/enrich/geoip.ts';
import { withActionMetrics } from '../activities/audit/actionMetrics.ts';
import type { MetricsExposition } from '../api/metrics/exposition.ts';

import type { PolicySnapshot } from '../domain/policy.ts';
import { createRiposteWorkers, prebuiltWorkflowBundle } from '../workers/riposteWorkers.ts';
import { type Config, loadConfig, loadDotEnv } from './config.ts';
import { createLogger, type Logger, type LogLevel } from './logger.ts';
import { loadPolicy } from './policyFile.ts';
import { PortInUseError } from './portInUse.ts';
import { processMetrics } from './processMetrics.ts';
import { sdkMetrics } from './sdkMetrics.ts';
import { serveWorkerMetrics } from './workerMetricsServer.ts';
import { connectWorker } from './temporalConnection.ts';
import { apiApp, auditSink, enforcementPoints, notifiers, responders } from './wiring.ts';
import { guardOf } from '../domain/actions/guard.ts';

/**
 * What every entry point does first: environment, log, SDK logging, policy, and the process's metrics, with the SDK's
 * worker metrics where the process runs workers.
 */
export async function bootstrap({ runsWorkers = false } = {}): Promise<{ config: Config; logger: Logger; policy: PolicySnapshot; metrics: MetricsExposition }> {
  loadDotEnv();
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const sdk = runsWorkers ? await sdkMetrics() : undefined;
  installSdkLogging(logger, config.logLevel, sdk?.exporter);
  return { config, logger, policy: await loadPolicy(config.policyFile), metrics: processMetrics(sdk) };
}

/**
 * Routes the SDK's own log lines into Riposte's JSON log, and starts the SDK's metrics exporter when given one. The
 * SDK reports every worker state change at INFO, so it speaks at WARN unless Riposte itself is at debug. Must run
 * before any connection is made, and once: the SDK's runtime is installed once per process.
 */
export function installSdkLogging(logger: Logger, level: LogLevel, metrics?: MetricsExporterConfig): void {
  const toRiposte = { TRACE: logger.debug, DEBUG: logger.debug, INFO: logger.info, WARN: logger.warn, ERROR: logger.error } as const;
  Runtime.install({
    logger: new DefaultLogger(level === 'debug' ? 'DEBUG' : 'WARN', ({ level: sdkLevel, message, meta }) => {
      toRiposte[sdkLevel](message, { source: 'temporal-sdk', ...meta });
    }),
    ...(metrics ? { telemetryOptions: { metrics } } : {}),
  });
}

export type TemporalTarget = Config['temporal'] & { address: string };

/** The main and enforcement workers, as configured, and their metrics endpoint when on; the caller runs them. */
export async function buildWorkers(config: Config, temporal: TemporalTarget, client: Client, policy: PolicySnapshot, logger: Logger, metrics: MetricsExposition): Promise<Worker[]> {
  // Each adapter is on or off with the variables that turn it on, so a missing integration is visible at start-up.
  logger.info('response adapters', { adapters: config.responders.notes });
  const { file: pollersFile, pollers } = loadPollers();
  // The same console address the API puts in its incidents' links (runtime/wiring.ts apiApp).
  const consoleBase = config.api.publicUrl ?? `http://${config.api.host === '0.0.0.0' ? 'localhost' : config.api.host}:${config.api.port}`;
  // Listening first: a taken port stops start-up before the workflow bundle is built.
  if (config.workerMetrics) {
    await serveWorkerMetrics(config.workerMetrics, metrics);
    logger.info('worker metrics', { url: `http://${config.workerMetrics.host}:${config.workerMetrics.port}/metrics` });
  }
  const audit = withActionMetrics(await auditSink(config), metrics.registry);
  const workers = await createRiposteWorkers({
    connection: await connectWorker(temporal),
    client,
    namespace: temporal.namespace,
    taskQueue: config.taskQueue,
    enforcementPoints: enforcementPoints(config, policy, audit),
    maxEnforcementActionsPerSecond: policy.enforcement.maxActionsPerSecond,
    guard: guardOf(policy),
    notifiers: notifiers(config),
    responders: responders(config),
    geoip: await openDbipGeoIp(),
    audit,
    polling: { pollers, policy, links: { consoleBase, temporalUiBase: config.temporal.uiUrl }, log: logger.info },
    roles: config.workerRoles,
  });
  const runsWorkflows = config.workerRoles.some((role) => role !== 'enforcement');
  logger.info('workers', { roles: config.workerRoles, ...(runsWorkflows ? { workflowBundle: prebuiltWorkflowBundle() ?? 'bundled from sources at start-up' } : {}) });
  // The schedules are the main workers' to keep: an enforcer elsewhere has no pollers file, so every poller would look stale to it.
  if (!config.workerRoles.includes('main')) return workers;
  await startReconcileSchedule(client, { taskQueue: config.taskQueue, enforcementTaskQueue: ENFORCEMENT_TASK_QUEUE, policy });
  await startPollerSchedules(client, { taskQueue: config.taskQueue, pollers });
  const removed = await removeStalePollerSchedules(client, { taskQueue: config.taskQueue, kept: pollers.map((p) => p.name) });
  logger.info('pollers', { file: pollersFile ?? null, pollers: pollers.map((p) => `${p.name} (${p.kind}, every ${p.everyMs / 1000}s)`), removed });
  return workers;
}

export async function listenApi(config: Config, client: Client, policy: () => PolicySnapshot, logger: Logger, metrics: MetricsExposition, temporalUiUrl?: string): Promise<Server> {
  const server = apiApp(config, client, policy, logger, metrics, temporalUiUrl).listen(config.api.port, config.api.host);
  await new Promise<void>((ok, fail) => server.once('listening', ok).once('error', (err: NodeJS.ErrnoException) => {
    fail(err.code === 'EADDRINUSE' ? new PortInUseError(config.api.port, 'RIPOSTE_API_PORT') : err);
  }));
  return server;
}

/** Stops on SIGINT/SIGTERM: the API stops taking requests, workers finish in-flight tasks within their grace time. */
export function stopOnSignals(logger: Logger, stop: () => void): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal });
    stop();
  };
  process.once('SIGINT', handler);
  process.once('SIGTERM', handler);
}

/**
 * Known configuration mistakes and taken ports print their message, in one line; anything else prints its stack.
 * Whatever the entry point started (the embedded Temporal server) is stopped before this is called.
 */
export function exitOnError(err: unknown): never {
  const error = err as Error;
  const known = error?.name === 'ConfigError' || error?.name === 'PolicyError' || error instanceof PortInUseError;
  process.stderr.write(`riposte: ${known ? error.message : error?.stack ?? String(err)}\n`);
  process.exit(1);
}
