import { z } from 'zod';
import { userField } from '../addressFields.ts';
import type { ActionKind } from './action.ts';

const params = z.object({
  routes: z.array(z.string().regex(/^[a-z]+$/)).max(10),
  /** Also tell this user's manager, found in the manager directory, by e-mail. */
  managerOf: userField.optional(),
  /** What to say, when the incident's own summary is not enough (e.g. where the two sign-ins were). */
  message: z.string().max(1000).optional(),
}).strict();
type NotifyParams = z.output<typeof params>;

export const notify: ActionKind<NotifyParams> = {
  name: 'notify',
  params,
  containment: false,
  breaker: false,
  holds: false,
  target: (p) => p.managerOf ?? p.routes.join(','),
  describe: (p) => `notify ${[...p.routes, ...(p.managerOf ? [`the manager of ${p.managerOf}`] : [])].join(', ') || 'nobody'}`,
  refusal: () => undefined,
  idempotencyKey: (incidentId, p) => `${incidentId}|notify|${p.routes.join(',')}|${p.managerOf ?? ''}`,
  async apply(ports, p, incident) {
    const manager = p.managerOf ? await ports.messenger.managerOf(p.managerOf) : undefined;
    const recipients = manager?.email ? [manager.email] : [];
    const slackMentions = manager?.slack ? [manager.slack] : [];
    // The manager is reached by e-mail, and by a mention in the Slack channel, whatever routes the playbook lists.
    const routes = [...new Set([...p.routes, ...(recipients.length > 0 ? ['email'] : []), ...(slackMentions.length > 0 ? ['slack'] : [])])];
    const told = p.message ? { ...incident, summary: p.message } : incident;
    const { sent, skipped } = await ports.messenger.send({ routes, incident: told, recipients, slackMentions });
    const reached = [manager?.email, manager?.slack && `Slack ${manager.slack}`].filter(Boolean).join(' and ');
    const managerNote = p.managerOf ? (reached ? `; manager ${reached} told` : `; no manager known for ${p.managerOf}`) : '';
    if (sent.length === 0) return { outcome: 'skipped', detail: `no route configured (${skipped.join(', ') || 'none planned'})${managerNote}` };
    return { outcome: 'done', detail: `sent to ${sent.join(', ')}${managerNote}` };
  },
};
