import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import {
  clip, DEFAULT_FETCH_TIMEOUT_MS, httpLink, incidentFields, parseEndpoint, postJson, type IncidentNotification, type Notifier,
} from './notification.ts';

export interface MattermostNotifierOptions {
  /** An incoming-webhook URL (`https://chat.example/hooks/<key>`): a bearer secret, never in errors or logs. */
  webhookUrl: string;
  /** Posts under this name; the server honours it only when integrations may override usernames. */
  username?: string;
  fetchTimeoutMs?: number;
}

// Raw values are clipped before escaping (which at most doubles them plus a word joiner per '@'), keeping the post
// far below Mattermost's 16,383-character message limit.
const TITLE_MAX = 200;
const VALUE_MAX = 1000;

export function createMattermostNotifier(opts: MattermostNotifierOptions): Notifier {
  const url = parseEndpoint(opts.webhookUrl, 'mattermost webhook');
  const timeoutMs = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  return {
    name: 'mattermost',
    send: (n) => postJson(url, mattermostMessage(n, opts.username), { label: 'mattermost', timeoutMs }),
  };
}

export function mattermostMessage(n: IncidentNotification, username?: string) {
  const lines = [
    `**${escapeMattermost(clip(n.title || 'Riposte incident', TITLE_MAX))}**`,
    ...incidentFields(n).map(([label, value]) => `**${label}:** ${escapeMattermost(clip(value, VALUE_MAX))}`),
  ];
  const links = [link(n.links.incident, 'Incident'), link(n.links.temporalUi, 'Temporal UI')].filter((l) => l !== undefined);
  if (links.length > 0) lines.push(links.join(' · '));
  return { text: lines.join('\n'), ...(username ? { username } : {}) };
}

/**
 * Makes an attacker's string literal in a Mattermost post:
 * - line breaks become spaces, so it cannot start a heading, quote, list or table of its own;
 * - every ASCII punctuation character is backslash-escaped (CommonMark), so no emphasis, link, image, emoji,
 *   hashtag, `~channel` link or auto-linked URL forms, and the server's Slack rewrites (`<!channel>` → `@channel`,
 *   `<@id>` → `@name`) no longer match;
 * - a word joiner follows every '@': the server splits words on it before looking for `@channel`, `@all`, `@here`
 *   or a user name, and a backslash alone would not stop that (the server reads mentions from the raw text).
 */
export function escapeMattermost(s: string): string {
  return s
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replace(/[!-/:-@[-`{-~]/g, '\\$&')
    .replace(/@/g, '@\u2060');
}

/** Only http(s) links we built ourselves; a parenthesis would end the Markdown link's target early. */
function link(raw: string | undefined, label: string): string | undefined {
  const href = httpLink(raw)?.href.replace(/\(/g, '%28').replace(/\)/g, '%29');
  return href === undefined ? undefined : `[${label}](${href})`;
}

const mattermostSettings = z.object({
  /** Secret; createMattermostNotifier checks its form without echoing it. */
  MATTERMOST_WEBHOOK_URL: z.string().min(1),
  MATTERMOST_USERNAME: z.string().min(1).max(64).optional(),
});

export const mattermostNotifierDefinition: AdapterDefinition<Notifier, typeof mattermostSettings> = {
  name: 'mattermost',
  description: 'Mattermost: a Markdown post to an incoming webhook',
  requires: ['MATTERMOST_WEBHOOK_URL'],
  settings: mattermostSettings,
  create: (settings) => createMattermostNotifier({ webhookUrl: settings.MATTERMOST_WEBHOOK_URL, username: settings.MATTERMOST_USERNAME }),
};
