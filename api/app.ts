import type { Client } from '@temporalio/client';
import express, { type Express } from 'express';
import type { IncidentInput } from '../domain/incident.ts';
import type { PolicySnapshot } from '../domain/policy.ts';
import { createKeyRing, requireApiKey, requireFeedAccess } from './auth.ts';
import { errorHandler, HttpError } from './errors.ts';
import { alertsRouter } from './routes/alerts.ts';
import { blocksRouter } from './routes/blocks.ts';
import { type BlocklistSource, feedsRouter } from './routes/feeds.ts';
import { healthRouter } from './routes/health.ts';
import { incidentsRouter } from './routes/incidents.ts';

export interface AppDeps {
  client: Client;
  taskQueue: string;
  apiKeys: readonly string[];
  feedToken?: string;
  maxBodyBytes: number;
  policy: () => PolicySnapshot;
  blocklist: BlocklistSource;
  links: IncidentInput['links'];
  coalesceWindowMs: number;
  log: (message: string, fields: Record<string, unknown>) => void;
}

/** The HTTP API without a listener, so tests and the server entry point build the same app. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  const ring = createKeyRing(deps.apiKeys);

  app.use(healthRouter({ client: deps.client }));
  app.use('/v1/feeds', requireFeedAccess(ring, deps.feedToken), feedsRouter({ blocklist: deps.blocklist }));
  app.use('/v1', requireApiKey(ring), express.json({ limit: deps.maxBodyBytes, strict: false }));
  app.use(alertsRouter({ client: deps.client, taskQueue: deps.taskQueue, policy: deps.policy, links: deps.links, coalesceWindowMs: deps.coalesceWindowMs }));
  app.use(incidentsRouter({ client: deps.client }));
  app.use(blocksRouter({ client: deps.client }));
  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.log));
  return app;
}
