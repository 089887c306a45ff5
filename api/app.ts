import type { Client } from '@temporalio/client';
import type { AuditReader } from '../activities/audit/record.ts';
import express, { type Express } from 'express';
import type { IncidentInput } from '../domain/incident.ts';
import { parseDuration } from '../domain/duration.ts';
import type { PolicySnapshot } from '../domain/policy.ts';
import { accessLog, type AccessLogLine } from './accessLog.ts';
import { type ApiKeySpec, createGuard, FEED_TOKEN_CONSUMER, type FeedConsumer } from './auth.ts';
import { type AuthFailureLimit, authFailureLimit } from './authFailureLimit.ts';
import { consoleRouter } from './console/router.ts';
import { createSessions, DEFAULT_SESSION_TTL, type SessionSettings } from './console/sessions.ts';
import { errorHandler, HttpError } from './errors.ts';
import { apiMetrics } from './metrics/apiMetrics.ts';
import type { MetricsExposition } from './metrics/exposition.ts';
import { openApiDocument } from './openapi/document.ts';
import { alertsRouter } from './routes/alerts.ts';
import { auditRouter } from './routes/audit.ts';
import { blocksRouter } from './routes/blocks.ts';
import { controlRouter } from './routes/control.ts';
import { exceptionsRouter } from './routes/exceptions.ts';
import { explainRouter } from './routes/explain.ts';
import { eventsRouter } from './routes/events.ts';
import { type BlocklistSource, type DomainFeedSource, feedsRouter } from './routes/feeds.ts';
import { healthRouter } from './routes/health.ts';
import { incidentsRouter } from './routes/incidents.ts';
import { reportsRouter } from './routes/reports.ts';
import { containmentsRouter } from './routes/containments.ts';
import { simulateRouter } from './routes/simulate.ts';
import { type SlackApprovals, slackRouter } from './routes/slack.ts';
import type { WebhookSecret } from './signature.ts';

export interface AppDeps {
  client: Client;
  taskQueue: string;
  /** The enforcement workers' queue, for manual blocks; defaults to theirs (`riposte-enforcement`). */
  enforcementTaskQueue?: string;
  /** Configured keys (principals file), and plain RIPOSTE_API_KEYS keys, which have role admin. */
  apiKeys: readonly (ApiKeySpec | string)[];
  /** Secrets of signed webhooks (`X-Riposte-Signature`); their principals are `webhook:<name>`, role ingest. */
  webhookSecrets?: readonly WebhookSecret[];
  /** RIPOSTE_FEED_TOKEN: one feed consumer without a name of its own. */
  feedToken?: string;
  /** Firewalls and proxies pulling the feeds, each with a token of its own (principals file `feeds:`). */
  feedConsumers?: readonly FeedConsumer[];
  /** RIPOSTE_METRICS_TOKEN: a Prometheus server's bearer token for GET /metrics. */
  metricsToken?: string;
  /** The process's metrics, which the API's join and GET /metrics serves; absent: a registry of the app's own. */
  metrics?: MetricsExposition;
  /** The Slack app's signing secret and Slack users' principals, for its buttons; absent: POST /v1/slack/actions answers 503. */
  slack?: SlackApprovals;
  maxBodyBytes: number;
  policy: () => PolicySnapshot;
  blocklist: BlocklistSource;
  /** The `blocklist_domain` feed, for GET /v1/feeds/domains.txt; absent: that route answers 404 `not_configured`. */
  domainFeed?: DomainFeedSource;
  /** The audit trail, for GET /v1/audit (the JSON-lines file in production); absent: the route answers 503. */
  audit?: AuditReader;
  links: IncidentInput['links'];
  coalesceWindowMs: number;
  log: (message: string, fields: Record<string, unknown>) => void;
  /** Each feed fetch and shrink release (the info log); absent: not logged. */
  feedLog?: (message: string, fields: Record<string, unknown>) => void;
  /** Clock (ms) for rate limits and signature windows; tests move it. */
  now?: () => number;
  /** One line per request, refused ones included; absent: no access log. */
  accessLog?: (line: AccessLogLine) => void;
  /** 429 for a source address after too many failed authentications, before any key is looked up; absent: no limit. */
  authFailureLimit?: AuthFailureLimit;
  /** The reverse proxies whose X-Forwarded-For gives the source address (Express's `trust proxy`); absent: the TCP peer. */
  trustProxy?: readonly string[];
  /** The console's sessions (RIPOSTE_SESSION_SECRET, RIPOSTE_SESSION_TTL); absent: a random secret, 12 h. */
  session?: SessionSettings;
}

