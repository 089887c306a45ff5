import type { Client } from '@temporalio/client';
import { EdlFile } from '../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../activities/enforce/edlEnforcer.ts';
import type { EnforcementPoint } from '../activities/enforce/enforcementPoint.ts';
import { createLogEnforcer } from '../activities/enforce/logEnforcer.ts';
import { createNftablesEnforcer } from '../activities/enforce/nftablesEnforcer.ts';
import type { Notifier } from '../activities/notify/notification.ts';
import { createSlackNotifier } from '../activities/notify/slackNotifier.ts';
import { createWebhookNotifier } from '../activities/notify/webhookNotifier.ts';
import { createApp } from '../api/app.ts';
import { canonicalCidr } from '../domain/ip.ts';
import type { PolicySnapshot } from '../domain/policy.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import { dataPaths } from './paths.ts';

/** Turns configuration into the objects the worker and the API are built from; the one place they are chosen. */
export function enforcementPoints(config: Config, policy: PolicySnapshot): EnforcementPoint[] {
  const paths = dataPaths(config);
  const allowlist = policy.allowlist.map(canonicalCidr);
  return policy.enforcement.points.map((name) => {
    switch (name) {
      case 'edl': return createEdlEnforcer(new EdlFile(paths.edlFile));
      case 'log': return createLogEnforcer({ path: paths.dryRunLog });
      case 'nftables': return createNftablesEnforcer({ netns: config.nftables.netns, table: config.nftables.table, allowlist });
    }
  });
}

export function notifiers(config: Config): Notifier[] {
  const list: Notifier[] = [];
  if (config.notify.slackWebhookUrl) list.push(createSlackNotifier({ webhookUrl: config.notify.slackWebhookUrl }));
  if (config.notify.webhookUrl) list.push(createWebhookNotifier({ url: config.notify.webhookUrl }));
  return list;
}

export function apiApp(config: Config, client: Client, policy: () => PolicySnapshot, logger: Logger, temporalUiUrl?: string) {
  const publicUrl = config.api.publicUrl ?? `http://${config.api.host === '0.0.0.0' ? 'localhost' : config.api.host}:${config.api.port}`;
  return createApp({
    client,
    taskQueue: config.taskQueue,
    apiKeys: config.api.keys,
    feedToken: config.api.feedToken,
    maxBodyBytes: config.api.maxBodyBytes,
    coalesceWindowMs: config.api.coalesceWindowMs,
    policy,
    blocklist: new EdlFile(dataPaths(config).edlFile),
    links: { consoleBase: publicUrl, temporalUiBase: config.temporal.uiUrl ?? temporalUiUrl },
    log: logger.error,
  });
}
