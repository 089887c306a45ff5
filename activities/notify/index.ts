import { audited } from '../audit/audited.ts';
import type { AuditContext, AuditSink } from '../audit/record.ts';
import type { IncidentNotification, Notifier } from './notification.ts';

export interface NotifyIncidentInput {
  route: string;
  notification: IncidentNotification;
  /** Who and what is behind the notification, for its audit records. */
  audit?: AuditContext;
}

/** One activity call per route, so each receiver retries on its own schedule and one refusal never resends another. */
export function createNotifyActivities({ notifiers, audit }: { notifiers: readonly Notifier[]; audit: AuditSink }) {
  const byName = new Map(notifiers.map((n) => [n.name, n]));
  async function notifyIncident({ route, notification, audit: context }: NotifyIncidentInput): Promise<'sent' | 'not_configured'> {
    const parameters = { status: notification.status, mode: notification.mode, message: notification.action };
    // The incident is named even when an older workflow sends no audit context.
    const attempt = { action: 'notify' as const, route, target: notification.entity, parameters, context: { incidentId: notification.incidentId, ...context } };
    return audited(audit, attempt, async () => {
      const notifier = byName.get(route);
      if (!notifier) return 'not_configured' as const;
      await notifier.send(notification);
      return 'sent' as const;
    }, { resultOf: (outcome) => (outcome === 'sent' ? { result: 'success' } : { result: 'skipped', error: `route ${route} is not configured on this worker` }) });
  }

  return {
    notifyIncident,
    /**
     * A message about the deployment rather than one incident (an enforcement point that lost blocks): sent like an
     * incident's, named after what it is about.
     */
    async notifyOperators({ route, about, title, message, status }: { route: string; about: string; title: string; message: string; status: string }): Promise<'sent' | 'not_configured'> {
      const notification: IncidentNotification = { incidentId: about, playbook: 'riposte', title, entity: about, alertCount: 0, severity: 8, mode: 'auto', status, action: message, links: {} };
      return notifyIncident({ route, notification, audit: { actor: 'automation', reason: title } });
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
