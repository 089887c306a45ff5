import {
  DEFAULT_FETCH_TIMEOUT_MS, parseEndpoint, postJson, type IncidentNotification, type Notifier,
} from './notification.ts';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

export interface PagerDutyNotifierOptions {
  /** The integration's routing key: a secret, sent in the body, never logged. */
  routingKey: string;
  /** The Events API v2 endpoint; another only for a proxy or a test receiver. */
  url?: string;
  fetchTimeoutMs?: number;
}

const SEVERITY = (severity: number) => (severity >= 8 ? 'critical' : severity >= 5 ? 'error' : severity >= 3 ? 'warning' : 'info');

/** An Events API v2 `trigger`; the dedup key is the incident, so a retried or repeated page stays one PagerDuty alert. */
export function pagerDutyEvent(n: IncidentNotification, routingKey: string) {
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: `riposte:${n.incidentId}`,
    payload: {
      // PagerDuty renders the summary as plain text; it still may not exceed 1024 characters.
      summary: `${n.title}: ${n.action}`.slice(0, 1024),
      source: n.entity,
      severity: SEVERITY(n.severity),
      component: 'riposte',
      group: n.playbook,
      class: n.status,
      custom_details: { incident: n.incidentId, alerts: n.alertCount, mode: n.mode, status: n.status, geo: n.geo },
    },
    links: [
      ...(n.links.incident ? [{ href: n.links.incident, text: 'Incident in Riposte' }] : []),
      ...(n.links.temporalUi ? [{ href: n.links.temporalUi, text: 'Workflow in the Temporal UI' }] : []),
    ],
  };
}

export function createPagerDutyNotifier(opts: PagerDutyNotifierOptions): Notifier {
  const url = parseEndpoint(opts.url ?? PAGERDUTY_EVENTS_URL, 'pagerduty');
  const timeoutMs = opts.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS;
  return {
    name: 'pagerduty',
    send: (n) => postJson(url, pagerDutyEvent(n, opts.routingKey), { label: 'pagerduty', timeoutMs }),
  };
}
