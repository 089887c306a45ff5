import type { IncidentNotification, Notifier } from './notification.ts';

/** Sends to each requested route that this worker has configured; routes without configuration are skipped, not failed. */
export function createNotifyActivities({ notifiers }: { notifiers: readonly Notifier[] }) {
  const byName = new Map(notifiers.map((n) => [n.name, n]));
  return {
    async notifyIncident({ routes, notification }: { routes: string[]; notification: IncidentNotification }): Promise<string[]> {
      const targets = routes.flatMap((route) => byName.get(route) ?? []);
      const results = await Promise.allSettled(targets.map((notifier) => notifier.send(notification)));
      const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      // One failure retries the whole activity; receivers see a repeat at worst, which beats a silent miss.
      if (failure) throw failure.reason;
      return targets.map((t) => t.name);
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