/** The HTTP API without a listener, so tests and the server entry point build the same app. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.trustProxy) app.set('trust proxy', deps.trustProxy);
  if (deps.accessLog) app.use(accessLog(deps.accessLog));
  if (deps.authFailureLimit) app.use(authFailureLimit(deps.authFailureLimit, deps.now));
  // Every request meets the role table (api/access.ts) before any router or body parser; routers know no roles.
  const sessions = createSessions(deps.session ?? { ttlMs: parseDuration(DEFAULT_SESSION_TTL) }, deps.now);
  const { guard, jsonBody, signIn, sessionOf } = createGuard({ keys: deps.apiKeys, feedToken: deps.feedToken, feedConsumers: deps.feedConsumers, webhookSecrets: deps.webhookSecrets, metricsToken: deps.metricsToken, now: deps.now, sessions });
  const metrics = apiMetrics({ client: deps.client, taskQueue: deps.taskQueue, metrics: deps.metrics });
  app.use(metrics.countAlertRequests);
  app.use(consoleRouter({ sessions, signIn, sessionOf, temporalUiBase: deps.links.temporalUiBase, temporalNamespace: deps.client.options.namespace }));
  app.use(guard);

  app.use(healthRouter({ client: deps.client }));
  app.use(metrics.router);
  app.get('/openapi.json', (_req, res) => void res.json(openApiDocument()));
  const consumers = [...(deps.feedToken ? [FEED_TOKEN_CONSUMER] : []), ...(deps.feedConsumers ?? []).map((consumer) => consumer.name)];
  app.use('/v1/feeds', feedsRouter({ blocklist: deps.blocklist, domainFeed: deps.domainFeed, consumers, log: deps.log, feedLog: deps.feedLog }));
  // Slack signs the raw form body, so its route reads the bytes itself, before the JSON parser could consume them.
  app.use(slackRouter({ client: deps.client, slack: deps.slack, maxBodyBytes: deps.maxBodyBytes, now: deps.now, log: deps.log }));
  // A simulation's export is larger than any alert request, so its route parses its body with a limit of its own.
  app.use(simulateRouter({ policy: deps.policy, jsonBody }));
  app.use('/v1', jsonBody(deps.maxBodyBytes));
  const events = eventsRouter({ client: deps.client, taskQueue: deps.taskQueue, audit: deps.audit });
  app.use(alertsRouter({ client: deps.client, taskQueue: deps.taskQueue, policy: deps.policy, links: deps.links, coalesceWindowMs: deps.coalesceWindowMs, onIncidentStarted: events.incidentStarted }));
  app.use(incidentsRouter({ client: deps.client }));
  app.use(blocksRouter({ client: deps.client, taskQueue: deps.taskQueue, enforcementTaskQueue: deps.enforcementTaskQueue, policy: deps.policy, links: deps.links }));
  app.use(controlRouter({ client: deps.client, taskQueue: deps.taskQueue }));
  app.use(exceptionsRouter({ client: deps.client, taskQueue: deps.taskQueue }));
  app.use(explainRouter({ client: deps.client, taskQueue: deps.taskQueue, policy: deps.policy }));
  app.use(auditRouter({ audit: deps.audit }));
  app.use(events);
  app.use(reportsRouter({ audit: deps.audit, policy: deps.policy, now: deps.now }));
  app.use(containmentsRouter({ audit: deps.audit, now: deps.now }));
  app.use((req, _res, next) => next(new HttpError(404, 'not_found', `no route ${req.method} ${req.path}`)));
  app.use(errorHandler(deps.log));
  return app;
}
