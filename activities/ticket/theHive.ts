import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { clip, httpLink } from '../notify/notification.ts';
import { VENDOR_REJECTED, VENDOR_UNAVAILABLE, vendorRequest, type VendorRequest } from '../vendorHttp.ts';
import type { ObservableKind, TicketRef, TicketRequest, TicketSystem } from './ticketSystem.ts';

/**
 * TheHive 5 (API v1). Each incident is one alert whose `sourceRef` is the incident id, so a retried `open` finds it
 * (query API, `listAlert` filtered on `source` and `sourceRef`) instead of making a second. With `createCase` the
 * alert is promoted to a case (`POST /api/v1/alert/{id}/case`) and the case is the ticket; a promoted alert carries
 * `caseId`, so a retry finds the case through its alert too.
 * Shapes: TheHive's OpenAPI document (StrangeBeeCorp/thehive4go, thehive/api/openapi.yaml) and thehive4py 2.x.
 */
export interface TheHiveOptions {
  /** Base URL, e.g. `https://thehive.example` (a path prefix is kept). */
  url: string;
  /** Sent as `Authorization: Bearer`; never in an error. */
  apiKey: string;
  /** `X-Organisation`, for a key that belongs to several organisations. */
  organisation?: string;
  createCase?: boolean;
}

/** Riposte's 1-10 severity in TheHive's four levels; the docs render this table. */
export const THEHIVE_SEVERITY_MAPPING = [
  { riposte: '9-10', thehive: 4, label: 'CRITICAL' },
  { riposte: '7-8', thehive: 3, label: 'HIGH' },
  { riposte: '4-6', thehive: 2, label: 'MEDIUM' },
  { riposte: '1-3', thehive: 1, label: 'LOW' },
] as const;

export function theHiveSeverity(severity: number): 1 | 2 | 3 | 4 {
  return severity >= 9 ? 4 : severity >= 7 ? 3 : severity >= 4 ? 2 : 1;
}

const SOURCE = 'riposte';
const ALERT_TYPE = 'incident';
/** TLP:AMBER and PAP:AMBER, TheHive's own defaults, stated so an organisation's other defaults do not apply. */
const AMBER = 2;
/** TheHive's limit on `sourceRef`. */
const MAX_SOURCE_REF = 128;

/** The reference a retry looks the alert up by: the incident id itself, or a prefix and its hash when too long. */
export function theHiveSourceRef(incidentId: string): string {
  if (incidentId.length <= MAX_SOURCE_REF) return incidentId;
  const hash = createHash('sha256').update(incidentId).digest('hex').slice(0, 16);
  return `${incidentId.slice(0, MAX_SOURCE_REF - hash.length - 1)}#${hash}`;
}

const DATA_TYPE: Record<ObservableKind, (value: string) => string> = {
  ip: () => 'ip',
  domain: () => 'domain',
  url: () => 'url',
  host: () => 'hostname',
  // A bare login is no e-mail address; TheHive has no account type, so it is `other`, tagged as a user.
  user: (value) => (value.includes('@') ? 'mail' : 'other'),
};

/** Markdown that could link, embed, format or inject HTML; TheHive renders descriptions and comments as Markdown. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]()<>!#|~{}]/g, '\\$&');
}

function alertDescription(ticket: TicketRequest): string {
  // A parsed URL's href has no spaces or angle brackets, so `<…>` holds it whole.
  const links = [
    ['Incident in Riposte', httpLink(ticket.links.incident)?.href],
    ['Workflow in the Temporal UI', httpLink(ticket.links.temporalUi)?.href],
  ].filter((l): l is [string, string] => l[1] !== undefined).map(([text, href]) => `[${text}](<${href}>)`);
  return [
    escapeMarkdown(ticket.description),
    `**Riposte incident:** ${escapeMarkdown(ticket.incidentId)} (severity ${ticket.severity}/10)`,
    ...(links.length ? [links.join(' · ')] : []),
  ].join('\n\n');
}

export function theHiveAlert(ticket: TicketRequest) {
  const externalLink = httpLink(ticket.links.incident)?.href;
  return {
    type: ALERT_TYPE,
    source: SOURCE,
    sourceRef: theHiveSourceRef(ticket.incidentId),
    title: clip(ticket.title, 512),
    description: alertDescription(ticket),
    severity: theHiveSeverity(ticket.severity),
    tlp: AMBER,
    pap: AMBER,
    tags: [...new Set(['riposte', ...ticket.tags].map((t) => clip(t, 128)))],
    ...(externalLink && externalLink.length <= 512 ? { externalLink } : {}),
    observables: ticket.observables.map(({ kind, value }) => ({ dataType: DATA_TYPE[kind](value), data: value, tags: [`riposte:${kind}`] })),
  };
}

interface HiveAlert { _id: string; stage: string; caseId?: string }
interface HiveCase { _id: string; stage: string }
interface HiveError { type?: string; message?: string }

/** TheHive keeps (type, source, sourceRef) unique and refuses another with a CreateError "… already exist …". */
function isDuplicateAlert(body: HiveError | undefined): boolean {
  return body?.type === 'CreateError' && /already exist/i.test(body.message ?? '');
}

