import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { ApiKeySpec, FeedConsumer } from '../api/auth.ts';
import type { AuthFailureLimit } from '../api/authFailureLimit.ts';
import { DEFAULT_SESSION_TTL, type SessionSettings } from '../api/console/sessions.ts';
import { DURATION_PATTERN, parseDuration } from '../domain/duration.ts';
import { canonicalCidr } from '../domain/ip.ts';
import type { SlackUser } from '../api/routes/slack.ts';
import type { WebhookSecret } from '../api/signature.ts';
import { MAIN_TASK_QUEUE } from '../workflows/taskQueues.ts';
import { WORKER_ROLES, type WorkerRole } from '../workers/workerRoles.ts';
import { type ConfiguredResponders, loadResponders } from './adapters.ts';
import { parsePrincipals, parseWebhookSecrets } from './principals.ts';
import { secretFromEnv } from './secrets.ts';

const port = z.coerce.number().int().min(0).max(65535);
const flag = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TLS: flag.optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().optional(),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_UI_URL: z.url().optional(),
  RIPOSTE_DEV_SERVER_PORT: port.default(7233),
  RIPOSTE_DEV_UI_PORT: port.default(8233),
  RIPOSTE_DATA_DIR: z.string().default('.data'),
  RIPOSTE_POLICY_FILE: z.string().default('config/policy.yaml'),
  RIPOSTE_PRINCIPALS_FILE: z.string().min(1).optional(),
  RIPOSTE_TASK_QUEUE: z.string().min(1).default(MAIN_TASK_QUEUE),
  RIPOSTE_WORKERS: z.string().default(WORKER_ROLES.join(','))
    .transform((text) => [...new Set(text.split(',').map((role) => role.trim()).filter(Boolean))])
    .pipe(z.array(z.enum(WORKER_ROLES)).min(1, `name one or more of ${WORKER_ROLES.join(', ')}`)),
  RIPOSTE_API_HOST: z.string().default('127.0.0.1'),
  RIPOSTE_API_PORT: port.default(8080),
  RIPOSTE_PUBLIC_URL: z.url().optional(),
  RIPOSTE_COALESCE_MS: z.coerce.number().int().min(0).max(1000).default(2),
  RIPOSTE_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(50 * 1024 * 1024).default(1024 * 1024),
  RIPOSTE_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).max(1_000_000).default(30),
  RIPOSTE_AUTH_FAILURE_WINDOW: z.string().regex(DURATION_PATTERN, 'a whole number followed by s, m, h or d').default('5m'),
  RIPOSTE_TRUST_PROXY: z.string().optional().transform((text, ctx) => trustedProxies(text, ctx)),
  RIPOSTE_SESSION_TTL: z.string().regex(DURATION_PATTERN, 'a whole number followed by s, m, h or d').default(DEFAULT_SESSION_TTL),
  RIPOSTE_AUDIT_FILE: z.string().min(1).optional(),
  RIPOSTE_AUDIT_HEC_URL: z.url({ protocol: /^https?$/ }).optional(),
  // The trailing slash keeps a prefix from matching a longer host name (hooks.slack.com.example).
  SLACK_RESPONSE_URL_PREFIX: z.url({ protocol: /^https?$/ }).refine((url) => url.endsWith('/'), 'must end with "/"').default('https://hooks.slack.com/'),
  PAGERDUTY_EVENTS_URL: z.url({ protocol: /^https?$/ }).default('https://events.pagerduty.com/v2/enqueue'),
  RIPOSTE_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  RIPOSTE_WORKER_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  RIPOSTE_WORKER_METRICS_PORT: z.union([z.literal('off'), port]).default(9464),
});

