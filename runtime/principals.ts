import { parse } from 'yaml';
import { z } from 'zod';
import { ROLES } from '../api/access.ts';
import type { ApiKeySpec, FeedConsumer } from '../api/auth.ts';
import type { SlackUser } from '../api/routes/slack.ts';
import type { WebhookSecret } from '../api/signature.ts';
import { cidrField } from '../domain/addressFields.ts';
import { fieldPath } from '../domain/fieldPath.ts';

/**
 * The principals file (`RIPOSTE_PRINCIPALS_FILE`, default `config/principals.yaml` when it exists): API keys with a
 * name and a role, stored as SHA-256 hashes only, and the Slack users who act as those keys' principals.
 *
 *   keys:
 *     - name: splunk-prod          # recorded as the principal on everything the key does
 *       role: ingest               # ingest | viewer | responder | admin
 *       sha256: 3f1c…              # hex SHA-256 of the key (npx tsx scripts/new-api-key.ts)
 *       allowFrom: [10.1.2.0/24]   # optional: source networks
 *       ratePerMinute: 600         # optional: token bucket per API process
 *       burst: 60                  # optional: bucket size, default ratePerMinute
 *   slackUsers:                    # optional: who may click Approve/Reject in Slack, as which key's principal
 *     - { slackUserId: U024BE7LH, principal: alice@example.com }
 *   feeds:                         # optional: firewalls pulling the feeds, each with a token of its own
 *     - name: pa-edge-1            # recorded with each fetch; remove the entry and restart the API to revoke
 *       sha256: 9e0b…              # hex SHA-256 of the token: printf %s "$TOKEN" | sha256sum
 */
export const PRINCIPAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
const nameField = z.string().regex(PRINCIPAL_NAME, 'letters, digits and . _ @ + - (no colon), at most 64 characters');

const sha256Field = (of: string, howTo: string) => z.string({ error: (issue) => (issue.input === undefined ? `required: the hex SHA-256 of the ${of}` : `the hex SHA-256 of the ${of} as a string (quote it if YAML reads it as a number)`) })
  .regex(/^[0-9a-fA-F]{64}$/, `the hex SHA-256 of the ${of}: 64 hex digits (${howTo})`).transform((v) => v.toLowerCase());

const keySchema = z.object({
  name: nameField,
  role: z.enum(ROLES),
  sha256: sha256Field('key', 'npx tsx scripts/new-api-key.ts prints it'),
  allowFrom: z.array(cidrField).min(1, 'list at least one network, or leave allowFrom out').optional(),
  ratePerMinute: z.number().int().min(1).max(1_000_000).optional(),
  burst: z.number().int().min(1).max(1_000_000).optional(),
}).strict().refine((key) => key.burst === undefined || key.ratePerMinute !== undefined, { message: 'burst needs ratePerMinute', path: ['burst'] });

