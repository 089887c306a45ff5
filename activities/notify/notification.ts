import type { EntityKind } from '../../domain/entity.ts';
import { type Reputation, reputationLine } from '../../domain/reputation.ts';
import { describeFetchError } from '../fetchErrors.ts';

/** How each kind is named to people, e.g. as the label of the entity's field. */
export const ENTITY_KIND_LABELS: Readonly<Record<EntityKind, string>> = {
  address: 'Address', user: 'User', host: 'Host', url: 'URL', domain: 'Domain',
};

/** What every notifier is told about an incident; channel-specific rendering happens in each adapter. */
export interface IncidentNotification {
  incidentId: string;
  playbook: string;
  title: string;
  /**
   * The canonical entity: an address or range, a user, a host, a URL or a domain. Attacker-influenced like every
   * alert field: adapters must escape it for their markup.
   */
  entity: string;
  /** Absent from older workflows, whose incidents were all about an address. */
  entityKind?: EntityKind;
  /**
   * E-mail addresses of people to tell directly (a user's manager, say). Only notifiers that reach a person use them;
   * channel notifiers ignore them.
   */
  recipients?: string[];
  /** Slack member ids (`U024BE7LH`) to mention in the channel message, e.g. a user's manager. */
  slackMentions?: string[];
  alertCount: number;
  /** 1-10 */
  severity: number;
  geo?: { country?: string; city?: string };
  /** What the reputation providers said of an address (domain/reputation.ts); vendor text, so escaped like the entity. */
  reputation?: Reputation;
  mode: 'observe' | 'approve' | 'auto';
  /** e.g. 'contained', 'awaiting_approval', 'observed', 'rejected' */
  status: string;
  /** A human sentence: 'Blocked 203.0.113.7 for 24h at edl, log'. */
  action: string;
  links: { incident?: string; temporalUi?: string };
}

export function entityLabel(n: IncidentNotification): string {
  return ENTITY_KIND_LABELS[n.entityKind ?? 'address'];
}

/** The labelled facts every human-facing notifier shows, in order; values are raw and still need escaping. */
export function incidentFields(n: IncidentNotification): [label: string, value: string][] {
  return [
    [entityLabel(n), n.entity],
    ['Alerts', String(n.alertCount)],
    ['Severity', `${n.severity}/10`],
    ['GeoIP', [n.geo?.city, n.geo?.country].filter(Boolean).join(', ') || 'unknown'],
    ...(n.reputation && Object.keys(n.reputation).length > 0 ? [['Reputation', reputationLine(n.reputation)] as [string, string]] : []),
    ['Mode / status', `${n.mode} / ${n.status}`],
    ['Action', n.action],
  ];
}

/** A link we built ourselves, kept only when it parses as http(s): anything else could be `javascript:`. */
export function httpLink(raw: string | undefined): URL | undefined {
  if (!raw) return undefined;
  try {
    const u = new URL(raw);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u : undefined;
  } catch {
    return undefined;
  }
}

/** Shortens to at most `max` UTF-16 units (as Slack and Teams count them), never splitting a surrogate pair. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1).replace(/[\uD800-\uDBFF]$/, '')}…`;
}

export interface Notifier {
  readonly name: string;
  /** Resolves once the receiver accepted the message; throws NotificationRejected or a plain (retryable) Error. */
  send(n: IncidentNotification): Promise<void>;
}

/**
 * The receiver refused the message for good (an HTTP 4xx other than 429, an SMTP 5xx reply): retrying cannot help.
 * Temporal reports error.name as the failure type, so callers list 'NotificationRejected' as non-retryable.
 */
export class NotificationRejected extends Error {
  override readonly name = 'NotificationRejected';
  /** The HTTP status or SMTP reply code; 0 when the message was refused before anything was sent. */
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

export interface PostOptions {
  /** Names the receiver in errors, since the URL itself is a secret. */
  label: string;
  timeoutMs: number;
  headers?: Record<string, string>;
}

export const DEFAULT_FETCH_TIMEOUT_MS = 10_000;

/** Validates once at construction so a typo fails at startup, and without echoing the (secret) URL. */
export function parseEndpoint(raw: string, label: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${label} URL is not a valid URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${label} URL must be http(s)`);
  return url;
}

/** POSTs JSON and sorts failures into permanent (NotificationRejected) and retryable (Error); no message names the URL. */
export async function postJson(url: URL, body: unknown, opts: PostOptions): Promise<void> {
  const { label, timeoutMs } = opts;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { ...opts.headers, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    // undici's messages and causes can carry the URL; keep only a code.
    throw new Error(`${label} request failed: ${describeFetchError(err, timeoutMs)}`);
  }
  if (res.ok) {
    await res.body?.cancel().catch(() => undefined);
    return;
  }
  const detail = await safeDetail(res, secretsOf(url, opts.headers));
  const msg = `${label} answered ${res.status}${detail ? ` ${detail}` : ''}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 429) throw new NotificationRejected(msg, res.status);
  const retryAfter = res.status === 429 ? res.headers.get('retry-after') : null;
  throw new Error(retryAfter && /^\d{1,6}$/.test(retryAfter) ? `${msg} (retry after ${retryAfter}s)` : msg);
}

/**
 * Keeps the body only when it is a short token like Slack's 'no_service': a receiver may echo the
 * request path ("Cannot POST /hooks/<secret>") or headers back at us.
 */
async function safeDetail(res: Response, secrets: string[]): Promise<string> {
  const text = (await res.text().catch(() => '')).trim().slice(0, 101);
  if (!/^[\w.: -]{1,100}$/.test(text)) return '';
  return secrets.some((s) => text.includes(s)) ? '' : `'${text}'`;
}

function secretsOf(url: URL, headers: Record<string, string> = {}): string[] {
  const parts = [...url.pathname.split('/'), ...url.searchParams.values(), url.password, ...Object.values(headers).flatMap((v) => v.split(/\s+/))];
  return parts.filter((p) => p.length >= 6);
}
