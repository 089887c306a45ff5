import type { Client } from '@temporalio/client';
import type { RequestHandler, Router } from 'express';
import { metricsRouter } from '../routes/metrics.ts';
import { countAlertRequests } from './alertRequests.ts';
import { registerDeploymentGauges } from './deploymentGauges.ts';
import { deploymentStateReader } from './deploymentState.ts';
import { type MetricsExposition, registryExposition } from './exposition.ts';

/**
 * The API's metrics, joining `metrics` (a registry of the app's own when absent): the alert requests it answers, and
 * the deployment's state read from Temporal when scraped. `countAlertRequests` goes before the guard.
 */
export function apiMetrics({ client, taskQueue, metrics = registryExposition() }: { client: Client; taskQueue: string; metrics?: MetricsExposition }): { countAlertRequests: RequestHandler; router: Router } {
  registerDeploymentGauges(metrics.registry, deploymentStateReader({ client, taskQueue }));
  return { countAlertRequests: countAlertRequests(metrics.registry), router: metricsRouter(metrics) };
}
