import { collectDefaultMetrics, Registry } from 'prom-client';
import type { MetricsExposition } from '../api/metrics/exposition.ts';
import type { SdkMetrics } from './sdkMetrics.ts';

/**
 * One registry per process: the API's and the workers' metrics join it, so `npm start`, which runs both, shows them
 * together. Node's own (`process_*`, `nodejs_*`) are in it; the SDK's worker metrics follow where workers run.
 */
export function processMetrics(sdk?: SdkMetrics): MetricsExposition {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    text: async () => {
      const [own, worker] = await Promise.all([registry.metrics(), sdk?.read() ?? '']);
      return `${own}\n${worker}`;
    },
  };
}
