import type { AdapterDefinition } from '../adapters.ts';
import { emailNotifierDefinition } from './emailNotifier.ts';
import { mattermostNotifierDefinition } from './mattermostNotifier.ts';
import type { Notifier } from './notification.ts';
import { teamsNotifierDefinition } from './teamsNotifier.ts';

/** Notifiers configured through adapter definitions; Slack, the webhook and PagerDuty still come from runtime/config.ts. */
export const extraNotifiers: readonly AdapterDefinition<Notifier>[] = [
  teamsNotifierDefinition,
  emailNotifierDefinition,
  mattermostNotifierDefinition,
];
