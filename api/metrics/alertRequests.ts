import type { RequestHandler } from 'express';
import { Counter, type Registry } from 'prom-client';
import { accessFor } from '../access.ts';
import { alertSourceNamed } from '../sources/index.ts';

/**
 * Counts every request that sends alerts when its answer goes out, refusals by the guard included, so it is mounted
 * before the guard. The source label is a known source name (`generic` for POST /v1/alerts) or `unknown`: a caller,
 * authenticated or not, cannot mint label values.
 */
export function countAlertRequests(registry: Registry): RequestHandler {
  const requests = new Counter({
    name: 'riposte_alert_requests_total',
    help: 'Requests sending alerts (POST /v1/alerts and /v1/alerts/<source>), by source and HTTP status: 202 accepted, any other refused',
    labelNames: ['source', 'status'],
    registers: [registry],
  });
  return (req, res, next) => {
    const { route } = accessFor(req.method, req.path);
    const source = route === 'POST /v1/alerts' ? 'generic' : route === 'POST /v1/alerts/:source' ? alertSourceNamed(req.path.split('/')[3]!)?.name ?? 'unknown' : undefined;
    if (source !== undefined) res.once('finish', () => requests.inc({ source, status: String(res.statusCode) }));
    next();
  };
}