/** A Slack member ID: `U…`, or `W…` on Enterprise Grid. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,31}$/;

const slackUserSchema = z.object({
  slackUserId: z.string().regex(SLACK_USER_ID, 'a Slack member ID such as U024BE7LH (in Slack: the profile, ⋮, Copy member ID)'),
  principal: nameField,
}).strict();

const feedConsumerSchema = z.object({ name: nameField, sha256: sha256Field('token', 'printf %s "$TOKEN" | sha256sum') }).strict();

export const principalsFileSchema = z.object({
  keys: z.array(keySchema),
  slackUsers: z.array(slackUserSchema).default([]),
  feeds: z.array(feedConsumerSchema).default([]),
}).strict().superRefine(({ keys, slackUsers, feeds }, ctx) => {
  const names = new Map<string, number>();
  const hashes = new Map<string, number>();
  keys.forEach((key, index) => {
    const sameName = names.get(key.name.toLowerCase());
    if (sameName !== undefined) ctx.addIssue({ code: 'custom', path: ['keys', index, 'name'], message: `the name ${key.name} is already used by keys[${sameName}]` });
    const sameHash = hashes.get(key.sha256);
    if (sameHash !== undefined) ctx.addIssue({ code: 'custom', path: ['keys', index, 'sha256'], message: `the same key as keys[${sameHash}]` });
    names.set(key.name.toLowerCase(), index);
    hashes.set(key.sha256, index);
  });
  const keyNames = new Set(keys.map((key) => key.name));
  const slackIds = new Map<string, number>();
  slackUsers.forEach((user, index) => {
    if (!keyNames.has(user.principal)) ctx.addIssue({ code: 'custom', path: ['slackUsers', index, 'principal'], message: `no key named ${user.principal} under keys: a Slack user acts as one of the keys' principals` });
    const sameId = slackIds.get(user.slackUserId);
    if (sameId !== undefined) ctx.addIssue({ code: 'custom', path: ['slackUsers', index, 'slackUserId'], message: `${user.slackUserId} is already mapped by slackUsers[${sameId}]` });
    slackIds.set(user.slackUserId, index);
  });
  const feedNames = new Map<string, number>();
  const feedHashes = new Map<string, number>();
  feeds.forEach((feed, index) => {
    const sameName = feedNames.get(feed.name.toLowerCase());
    if (sameName !== undefined) ctx.addIssue({ code: 'custom', path: ['feeds', index, 'name'], message: `the name ${feed.name} is already used by feeds[${sameName}]` });
    const sameToken = feedHashes.get(feed.sha256);
    if (sameToken !== undefined) ctx.addIssue({ code: 'custom', path: ['feeds', index, 'sha256'], message: `the same token as feeds[${sameToken}]: each consumer needs its own, so one can be revoked alone` });
    // A feed token travels in URLs and firewall configurations; an API key there would be exposed with it.
    const sameKey = hashes.get(feed.sha256);
    if (sameKey !== undefined) ctx.addIssue({ code: 'custom', path: ['feeds', index, 'sha256'], message: `the same secret as keys[${sameKey}]: a feed token must not also be an API key` });
    feedNames.set(feed.name.toLowerCase(), index);
    feedHashes.set(feed.sha256, index);
  });
});

export interface Principals {
  keys: ApiKeySpec[];
  /** Each with the role of the key it maps to. */
  slackUsers: SlackUser[];
  feeds: FeedConsumer[];
}

export class PrincipalsError extends Error {
  override readonly name = 'ConfigError';
}


/** The keys, Slack users and feed consumers of a principals file's text; a PrincipalsError names every field at fault. */
export function parsePrincipals(text: string, source: string): Principals {
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    throw new PrincipalsError(`principals file ${source}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = principalsFileSchema.safeParse(document ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  ${fieldPath(issue.path)}: ${issue.message}`);
    throw new PrincipalsError(`principals file ${source} is invalid:\n${lines.join('\n')}`);
  }
  const { keys, slackUsers, feeds } = parsed.data;
  const roles = new Map(keys.map((key) => [key.name, key.role]));
  return { keys, slackUsers: slackUsers.map((user) => ({ ...user, role: roles.get(user.principal)! })), feeds };
}

/**
 * `RIPOSTE_WEBHOOK_SECRETS`: `name:secret` pairs separated by commas (or lines, in a `_FILE`). A name may repeat,
 * to rotate its secret.
 */
export function parseWebhookSecrets(text: string | undefined): WebhookSecret[] {
  if (!text) return [];
  return text.split(/[,\n]/).map((item) => item.trim()).filter(Boolean).map((item, index) => {
    const colon = item.indexOf(':');
    const name = colon < 0 ? '' : item.slice(0, colon).trim();
    const secret = colon < 0 ? '' : item.slice(colon + 1).trim();
    if (!PRINCIPAL_NAME.test(name)) throw new PrincipalsError(`RIPOSTE_WEBHOOK_SECRETS[${index}]: expected name:secret with a name of letters, digits and . _ @ + -`);
    if (secret.length < 24) throw new PrincipalsError(`RIPOSTE_WEBHOOK_SECRETS[${index}] (${name}): the secret must be at least 24 characters`);
    return { name, secret };
  });
}
