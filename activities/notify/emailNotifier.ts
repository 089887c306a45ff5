import { createTransport } from 'nodemailer';
import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { clip, httpLink, incidentFields, NotificationRejected, type IncidentNotification, type Notifier } from './notification.ts';

export interface EmailNotifierOptions {
  /**
   * `smtp://user:pass@mail.example:587` (STARTTLS) or `smtps://user:pass@mail.example:465` (TLS from the start).
   * Query parameters are nodemailer options (`?tls.servername=…`). A secret: never in errors or logs.
   */
  smtpUrl: string;
  from: string;
  /** Told about every incident; `notification.recipients` are added per message. */
  to?: readonly string[];
  /** For connecting, the greeting and each reply. */
  timeoutMs?: number;
}

export const DEFAULT_SMTP_TIMEOUT_MS = 15_000;
const SUBJECT_MAX = 200;
const VALUE_MAX = 2000;

// Deliberately narrower than RFC 5322 (no quoted local parts, comments or display names): what reaches the envelope
// is then a bare address that cannot carry a header or a second recipient.
const ADDRESS = /^[^\s@<>()[\]\\,;:"]+@[^\s@<>()[\]\\,;:"]+\.[^\s@<>()[\]\\,;:"]+$/;

export function isEmailAddress(s: string): boolean {
  return ADDRESS.test(s) && s.length <= 254;
}

export function createEmailNotifier(opts: EmailNotifierOptions): Notifier {
  const smtpUrl = parseSmtpUrl(opts.smtpUrl);
  for (const address of [opts.from, ...(opts.to ?? [])]) {
    if (!isEmailAddress(address)) throw new Error(`email: ${JSON.stringify(address)} is not a plain e-mail address`);
  }
  const timeoutMs = opts.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // The message is plain text we compose; nothing may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return {
    name: 'email',
    async send(n) {
      const to = recipientsOf(opts.to ?? [], n.recipients ?? []);
      if (to.length === 0) throw new NotificationRejected('email: no valid recipient (RIPOSTE_EMAIL_TO is empty and the incident names none)', 0);
      const info = await transport.sendMail({ from: opts.from, to, subject: emailSubject(n), text: emailBody(n) }).catch((err: unknown) => {
        throw smtpFailure(err);
      });
      // A retry would send the message again to those who already have it, so a partial refusal is final.
      if (info.rejected.length > 0) {
        const code = info.rejectedErrors?.map((e) => e.responseCode).find((c) => typeof c === 'number') ?? 0;
        throw new NotificationRejected(`email: ${info.rejected.length} of ${to.length} recipients refused (SMTP ${code || 'error'})`, code);
      }
    },
  };
}

/**
 * Checks the form without echoing the URL (it holds the password). With credentials over `smtp:`, STARTTLS becomes
 * required unless the URL says otherwise, so a downgraded or misconfigured server never sees the password in clear.
 */
function parseSmtpUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('email: SMTP_URL is not a valid URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('email: SMTP_URL must be smtp:// or smtps://');
  if (!url.hostname) throw new Error('email: SMTP_URL names no host');
  if (url.protocol === 'smtp:' && url.password && !url.searchParams.has('requireTLS')) url.searchParams.set('requireTLS', 'true');
  return url.href;
}

/** The configured list plus the incident's own, each once; an incident's malformed address is left out, not fatal. */
function recipientsOf(configured: readonly string[], extra: readonly string[]): string[] {
  const seen = new Set<string>();
  return [...configured, ...extra.filter(isEmailAddress)].filter((address) => {
    const key = address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Control characters (CR and LF above all) are gone, so an attacker's title cannot end the Subject header and add another. */
export function oneLine(s: string): string {
  return s.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ').trim();
}

export function emailSubject(n: IncidentNotification): string {
  return clip(`[Riposte] ${oneLine(n.title || 'incident')}: ${oneLine(n.status)}`, SUBJECT_MAX);
}

/** Plain text only: with no HTML part there is no markup for an attacker's string to inject. One fact per line. */
export function emailBody(n: IncidentNotification): string {
  const facts = incidentFields(n).map(([label, value]) => `${label}: ${clip(oneLine(value), VALUE_MAX)}`);
  const links = [['Incident', httpLink(n.links.incident)], ['Temporal UI', httpLink(n.links.temporalUi)]] as const;
  return [
    oneLine(n.title),
    '',
    ...facts,
    '',
    ...links.filter(([, url]) => url !== undefined).map(([label, url]) => `${label}: ${url!.href}`),
    `Incident id: ${oneLine(n.incidentId)}`,
    '',
  ].join('\n');
}

/**
 * A 5xx reply (550 mailbox unavailable, 535 bad credentials) is final; a 4xx reply (451 try later) or a connection
 * failure is retryable. The message keeps the reply code, its enhanced status and the SMTP verb only: nodemailer's
 * own message and the server's text may carry the host, the user name or an address.
 */
export function smtpFailure(err: unknown): Error {
  const e = err as { responseCode?: unknown; response?: unknown; command?: unknown; code?: unknown };
  if (typeof e?.responseCode === 'number') {
    const enhanced = typeof e.response === 'string' ? /^\d{3}[ -]([245]\.\d{1,3}\.\d{1,3})(?!\S)/.exec(e.response)?.[1] : undefined;
    const verb = typeof e.command === 'string' ? /^[A-Z]{4,8}\b/.exec(e.command)?.[0] : undefined;
    const message = `email: SMTP server answered ${e.responseCode}${enhanced ? ` ${enhanced}` : ''}${verb ? ` to ${verb}` : ''}`;
    return e.responseCode >= 500 ? new NotificationRejected(message, e.responseCode) : new Error(message);
  }
  const code = typeof e?.code === 'string' && /^[A-Z0-9_]{1,40}$/.test(e.code) ? e.code : 'error';
  return new Error(`email: SMTP failed (${code})`);
}

const emailSettings = z.object({
  /** Secret. */
  SMTP_URL: z.string().min(1),
  RIPOSTE_EMAIL_FROM: z.string().min(1),
  /** Comma-separated; optional when every message goes to the incident's own recipients. */
  RIPOSTE_EMAIL_TO: z.string().optional().transform((v) => (v ?? '').split(',').map((a) => a.trim()).filter(Boolean)),
});

export const emailNotifierDefinition: AdapterDefinition<Notifier, typeof emailSettings> = {
  name: 'email',
  description: 'E-mail over SMTP: a plain-text message to RIPOSTE_EMAIL_TO and the incident\'s recipients',
  requires: ['SMTP_URL'],
  settings: emailSettings,
  create: (settings) => createEmailNotifier({ smtpUrl: settings.SMTP_URL, from: settings.RIPOSTE_EMAIL_FROM, to: settings.RIPOSTE_EMAIL_TO }),
};
