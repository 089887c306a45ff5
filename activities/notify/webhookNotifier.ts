import {
  DEFAULT_FETCH_TIMEOUT_MS, parseEndpoint, postJson, type IncidentNotification, type Notifier,
} from './notification.ts';

export interface WebhookNotifierOptions {
  /** May embed a token in its path or query, so it is treated as a secret. */
  url: string;
  /** e.g. an Authorization header; content-type is always JSON. */
  headers?: Record<string, string>;
  fetchTimeoutMs?: number;
}

export interface WebhookPayload extends IncidentNotification {
  /** Lets a receiver that serves several senders route the message. */
  event: 'riposte.incident';
}

export function createWebhookNotifier(opts: WebhookNotifierOptions): Notifier {
  const url = parseEndpoint(opts.url, 'webhook');
  const timeoutMs = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  const headers = { ...opts.headers };
  return {
    name: 'webhook',
    send: (n) => {
      const payload: WebhookPayload = { event: 'riposte.incident', ...n };
      return postJson(url, payload, { label: 'webhook', timeoutMs, headers });
    },
  };
}