export interface Config {
  temporal: {
    address?: string;
    namespace: string;
    tls: boolean;
    clientCertPath?: string;
    clientKeyPath?: string;
    serverCaPath?: string;
    serverName?: string;
    apiKey?: string;
    cliPath?: string;
    uiUrl?: string;
    devServerPort: number;
    devUiPort: number;
  };
  dataDir: string;
  policyFile: string;
  taskQueue: string;
  /** The workers this process runs (RIPOSTE_WORKERS): all three, unless it is, say, a firewall host's enforcer. */
  workerRoles: WorkerRole[];
  api: {
    host: string;
    port: number;
    publicUrl?: string;
    maxBodyBytes: number;
    coalesceWindowMs: number;
    /** Plain keys from RIPOSTE_API_KEYS: role admin, for development and single-user set-ups. */
    keys: string[];
    /** Named keys with roles, from the principals file. */
    principals: ApiKeySpec[];
    principalsFile?: string;
    webhookSecrets: WebhookSecret[];
    /** RIPOSTE_FEED_TOKEN: one feed consumer without a name of its own. */
    feedToken?: string;
    /** Failed authentications a source address may make (RIPOSTE_AUTH_FAILURE_LIMIT per RIPOSTE_AUTH_FAILURE_WINDOW); absent: no limit. */
    authFailureLimit?: AuthFailureLimit;
    /** RIPOSTE_TRUST_PROXY: the reverse proxies whose X-Forwarded-For names a request's source address; absent: the TCP peer is. */
    trustProxy?: string[];
    /** RIPOSTE_METRICS_TOKEN: a Prometheus server's bearer token for GET /metrics. */
    metricsToken?: string;
    /** The console's sessions: RIPOSTE_SESSION_SECRET (absent: random per process) and RIPOSTE_SESSION_TTL. */
    session: SessionSettings;
    /** Firewalls pulling the feeds with tokens of their own, from the principals file's `feeds:`. */
    feedConsumers: FeedConsumer[];
    /** Slack users who may click the incident message's buttons, as principals of the principals file. */
    slackUsers: SlackUser[];
    /** Present when SLACK_SIGNING_SECRET is set: POST /v1/slack/actions works only then. */
    slack?: { signingSecret: string; responseUrlPrefix: string };
  };
  notify: { slackWebhookUrl?: string; webhookUrl?: string; pagerduty?: { routingKey: string; url: string } };
  /** Identity providers, EDRs, asset trackers, ticket systems, manager directories and the other notifiers. */
  responders: ConfiguredResponders;
  /** The JSON-lines audit file (default <dataDir>/audit.jsonl) and the SIEM forwarders. */
  audit: { file?: string; hec?: { url: string; token: string }; webhookUrl?: string };
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Where a worker process serves its metrics (RIPOSTE_WORKER_METRICS_HOST/PORT); absent: it serves none. */
  workerMetrics?: { host: string; port: number };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Development convenience: a .env file in the working directory fills variables the environment leaves unset. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** Used when RIPOSTE_PRINCIPALS_FILE is unset and this file exists (relative to the working directory). */
export const DEFAULT_PRINCIPALS_FILE = 'config/principals.yaml';

function readPrincipalsFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`RIPOSTE_PRINCIPALS_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
  }
}

/** Reads and checks the environment once, at start-up; nothing below runtime/ reads process.env. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  const keys = (secretFromEnv(env, 'RIPOSTE_API_KEYS') ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  const short = keys.find((k) => k.length < 24);
  if (short !== undefined) throw new ConfigError('RIPOSTE_API_KEYS: every key must be at least 24 characters');
  const principalsFile = e.RIPOSTE_PRINCIPALS_FILE ? resolve(e.RIPOSTE_PRINCIPALS_FILE) : existsSync(DEFAULT_PRINCIPALS_FILE) ? resolve(DEFAULT_PRINCIPALS_FILE) : undefined;
  let principals: ApiKeySpec[] = [];
  let slackUsers: SlackUser[] = [];
  let feedConsumers: FeedConsumer[] = [];
  let webhookSecrets: WebhookSecret[];
  try {
    if (principalsFile) ({ keys: principals, slackUsers, feeds: feedConsumers } = parsePrincipals(readPrincipalsFile(principalsFile), principalsFile));
    webhookSecrets = parseWebhookSecrets(secretFromEnv(env, 'RIPOSTE_WEBHOOK_SECRETS'));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      tls: e.TEMPORAL_TLS ?? Boolean(e.TEMPORAL_TLS_CLIENT_CERT_PATH || secretFromEnv(env, 'TEMPORAL_API_KEY')),
      clientCertPath: e.TEMPORAL_TLS_CLIENT_CERT_PATH,
      clientKeyPath: e.TEMPORAL_TLS_CLIENT_KEY_PATH,
      serverCaPath: e.TEMPORAL_TLS_SERVER_CA_CERT_PATH,
      serverName: e.TEMPORAL_TLS_SERVER_NAME,
      apiKey: secretFromEnv(env, 'TEMPORAL_API_KEY'),
      cliPath: e.TEMPORAL_CLI_PATH,
      uiUrl: e.TEMPORAL_UI_URL,
      devServerPort: e.RIPOSTE_DEV_SERVER_PORT,
      devUiPort: e.RIPOSTE_DEV_UI_PORT,
    },
    dataDir: resolve(e.RIPOSTE_DATA_DIR),
    policyFile: resolve(e.RIPOSTE_POLICY_FILE),
    taskQueue: e.RIPOSTE_TASK_QUEUE,
    workerRoles: e.RIPOSTE_WORKERS,
    api: {
      host: e.RIPOSTE_API_HOST,
      port: e.RIPOSTE_API_PORT,
      publicUrl: e.RIPOSTE_PUBLIC_URL?.replace(/\/$/, ''),
      maxBodyBytes: e.RIPOSTE_MAX_BODY_BYTES,
      coalesceWindowMs: e.RIPOSTE_COALESCE_MS,
      keys,
      principals,
      principalsFile,
      webhookSecrets,
      feedToken: secretFromEnv(env, 'RIPOSTE_FEED_TOKEN'),
      authFailureLimit: e.RIPOSTE_AUTH_FAILURE_LIMIT === 0 ? undefined : { failures: e.RIPOSTE_AUTH_FAILURE_LIMIT, windowMs: parseDuration(e.RIPOSTE_AUTH_FAILURE_WINDOW) },
      trustProxy: e.RIPOSTE_TRUST_PROXY,
      metricsToken: metricsToken(env),
      session: { secret: secretFromEnv(env, 'RIPOSTE_SESSION_SECRET'), ttlMs: parseDuration(e.RIPOSTE_SESSION_TTL) },
      feedConsumers,
      slackUsers,
      slack: slackConfig(env, e.SLACK_RESPONSE_URL_PREFIX),
    },
    notify: {
      slackWebhookUrl: secretFromEnv(env, 'SLACK_WEBHOOK_URL'),
      webhookUrl: secretFromEnv(env, 'RIPOSTE_WEBHOOK_URL'),
      pagerduty: pagerDuty(env, e.PAGERDUTY_EVENTS_URL),
    },
    responders: loadResponders(env),
    audit: auditConfig(env, e.RIPOSTE_AUDIT_FILE, e.RIPOSTE_AUDIT_HEC_URL),
    logLevel: e.RIPOSTE_LOG_LEVEL,
    workerMetrics: e.RIPOSTE_WORKER_METRICS_PORT === 'off' || e.RIPOSTE_WORKER_METRICS_PORT === 0 ? undefined : { host: e.RIPOSTE_WORKER_METRICS_HOST, port: e.RIPOSTE_WORKER_METRICS_PORT },
  };
}

/** A scrape token is a credential like an API key, and as hard to guess. */
function metricsToken(env: NodeJS.ProcessEnv): string | undefined {
  const token = secretFromEnv(env, 'RIPOSTE_METRICS_TOKEN');
  if (token !== undefined && token.length < 24) throw new ConfigError('RIPOSTE_METRICS_TOKEN: must be at least 24 characters');
  return token;
}

/** Addresses and networks of reverse proxies, or Express's names `loopback`, `linklocal` and `uniquelocal`. */
function trustedProxies(text: string | undefined, ctx: z.RefinementCtx): string[] | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const entries = text.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) continue;
    try {
      canonicalCidr(entry);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(entry)} is not an address, a network, loopback, linklocal or uniquelocal` });
    }
  }
  return entries;
}

