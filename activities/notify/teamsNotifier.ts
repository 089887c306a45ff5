import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import {
  clip, DEFAULT_FETCH_TIMEOUT_MS, httpLink, incidentFields, parseEndpoint, postJson, type IncidentNotification, type Notifier,
} from './notification.ts';

export interface TeamsNotifierOptions {
  /** A Teams Workflows ("When a Teams webhook request is received") URL: its `sig` parameter is a bearer secret. */
  webhookUrl: string;
  fetchTimeoutMs?: number;
}

// The whole Teams message may not exceed about 28 KB; these keep a card of hostile maximum-length fields well under.
const TITLE_MAX = 200;
const VALUE_MAX = 1000;
// Workflows' "Post card in a chat or channel" renders Adaptive Cards up to schema 1.4.
const CARD_VERSION = '1.4';

export function createTeamsNotifier(opts: TeamsNotifierOptions): Notifier {
  const url = parseEndpoint(opts.webhookUrl, 'teams webhook');
  const timeoutMs = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  return {
    name: 'teams',
    send: (n) => postJson(url, teamsMessage(n), { label: 'teams', timeoutMs }),
  };
}

/**
 * The envelope a Workflows webhook's "Send each adaptive card" step iterates: a message whose attachments are cards.
 * Every untrusted string is a TextRun of a RichTextBlock, which Adaptive Cards render without Markdown, so a hostile
 * entity such as `[click](http://evil)` shows literally instead of becoming a link.
 */
export function teamsMessage(n: IncidentNotification) {
  const actions = [openUrl(n.links.incident, 'Open incident'), openUrl(n.links.temporalUi, 'Temporal UI')].filter((a) => a !== undefined);
  return {
    type: 'message',
    attachments: [{
      contentType: 'application/vnd.microsoft.card.adaptive',
      contentUrl: null,
      content: {
        $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
        type: 'AdaptiveCard',
        version: CARD_VERSION,
        body: [
          { type: 'RichTextBlock', inlines: [textRun(clip(n.title || 'Riposte incident', TITLE_MAX), { size: 'Large', weight: 'Bolder' })] },
          ...incidentFields(n).map(([label, value]) => ({
            type: 'RichTextBlock',
            inlines: [textRun(`${label}: `, { weight: 'Bolder' }), textRun(clip(value, VALUE_MAX))],
          })),
        ],
        ...(actions.length > 0 ? { actions } : {}),
      },
    }],
  };
}

/**
 * TextRun text is never Markdown, but hosts still expand `{{DATE(…)}}`/`{{TIME(…)}}` functions in it; a zero-width
 * space between the braces keeps an attacker's text from being reformatted.
 */
function textRun(text: string, style: Record<string, string> = {}) {
  return { type: 'TextRun', text: text.replace(/\{\{/g, '{\u200B{'), ...style };
}

function openUrl(raw: string | undefined, title: string) {
  const url = httpLink(raw);
  return url ? { type: 'Action.OpenUrl', title, url: url.href } : undefined;
}

const teamsSettings = z.object({
  /** Secret; createTeamsNotifier checks its form without echoing it. */
  TEAMS_WEBHOOK_URL: z.string().min(1),
});

export const teamsNotifierDefinition: AdapterDefinition<Notifier, typeof teamsSettings> = {
  name: 'teams',
  description: 'Microsoft Teams: an Adaptive Card posted to a Workflows webhook',
  requires: ['TEAMS_WEBHOOK_URL'],
  settings: teamsSettings,
  create: (settings) => createTeamsNotifier({ webhookUrl: settings.TEAMS_WEBHOOK_URL }),
};
