import { type IncidentMessenger, notificationOf } from '../domain/actions/action.ts';
import type { ManagerDirectory } from './enrich/managerDirectory.ts';
import type { Notifier } from './notify/notification.ts';

/**
 * The `notify` action's way out: the configured notifiers by route name, and the first manager directory that knows
 * the user. A route with no notifier on this worker is skipped, not failed, like the status notifications.
 */
export function createMessenger({ notifiers, managers }: { notifiers: readonly Notifier[]; managers: readonly ManagerDirectory[] }): IncidentMessenger {
  const byName = new Map(notifiers.map((n) => [n.name, n]));
  return {
    async send({ routes, incident, recipients, slackMentions }) {
      const configured = routes.filter((route) => byName.has(route));
      const notification = notificationOf(incident, { recipients, slackMentions });
      await Promise.all(configured.map((route) => byName.get(route)!.send(notification)));
      return { sent: configured, skipped: routes.filter((route) => !byName.has(route)) };
    },
    async managerOf(user) {
      for (const directory of managers) {
        const manager = await directory.managerOf(user);
        if (manager) return manager;
      }
      return undefined;
    },
  };
}
