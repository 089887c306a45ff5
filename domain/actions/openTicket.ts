import { z } from 'zod';
import type { ObservableKind } from '../../activities/ticket/ticketSystem.ts';
import { type ActionKind, onEvery } from './action.ts';

const OBSERVABLE_KINDS = ['ip', 'user', 'host', 'domain', 'url'] as const satisfies readonly ObservableKind[];

const params = z.object({
  observables: z.array(z.object({ kind: z.enum(OBSERVABLE_KINDS), value: z.string().min(1).max(2048) }).strict()).max(50),
  tags: z.array(z.string().max(64)).max(20).default([]),
}).strict();
type OpenTicketParams = z.output<typeof params>;

const NONE = 'no ticket system is configured (THEHIVE_URL or JIRA_URL)';

export const openTicket: ActionKind<OpenTicketParams> = {
  name: 'open_ticket',
  params,
  containment: false,
  breaker: false,
  holds: false,
  target: (p) => p.observables[0]?.value ?? '',
  describe: (p) => `open a ticket with ${p.observables.length} observable(s)`,
  refusal: () => undefined,
  idempotencyKey: (incidentId) => `${incidentId}|open_ticket`,
  apply: (ports, p, incident) => onEvery(ports.tickets, NONE, async (system) => {
    const ticket = await system.open({
      incidentId: incident.id,
      title: incident.title,
      description: `${incident.summary}\n\nIncident ${incident.id}: ${incident.alertCount} alert(s), severity ${incident.severity}/10, mode ${incident.mode}.`,
      severity: incident.severity,
      observables: p.observables,
      tags: ['riposte', incident.playbook, ...p.tags],
      links: incident.links,
    });
    return { detail: `${ticket.existed ? 'found' : 'opened'} ${ticket.id}`, ref: ticket.id };
  }),
  revert: (ports, _p, incident, _applied, by) => onEvery(ports.tickets, NONE, (system) => system.closeAsFalsePositive(incident.id, `Closed by Riposte: false positive verdict by ${by}.`)),
};