const CLOSED = 'Closed';
/** `FalsePositive` is a predefined closing status of both alerts and cases; a case also states it had no impact. */
const CLOSE_FIELDS = { alert: { status: 'FalsePositive' }, case: { status: 'FalsePositive', impactStatus: 'NoImpact' } };

export function createTheHive(opts: TheHiveOptions): TicketSystem {
  const base = opts.url.endsWith('/') ? opts.url : `${opts.url}/`;
  const headers = { authorization: `Bearer ${opts.apiKey}`, ...(opts.organisation ? { 'x-organisation': opts.organisation } : {}) };
  const call = <T>(method: VendorRequest['method'], path: string, body?: unknown, accept?: number[]) =>
    vendorRequest<T>({ label: 'thehive', method, url: new URL(path, base), headers, body, accept });
  const ref = (kind: 'alert' | 'case', id: string, existed: boolean): TicketRef =>
    ({ system: 'thehive', id, url: new URL(`${kind}s/${encodeURIComponent(id)}/details`, base).href, existed });

  async function findAlert(incidentId: string): Promise<HiveAlert | undefined> {
    const filter = { _and: [{ _eq: { _field: 'source', _value: SOURCE } }, { _eq: { _field: 'sourceRef', _value: theHiveSourceRef(incidentId) } }] };
    const res = await call<HiveAlert[]>('POST', 'api/v1/query', { query: [{ _name: 'listAlert' }, { _name: 'filter', ...filter }, { _name: 'page', from: 0, to: 1 }] });
    return res.body?.[0];
  }

  /** Creates the alert; when another attempt got there first, answers with that one. */
  async function createAlert(ticket: TicketRequest): Promise<{ alert: HiveAlert; created: boolean }> {
    const res = await call<HiveAlert & HiveError>('POST', 'api/v1/alert', theHiveAlert(ticket), [400]);
    if (res.status !== 400) return { alert: res.body!, created: true };
    if (!isDuplicateAlert(res.body)) {
      const code = /^\w{1,40}$/.test(res.body?.type ?? '') ? ` (${res.body?.type})` : '';
      throw ApplicationFailure.create({ message: `thehive answered ${res.status} to POST${code}`, type: VENDOR_REJECTED, nonRetryable: true, details: [{ status: res.status }] });
    }
    const existing = await findAlert(ticket.incidentId);
    if (existing) return { alert: existing, created: false };
    // The search index trails the database by a moment; the next attempt will see the alert.
    throw ApplicationFailure.create({ message: 'thehive reports the alert exists but its search does not show it yet', type: VENDOR_UNAVAILABLE });
  }

  async function close(kind: 'alert' | 'case', id: string, stage: string, comment: string) {
    if (stage === CLOSED) return { detail: `TheHive ${kind} ${id} was already closed` };
    const path = `api/v1/${kind}/${encodeURIComponent(id)}`;
    await call('POST', `${path}/comment`, { message: `**Riposte verdict: false positive.**\n\n${escapeMarkdown(comment)}` });
    await call('PATCH', path, { ...CLOSE_FIELDS[kind], summary: escapeMarkdown(comment) });
    return { detail: `closed TheHive ${kind} ${id} as a false positive` };
  }

  return {
    name: 'thehive',
    async open(ticket) {
      const found = await findAlert(ticket.incidentId);
      const { alert, created } = found ? { alert: found, created: false } : await createAlert(ticket);
      if (!opts.createCase) return ref('alert', alert._id, !created);
      if (alert.caseId) return ref('case', alert.caseId, true);
      const promoted = await call<HiveCase>('POST', `api/v1/alert/${encodeURIComponent(alert._id)}/case`, {});
      return ref('case', promoted.body!._id, false);
    },
    async closeAsFalsePositive(incidentId, comment) {
      const alert = await findAlert(incidentId);
      if (!alert) return { detail: `no TheHive alert for ${incidentId}; nothing to close` };
      if (!alert.caseId) return close('alert', alert._id, alert.stage, comment);
      const found = await call<HiveCase>('GET', `api/v1/case/${encodeURIComponent(alert.caseId)}`, undefined, [404]);
      if (found.status === 404 || !found.body) return { detail: `TheHive case ${alert.caseId} is gone; nothing to close` };
      return close('case', found.body._id, found.body.stage, comment);
    },
  };
}

const settings = z.object({
  THEHIVE_URL: z.url({ protocol: /^https?$/ }),
  THEHIVE_API_KEY: z.string().min(1),
  THEHIVE_ORGANISATION: z.string().min(1).optional(),
  THEHIVE_CREATE_CASE: z.stringbool().default(false),
});

export const theHive: AdapterDefinition<TicketSystem, typeof settings> = {
  name: 'thehive',
  description: 'TheHive 5: an alert per incident with its observables (sourceRef = incident id), optionally promoted to a case',
  requires: ['THEHIVE_URL', 'THEHIVE_API_KEY'],
  settings,
  create: (s) => createTheHive({ url: s.THEHIVE_URL, apiKey: s.THEHIVE_API_KEY, organisation: s.THEHIVE_ORGANISATION, createCase: s.THEHIVE_CREATE_CASE }),
};
