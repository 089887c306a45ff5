import { join } from 'node:path';
import type { Config } from './config.ts';

/** Files under RIPOSTE_DATA_DIR; the API and the enforcement worker must agree on them. */
export const dataPaths = (config: Pick<Config, 'dataDir'>) => ({
  temporalDb: join(config.dataDir, 'temporal.db'),
  edlFile: join(config.dataDir, 'edl-blocklist.json'),
  /** Domains and URLs on the feed proxies and DNS firewalls pull (`blocklist_domain`). */
  domainFeedFile: join(config.dataDir, 'domain-feed.json'),
  dryRunLog: join(config.dataDir, 'dry-run.jsonl'),
  /** The audit trail's JSON lines, unless RIPOSTE_AUDIT_FILE names another file. */
  auditFile: join(config.dataDir, 'audit.jsonl'),
  devApiKey: join(config.dataDir, 'dev-api-key'),
});
