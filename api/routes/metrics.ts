import { Router } from 'express';
import type { MetricsExposition } from '../metrics/exposition.ts';

/** GET /metrics in Prometheus's text format; the guard lets in the viewer roles and the scrape token. */
export function metricsRouter(metrics: MetricsExposition): Router {
  const router = Router();
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.text());
  });
  return router;
}
