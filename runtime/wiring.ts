import type { Client } from '@temporalio/client';
import { type AuditSink, combineAuditSinks, createHttpAuditSink, createJsonlAuditReader, openJsonlAuditSink } from '../activities/audit/index.ts';
import { EdlFile } from '../activities/enforce/edlFile.ts';
import type { EnforcementPoint } from '../activities/enforce/enforcementPoint.ts';
import type { PointContext } from '../activities/enforce/pointDefinition.ts';
import { enforcementPointNamed } from '../activities/enforce/registry.ts';
import { createNotifyActivities } from '../activities/notify/index.ts';
import { DomainFeedFile } from '../activities/domains/domainFeedFile.ts';
import type { Notifier } from '../activities/notify/notification.ts';
import { createPagerDutyNotifier } from '../activities/notify/pagerdutyNotifier.ts';
import { createSlackNotifier } from '../activities/notify/slackNotifier.ts';
import { createWebhookNotifier } from '../activities/notify/webhookNotifier.ts';
import { createApp } from '../api/app.ts';
import type { MetricsExposition } from '../api/metrics/exposition.ts';
import { canonicalCidr } from '../domain/ip.ts';
import type { PolicySnapshot } from '../domain/policy.ts';
import type { Responders } from '../workers/riposteWorkers.ts';
import { readSettings, readVariable } from './adapters.ts';
import type { Config } from './config.ts';
import { createLogger, type Logger } from './logger.ts';
import { dataPaths } from './paths.ts';

/**
 * The systems response actions reach, and the reputation providers enrichment asks; the domain feed is a file in the
 * data directory, like the address feed.
 */
export function responders(config: Config): Responders {
  const { users, containment, assets, tickets, managers, reputation } = config.responders;
  return { users, containment, assets, tickets, managers, reputation, domainFeed: new DomainFeedFile(dataPaths(config).domainFeedFile) };
}

/** Turns configuration into the objects the worker and the API are built from; the one place they are chosen. */
export function enforcementPoints(config: Config, policy: PolicySnapshot, audit: AuditSink, env: NodeJS.ProcessEnv = process.env): EnforcementPoint[] {
  const { notifyOperators } = createNotifyActivities({ notifiers: notifiers(config), audit });
  const context: PointContext = {
    paths: dataPaths(config),
    allowlist: policy.allowlist.map(canonicalCidr),
    variable: (name) => readVariable(env, name),
    notifyOperators: async (notice) => {
      const sent = await Promise.allSettled(policy.enforcement.notify.map((route) => notifyOperators({ route, ...notice })));
      const failed = sent.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
  return policy.enforcement.points.map((name) => {
    // runtime/policyFile.ts refuses a policy naming a point that is not registered.
    const definition = enforcementPointNamed(name)!;
    return definition.create(readSettings(definition, env), context);
  });
}

export function notifiers(config: Config): Notifier[] {
  const list: Notifier[] = [];
  if (config.notify.slackWebhookUrl) list.push(createSlackNotifier({ webhookUrl: config.notify.slackWebhookUrl }));
  if (config.notify.webhookUrl) list.push(createWebhookNotifier({ url: config.notify.webhookUrl }));
  if (config.notify.pagerduty) list.push(createPagerDutyNotifier(config.notify.pagerduty));
  return [...list, ...config.responders.notifiers];
}

export const auditFile = (config: Config): string => config.audit.file ?? dataPaths(config).auditFile;

/** The audit trail: the JSON-lines file (the record of truth, one writer per process), then any SIEM forwarders. */
export async function auditSink(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<AuditSink> {
  const log = { info: logger.info, warn: logger.warn, error: logger.error };
  const forwarders = [
    ...(config.audit.hec ? [createHttpAuditSink({ format: 'splunk-hec', url: config.audit.hec.url, token: config.audit.hec.token, log })] : []),
    ...(config.audit.webhookUrl ? [createHttpAuditSink({ format: 'json', url: config.audit.webhookUrl, log })] : []),
  ];
  const file = await openJsonlAuditSink(auditFile(config));
  logger.info('audit trail', { file: auditFile(config), siem: [...(config.audit.hec ? ['splunk-hec'] : []), ...(config.audit.webhookUrl ? ['webhook'] : [])] });
  return combineAuditSinks(file, forwarders);
}

/** Names and roles only: which principals this API accepts, for the operator reading the start-up log. */
export function logPrincipals(logger: Logger, config: Config): void {
  const { principals, keys, principalsFile, webhookSecrets, slackUsers, slack } = config.api;
  logger.info('API principals', {
    principalsFile: principalsFile ?? null,
    keys: principals.map((p) => `${p.name} (${p.role})`),
    webhooks: [...new Set(webhookSecrets.map((w) => `webhook:${w.name}`))],
    feeds: config.api.feedConsumers.map((consumer) => consumer.name),
    feedToken: Boolean(config.api.feedToken),
    metricsToken: Boolean(config.api.metricsToken),
    slackUsers: slackUsers.map((u) => `${u.slackUserId} → ${u.principal} (${u.role})`),
  });
  if (slackUsers.length > 0 && !slack) logger.warn('slackUsers are mapped but SLACK_SIGNING_SECRET is not set: Slack approvals are off');
  if (keys.length > 0) logger.warn('RIPOSTE_API_KEYS keys have role admin; give keys narrower roles in a principals file', { count: keys.length });
}

export function apiApp(config: Config, client: Client, policy: () => PolicySnapshot, logger: Logger, metrics: MetricsExposition, temporalUiUrl?: string) {
  const publicUrl = config.api.publicUrl ?? `http://${config.api.host === '0.0.0.0' ? 'localhost' : config.api.host}:${config.api.port}`;
  return createApp({
    client,
    taskQueue: config.taskQueue,
    apiKeys: [...config.api.principals, ...config.api.keys],
    webhookSecrets: config.api.webhookSecrets,
    feedToken: config.api.feedToken,
    feedConsumers: config.api.feedConsumers,
    metricsToken: config.api.metricsToken,
    metrics,
    slack: config.api.slack && { ...config.api.slack, users: config.api.slackUsers },
    maxBodyBytes: config.api.maxBodyBytes,
    coalesceWindowMs: config.api.coalesceWindowMs,
    policy,
    blocklist: new EdlFile(dataPaths(config).edlFile),
    domainFeed: new DomainFeedFile(dataPaths(config).domainFeedFile),
    audit: createJsonlAuditReader(auditFile(config)),
    links: { consoleBase: publicUrl, temporalUiBase: config.temporal.uiUrl ?? temporalUiUrl },
    log: logger.error,
    feedLog: logger.info,
    accessLog: (line) => logger.info('request', line),
    authFailureLimit: config.api.authFailureLimit,
    trustProxy: config.api.trustProxy,
    session: config.api.session,
  });
}
