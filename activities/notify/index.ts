import type { IncidentNotification, Notifier } from './notification.ts';

/** One activity call per route, so each receiver retries on its own schedule and one refusal never resends another. */
export function createNotifyActivities({ notifiers }: { notifiers: readonly Notifier[] }) {
  const byName = new Map(notifiers.map((n) => [n.name, n]));
  return {
    async notifyIncident({ route, notification }: { route: string; notification: IncidentNotification }): Promise<'sent' | 'not_configured'> {
      const notifier = byName.get(route);
      if (!notifier) return 'not_configured';
      await notifier.send(notification);
      return 'sent';
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