/** Slack's signing secrets are 32 hex characters (the app's Basic Information page); a short one is a paste gone wrong. */
function slackConfig(env: NodeJS.ProcessEnv, responseUrlPrefix: string): Config['api']['slack'] {
  const signingSecret = secretFromEnv(env, 'SLACK_SIGNING_SECRET');
  if (signingSecret === undefined) return undefined;
  if (signingSecret.length < 16) throw new ConfigError('SLACK_SIGNING_SECRET: too short; copy the Signing Secret from the Slack app\'s Basic Information page');
  return { signingSecret, responseUrlPrefix };
}

/** The HEC token and the webhook URL (which may embed a token) are secrets: never echoed, may come from *_FILE. */
function auditConfig(env: NodeJS.ProcessEnv, file: string | undefined, hecUrl: string | undefined): Config['audit'] {
  const hecToken = secretFromEnv(env, 'RIPOSTE_AUDIT_HEC_TOKEN');
  if (hecUrl && !hecToken) throw new ConfigError('RIPOSTE_AUDIT_HEC_URL needs RIPOSTE_AUDIT_HEC_TOKEN (or RIPOSTE_AUDIT_HEC_TOKEN_FILE)');
  if (hecToken && !hecUrl) throw new ConfigError('RIPOSTE_AUDIT_HEC_TOKEN is set but RIPOSTE_AUDIT_HEC_URL is not');
  const webhookUrl = secretFromEnv(env, 'RIPOSTE_AUDIT_WEBHOOK_URL');
  if (webhookUrl !== undefined && !isHttpUrl(webhookUrl)) throw new ConfigError('RIPOSTE_AUDIT_WEBHOOK_URL must be an http(s) URL');
  return {
    file: file ? resolve(file) : undefined,
    hec: hecUrl && hecToken ? { url: hecUrl, token: hecToken } : undefined,
    webhookUrl,
  };
}

function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

function pagerDuty(env: NodeJS.ProcessEnv, url: string): { routingKey: string; url: string } | undefined {
  const routingKey = secretFromEnv(env, 'PAGERDUTY_ROUTING_KEY');
  if (routingKey === undefined) return undefined;
  if (!/^[A-Za-z0-9]{32}$/.test(routingKey)) throw new ConfigError('PAGERDUTY_ROUTING_KEY must be the 32-character integration key of an Events API v2 integration');
  return { routingKey, url };
}
