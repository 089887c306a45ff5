import {
  clip, DEFAULT_FETCH_TIMEOUT_MS, httpLink, incidentFields, parseEndpoint, postJson, type IncidentNotification, type Notifier,
} from './notification.ts';

export interface SlackNotifierOptions {
  /** An incoming-webhook URL: a bearer secret, so it never appears in errors or logs. */
  webhookUrl: string;
  fetchTimeoutMs?: number;
}

// Block Kit limits; Slack rejects the whole message (400 invalid_blocks) when one is exceeded.
const HEADER_MAX = 150;
const FIELD_MAX = 2000;
const TEXT_MAX = 3000;
const CONFIRM_TEXT_MAX = 300;

/** The buttons' action_ids: POST /v1/slack/actions acts on these and nothing else. */
export const SLACK_ACTIONS = { approve: 'riposte_approve', reject: 'riposte_reject' } as const;

export function createSlackNotifier(opts: SlackNotifierOptions): Notifier {
  const url = parseEndpoint(opts.webhookUrl, 'slack webhook');
  const timeoutMs = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  return {
    name: 'slack',
    send: (n) => postJson(url, slackMessage(n), { label: 'slack', timeoutMs }),
  };
}

/**
 * Alert fields are attacker-influenced: an unescaped `<!channel>` pings everyone and `<http://evil|x>`
 * plants a disguised link, so every untrusted string passes through here before entering mrkdwn.
 */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackMessage(n: IncidentNotification) {
  const blocks: object[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(n.title || 'Riposte incident', HEADER_MAX) } },
    {
      type: 'section',
      fields: incidentFields(n).map(([k, v]) => mrkdwn(`*${k}*\n${escapeMrkdwn(v)}`, FIELD_MAX)),
    },
  ];
  const links = [link(n.links.incident, 'Incident'), link(n.links.temporalUi, 'Temporal UI')].filter((l) => l !== undefined);
  if (links.length > 0) blocks.push({ type: 'context', elements: links.map((l) => mrkdwn(l, TEXT_MAX)) });
  const mentions = (n.slackMentions ?? []).filter((id) => SLACK_MEMBER_ID.test(id));
  if (mentions.length > 0) blocks.push(mrkdwnSection(`For the attention of ${mentions.map((id) => `<@${id}>`).join(', ')}`));
  if (n.status === 'awaiting_approval') blocks.push(approvalButtons(n));
  return {
    // The fallback shows in push notifications and clients that cannot render blocks.
    text: clipEscaped(escapeMrkdwn(`${n.title}: ${n.action}`), TEXT_MAX),
    blocks,
  };
}

/** A member id as Slack shows it (profile → Copy member ID): anything else could be a crafted mention such as <!channel>. */
const SLACK_MEMBER_ID = /^[UW][A-Z0-9]{2,20}$/;

function mrkdwnSection(text: string) {
  return { type: 'section', text: { type: 'mrkdwn', text } };
}

/** The click reaches POST /v1/slack/actions, which acts only for a Slack user mapped to a responder principal. */
function approvalButtons(n: IncidentNotification) {
  const plain = (text: string) => ({ type: 'plain_text', text });
  return {
    type: 'actions',
    elements: [
      { type: 'button', action_id: SLACK_ACTIONS.approve, text: plain('Approve'), style: 'primary', value: n.incidentId },
      {
        type: 'button',
        action_id: SLACK_ACTIONS.reject,
        text: plain('Reject'),
        style: 'danger',
        value: n.incidentId,
        confirm: {
          title: plain('Reject this incident?'),
          text: plain(clip(`Nothing will be done about ${n.entity}.`, CONFIRM_TEXT_MAX)),
          confirm: plain('Reject'),
          deny: plain('Cancel'),
          style: 'danger',
        },
      },
    ],
  };
}

// verbatim: true stops Slack from auto-linking bare URLs and parsing bare mentions in untrusted text.
function mrkdwn(text: string, max: number) {
  return { type: 'mrkdwn', text: clipEscaped(text, max), verbatim: true };
}

/** Only http(s) links we built ourselves; '|' and '>' would end Slack's <url|label> syntax early. */
function link(raw: string | undefined, label: string): string | undefined {
  const href = httpLink(raw)?.href.replace(/\|/g, '%7C').replace(/&/g, '&amp;');
  return href !== undefined && href.length + label.length + 3 <= TEXT_MAX ? `<${href}|${label}>` : undefined;
}

/** Clips already-escaped text without leaving half an entity such as '&am' behind. */
function clipEscaped(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '').replace(/&[a-z]{0,3}$/, '')}…`;
}
