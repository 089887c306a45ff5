import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { clip, httpLink } from '../notify/notification.ts';
import { VENDOR_REJECTED, vendorRequest, type VendorRequest } from '../vendorHttp.ts';
import type { TicketRequest, TicketSystem } from './ticketSystem.ts';

/**
 * Jira Cloud (REST v3). One issue per incident, found again by a label derived from the incident id. Shapes: Atlassian's
 * REST v3 reference as typed by jira.js (`POST /rest/api/3/search/jql`, `POST /rest/api/3/issue`, comments and
 * transitions). The enhanced search is eventually consistent, so a retry within a second or so of a create whose
 * answer was lost can miss the issue; Jira offers no idempotency key for creates.
 */
export interface JiraOptions {
  /** The site, e.g. `https://example.atlassian.net`. */
  url: string;
  email: string;
  /** With `email`, sent as Basic auth; never in an error. */
  apiToken: string;
  projectKey: string;
  issueType: string;
  /** The transition that closes an issue, by name (case-insensitive). */
  closeTransition: string;
}

/** Jira labels take no spaces and incident ids hold `:` and `@`, so the label is a hash of the id. */
export function jiraIncidentLabel(incidentId: string): string {
  return `riposte-${createHash('sha256').update(incidentId).digest('hex').slice(0, 16)}`;
}

const labelSafe = (tag: string) => clip(tag.replace(/\s+/g, '_'), 255);

// Atlassian Document Format: text nodes are literal, so attacker-influenced text needs no escaping, only no empty nodes.
type Inline = { type: 'text'; text: string; marks?: { type: 'link'; attrs: { href: string } }[] };
const text = (t: string): Inline => ({ type: 'text', text: t });
const paragraph = (content: Inline[]) => ({ type: 'paragraph', content });
const doc = (content: object[]) => ({ type: 'doc', version: 1, content });
const paragraphs = (plain: string) => plain.split(/\r?\n/).filter((line) => line.trim()).map((line) => paragraph([text(line)]));

export function jiraDescription(ticket: TicketRequest) {
  const links = [
    ['Incident in Riposte', httpLink(ticket.links.incident)?.href],
    ['Workflow in the Temporal UI', httpLink(ticket.links.temporalUi)?.href],
  ].filter((l): l is [string, string] => l[1] !== undefined)
    .map(([t, href]): Inline => ({ type: 'text', text: t, marks: [{ type: 'link', attrs: { href } }] }));
  const observables = ticket.observables.map(({ kind, value }) => ({ type: 'listItem', content: [paragraph([text(`${kind}: ${value}`)])] }));
  return doc([
    ...paragraphs(ticket.description),
    paragraph([text(`Riposte incident: ${ticket.incidentId} (severity ${ticket.severity}/10)`)]),
    ...(observables.length ? [{ type: 'bulletList', content: observables }] : []),
    ...(links.length ? [paragraph(links.flatMap((l, i) => (i ? [text(' · '), l] : [l])))] : []),
  ]);
}

interface JiraIssue { key: string; fields?: { status?: { statusCategory?: { key?: string } } } }

export function createJira(opts: JiraOptions): TicketSystem {
  const base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
  const headers = { authorization: `Basic ${Buffer.from(`${opts.email}:${opts.apiToken}`).toString('base64')}` };
  const call = <T>(method: VendorRequest['method'], path: string, body?: unknown) =>
    vendorRequest<T>({ label: 'jira', method, url: new URL(path, base), headers, body });
  const browse = (key: string) => new URL(`browse/${encodeURIComponent(key)}`, base).href;
  const issuePath = (key: string) => `rest/api/3/issue/${encodeURIComponent(key)}`;

  async function findIssue(incidentId: string): Promise<JiraIssue | undefined> {
    // Both values are safe inside quotes: the key is checked at start-up, the label is hex.
    const jql = `project = "${opts.projectKey}" AND labels = "${jiraIncidentLabel(incidentId)}"`;
    const res = await call<{ issues?: JiraIssue[] }>('POST', 'rest/api/3/search/jql', { jql, fields: ['status'], maxResults: 1 });
    return res.body?.issues?.[0];
  }

  return {
    name: 'jira',
    async open(ticket) {
      const found = await findIssue(ticket.incidentId);
      if (found) return { system: 'jira', id: found.key, url: browse(found.key), existed: true };
      const fields = {
        project: { key: opts.projectKey },
        issuetype: { name: opts.issueType },
        // Jira refuses a summary with line breaks or over 255 characters.
        summary: clip(ticket.title.replace(/\s+/g, ' ').trim(), 255),
        description: jiraDescription(ticket),
        labels: [...new Set(['riposte', jiraIncidentLabel(ticket.incidentId), ...ticket.tags.map(labelSafe)])],
      };
      const created = await call<{ key: string }>('POST', 'rest/api/3/issue', { fields });
      return { system: 'jira', id: created.body!.key, url: browse(created.body!.key), existed: false };
    },
    async closeAsFalsePositive(incidentId, comment) {
      const issue = await findIssue(incidentId);
      if (!issue) return { detail: `no Jira issue for ${incidentId}; nothing to close` };
      if (issue.fields?.status?.statusCategory?.key === 'done') return { detail: `Jira issue ${issue.key} was already closed` };
      const offered = await call<{ transitions?: { id: string; name: string }[] }>('GET', `${issuePath(issue.key)}/transitions`);
      const transition = offered.body?.transitions?.find((t) => t.name.toLowerCase() === opts.closeTransition.toLowerCase());
      if (!transition) {
        // A workflow without that transition is a configuration fault; retrying cannot fix it.
        throw ApplicationFailure.create({ message: `jira offers no transition named '${opts.closeTransition}' for ${issue.key}`, type: VENDOR_REJECTED, nonRetryable: true });
      }
      await call('POST', `${issuePath(issue.key)}/comment`, { body: doc(paragraphs(`Riposte verdict: false positive.\n${comment}`)) });
      await call('POST', `${issuePath(issue.key)}/transitions`, { transition: { id: transition.id } });
      return { detail: `closed Jira issue ${issue.key} as a false positive ('${transition.name}')` };
    },
  };
}

const settings = z.object({
  JIRA_URL: z.url({ protocol: /^https?$/ }),
  JIRA_EMAIL: z.string().min(1),
  JIRA_API_TOKEN: z.string().min(1),
  JIRA_PROJECT_KEY: z.string().regex(/^[A-Z][A-Z0-9_]+$/, 'a Jira project key: capitals, digits and underscores'),
  JIRA_ISSUE_TYPE: z.string().min(1).default('Task'),
  JIRA_CLOSE_TRANSITION: z.string().min(1).default('Done'),
});

export const jira: AdapterDefinition<TicketSystem, typeof settings> = {
  name: 'jira',
  description: 'Jira Cloud: an issue per incident (found again by a label), commented and transitioned on a false positive',
  requires: ['JIRA_URL', 'JIRA_EMAIL', 'JIRA_API_TOKEN', 'JIRA_PROJECT_KEY'],
  settings,
  create: (s) => createJira({
    url: s.JIRA_URL, email: s.JIRA_EMAIL, apiToken: s.JIRA_API_TOKEN, projectKey: s.JIRA_PROJECT_KEY,
    issueType: s.JIRA_ISSUE_TYPE, closeTransition: s.JIRA_CLOSE_TRANSITION,
  }),
};
