import type { z } from 'zod';
import type { AccessRule } from '../access.ts';
import { AUDIT_MAX_LIMIT, auditQuery } from '../routes/audit.ts';
import { reportSummaryQuery } from '../routes/reports.ts';
import { containmentsQuery } from '../routes/containments.ts';
import { blockBody, blockListBody, listQuery as blockListQuery, unblockBody } from '../routes/blocks.ts';
import { breakerResetBody, pauseBody } from '../routes/control.ts';
import { exceptionBody } from '../routes/exceptions.ts';
import { MAX_EVENT_SUBSCRIBERS, RECONNECT_MS } from '../routes/events.ts';
import { explainQuery } from '../routes/explain.ts';
import { domainsQuery } from '../routes/feeds.ts';
import { commentBody, INCIDENT_ID_FORMS, listQuery as incidentListQuery, reasonBody, resumeBody, verdictBody } from '../routes/incidents.ts';
import { MAX_SIMULATED_BODIES, SIMULATE_MAX_BODY_BYTES, simulateBody } from '../routes/simulate.ts';
import { clickSchema } from '../routes/slack.ts';
import { alertSources, MAX_ALERTS_PER_REQUEST, SUPPORTED_SOURCES } from '../sources/index.ts';
import { genericAlertsBody, sourceAlertsBody } from './alertBodies.ts';
import { type JsonSchema, requestSchema } from './jsonSchema.ts';
import type { ErrorStatus } from './responses.ts';

export interface PathParameter {
  description: string;
  schema: JsonSchema;
}

export interface RequestBody {
  /** A route's own zod schema, or a JSON Schema built from such schemas. */
  schema: z.ZodType | JsonSchema;
  /** Default `application/json`. */
  mediaType?: string;
  /** Default: for a zod schema, whether the route refuses an absent body (it reads one as `{}`); else true. */
  required?: boolean;
}

/** One route as the document describes it; its security comes from its access rule, never from here. */
export interface Operation {
  method: AccessRule['method'];
  /** Express-style, exactly as in api/access.ts ACCESS_RULES. */
  path: string;
  summary: string;
  description?: string;
  pathParameters?: Record<string, PathParameter>;
  query?: z.ZodObject;
  body?: RequestBody;
  /** Success statuses and what each means; 304 has no body. */
  ok: Partial<Record<200 | 201 | 202 | 304, string>>;
  /** Default `application/json`; `none` for an empty answer. */
  produces?: 'application/json' | 'text/plain' | 'text/event-stream' | 'none';
  /** Failures besides the guard's (401, 403, 429) and a body's or query's 400 and 413; a text replaces the general one. */
  errors?: Partial<Record<ErrorStatus, string>>;
  /** The route calls Temporal, so it answers 503 `temporal_unavailable` while Temporal cannot be reached. */
  temporal?: true;
}

const text = (description: string, schema: JsonSchema = { type: 'string' }): PathParameter => ({ description, schema });

const incidentId = text(`The incident id, URL-encoded: ${INCIDENT_ID_FORMS}; any spelling of the entity names the incident of its canonical one.`);
const blockTarget = text('An address or a range, URL-encoded (`203.0.113.0%2F24`), in any spelling the API canonicalizes.');
const exceptionId = text('The exception\'s id, as `GET /v1/exceptions` lists it.', { type: 'string', format: 'uuid' });
const entity = text('An address, user, host, domain or URL in any spelling, URL-encoded (`corp%5Calice`).');
const anySource = text('The SIEM whose body this is; `generic` is Riposte\'s own alert.', { type: 'string', enum: SUPPORTED_SOURCES });
const verifyingSource = text('A SIEM that checks its URL before posting to it.', { type: 'string', enum: alertSources.filter((source) => source.verification).map((source) => source.name) });

const noIncident = 'No incident with this id (a malformed id is answered the same way).';
const feedUnreadable = 'The list cannot be read now (`feed_unavailable`): keep the last good list and retry.';
const tooManyAlerts = `The body is too large (\`payload_too_large\`), or carries more than ${MAX_ALERTS_PER_REQUEST} alerts (\`too_many_alerts\`).`;

/** Every route of the API; test/unit/openapi.test.ts holds this list and api/access.ts's ACCESS_RULES to each other. */
export const OPERATIONS: readonly Operation[] = [
  { method: 'GET', path: '/healthz', summary: 'Liveness', ok: { 200: 'The process answers: `{"status": "ok"}`.' } },
  { method: 'GET', path: '/readyz', summary: 'Readiness: Temporal answers within 2 s', ok: { 200: '`{"status": "ready", "temporal": "ok"}`.' }, temporal: true },
  { method: 'GET', path: '/metrics', summary: 'Prometheus metrics', ok: { 200: 'The text exposition format.' }, produces: 'text/plain' },
  { method: 'GET', path: '/openapi.json', summary: 'This document', ok: { 200: 'The OpenAPI 3.1 description of every route, generated from the schemas the routes validate with.' } },

  {
    method: 'GET', path: '/v1/feeds/blocklist.txt', summary: 'The blocklist feed (External Dynamic List)', produces: 'text/plain',
    description: 'Every blocked address and range, one a line (`network/prefix` for a range), canonical, de-duplicated, sorted; ETag\'d.',
    ok: { 200: 'The list.', 304: 'Unchanged since the `If-None-Match` ETag.' }, errors: { 503: feedUnreadable },
  },
  {
    method: 'GET', path: '/v1/feeds/domains.txt', summary: 'The domain feed, for proxies and DNS firewalls', produces: 'text/plain', query: domainsQuery,
    description: 'Domains and URLs that `blocklist_domain` entered, one a line, canonical, sorted, expired entries dropped; `kind=domain` lists the domains alone.',
    ok: { 200: 'The list.', 304: 'Unchanged since the `If-None-Match` ETag.' },
    errors: { 404: 'This deployment keeps no domain feed (`not_configured`).', 503: feedUnreadable },
  },
  { method: 'GET', path: '/v1/feeds/status', summary: 'The blocklist\'s shrink hold, and each feed consumer\'s last fetch seen by this API process', ok: { 200: '`{blocklist: {held, hold?}, consumers: [{name, configured, lastFetch}]}`.' }, errors: { 503: feedUnreadable } },
  {
    method: 'POST', path: '/v1/feeds/blocklist/release', summary: 'Let a held shrink of the blocklist go out', ok: { 200: '`{released: {since, withheld, entries, sample}}`.' },
    errors: { 404: 'This blocklist has no shrink guard (`not_configured`).', 409: 'No shrink is held (`not_held`).', 503: feedUnreadable },
  },

  {
    method: 'POST', path: '/v1/alerts', summary: 'Send normalized alerts', body: { schema: genericAlertsBody() },
    description: 'Answered once Temporal holds every alert: a 202 means durably accepted, anything else means send again.',
    ok: { 202: '`{accepted, unmatched, incidents: [{id, playbook, deduplicated}], tracked?: [{id, playbook}]}`.' }, errors: { 413: tooManyAlerts }, temporal: true,
  },
  {
    method: 'POST', path: '/v1/alerts/:source', summary: 'Send a SIEM\'s own alert body', pathParameters: { source: anySource }, body: { schema: sourceAlertsBody() },
    description: 'Each SIEM posts the body it already sends; see docs/integrations/. Answered once Temporal holds every alert.',
    ok: { 202: '`{accepted, unmatched, incidents: [{id, playbook, deduplicated}], tracked?: [{id, playbook}]}`.' },
    errors: { 404: 'No such source (`unknown_source`).', 413: tooManyAlerts }, temporal: true,
  },
  { method: 'GET', path: '/v1/alerts/:source', summary: 'A SIEM\'s one-time check of its URL (Okta event hooks)', pathParameters: { source: verifyingSource }, ok: { 200: 'The answer the SIEM expects.' }, errors: { 404: 'The request is no verification request of this source.' } },

  { method: 'GET', path: '/v1/incidents', summary: 'List incidents', query: incidentListQuery, ok: { 200: '`{incidents: [{id, status, playbook, entity, severity, open, startedAt, closedAt}]}`.' }, temporal: true },
  { method: 'GET', path: '/v1/incidents/:id', summary: 'One incident: status, plan, actions, approvals, timeline', pathParameters: { id: incidentId }, ok: { 200: 'The incident\'s state and timeline.' }, errors: { 404: noIncident }, temporal: true },
  {
    method: 'POST', path: '/v1/incidents/:id/approve', summary: 'Approve the waiting action', pathParameters: { id: incidentId }, body: { schema: commentBody },
    ok: { 202: '`{id, signal, by, approvals: {given, needed}}`.' }, errors: { 404: noIncident, 409: 'Not awaiting approval, or this principal already approved or asked for the action (the two-person rule).' }, temporal: true,
  },
  { method: 'POST', path: '/v1/incidents/:id/reject', summary: 'Reject the waiting action', pathParameters: { id: incidentId }, body: { schema: reasonBody }, ok: { 202: '`{id, signal, by}`.' }, errors: { 404: noIncident, 409: 'Not awaiting approval.' }, temporal: true },
  { method: 'POST', path: '/v1/incidents/:id/pause', summary: 'Pause an incident', pathParameters: { id: incidentId }, body: { schema: reasonBody }, ok: { 202: '`{id, signal, by}`.' }, errors: { 404: noIncident, 409: 'Already paused, or closed.' }, temporal: true },
  { method: 'POST', path: '/v1/incidents/:id/resume', summary: 'Resume a paused incident', pathParameters: { id: incidentId }, body: { schema: resumeBody }, ok: { 202: '`{id, signal, by}`.' }, errors: { 404: noIncident, 409: 'Not paused.' }, temporal: true },
  {
    method: 'POST', path: '/v1/incidents/:id/verdict', summary: 'Give the incident\'s verdict; a false positive undoes what it did', pathParameters: { id: incidentId }, body: { schema: verdictBody },
    ok: { 202: '`{id, verdict, by, …}`: the verdict as recorded.' }, errors: { 404: noIncident, 409: 'A verdict was already given, or the incident has closed.' }, temporal: true,
  },
  { method: 'GET', path: '/v1/verdicts', summary: 'Verdicts counted per playbook', ok: { 200: '`{playbooks: {<playbook>: {true_positive, false_positive}}}`.' }, temporal: true },

  { method: 'GET', path: '/v1/blocks', summary: 'List blocks, a page at a time', query: blockListQuery, ok: { 200: '`{blocks: [...], next}`: `next` is the cursor of the following page, null on the last.' }, temporal: true },
  {
    method: 'GET', path: '/v1/blocks/:ip', summary: 'One block: its state at each enforcement point, and its leases', pathParameters: { ip: blockTarget },
    ok: { 200: 'The block.' }, errors: { 400: 'Not an address or a range.', 404: 'Not blocked.' }, temporal: true,
  },
  {
    method: 'POST', path: '/v1/blocks', summary: 'Block an address or a range by hand, or a list of them', body: { schema: { anyOf: [requestSchema(blockBody), requestSchema(blockListBody)] } },
    description: 'An array (a threat list) is checked whole before anything is requested. A range wider than the policy\'s maxBlockWidth becomes the incident `manual-block:<range>`, waiting for approval.',
    ok: { 202: '`{address, workflowId, duration, by, expiresAt?}`; `{address, incident, status: awaiting_approval, approvalsNeeded, …}` for a wide range; `{requested, by}` for a list.' },
    errors: { 403: 'The address or range overlaps the allowlist (`allowlisted`) or a live exception (`excepted`), or the guard refused the credential.', 409: 'An earlier request for the same range still waits.' }, temporal: true,
  },
  { method: 'DELETE', path: '/v1/blocks/:ip', summary: 'Lift a block now, whoever asked for it', pathParameters: { ip: blockTarget }, body: { schema: unblockBody }, ok: { 202: '`{address, unblocking: true, by}`.' }, errors: { 404: 'Not blocked.' }, temporal: true },

  { method: 'GET', path: '/v1/audit', summary: `The audit trail: the newest matching records (at most ${AUDIT_MAX_LIMIT}), newest last`, query: auditQuery, ok: { 200: '`{records, truncated, limit}`.' }, errors: { 503: 'This API process has no audit trail configured (`audit_unavailable`).' } },
  {
    method: 'GET', path: '/v1/events', summary: 'Live events (Server-Sent Events): incidents, actions, the kill switch', produces: 'text/event-stream',
    description: [
      `\`retry: ${RECONNECT_MS}\` once this process watches, then events, each with an \`id:\` (per API process), and \`: keepalive\` every 15 s.`,
      '`event: incident` `{id, playbook, status, entity, updatedAt}` when an incident appears or its status changes (within 1 s);',
      '`event: action` `{time, incidentId?, action, point?, target?, outcome}` for each audit `after` record as it is written;',
      '`event: control` `{paused, breaker: {tripped, recentBlocks}}` when the kill switch or the circuit breaker changes.',
    ].join(' '),
    ok: { 200: 'The stream, open until the client leaves.' },
    errors: { 503: `This process already streams to ${MAX_EVENT_SUBSCRIBERS} subscribers (\`too_many_subscribers\`): retry after \`Retry-After\`.` },
  },
  {
    method: 'GET', path: '/v1/reports/summary', summary: 'The review\'s figures from the audit trail: enforcements against false positives, time to contain, top rules and entities, promotion', query: reportSummaryQuery,
    description: 'Default `until` now and `since` 30 days before it; at most 366 days. See README, Reports.',
    ok: { 200: '`{since, until, enforcementsVsFalsePositives, timeToContain, topRules, topEntities, promotion}`.' }, errors: { 503: 'This API process has no audit trail configured (`audit_unavailable`).' },
  },
  {
    method: 'GET', path: '/v1/containments', summary: 'The accounts disabled, hosts isolated and domains blocklisted that Riposte has not undone, from the audit trail', query: containmentsQuery,
    description: 'For each kind and target the newest successful apply or revert decides; the trail is read 366 days back. Blocks are listed by GET /v1/blocks.',
    ok: { 200: '`{containments: [{kind, target, at, incidentId, by}]}`, newest first.' }, errors: { 503: 'This API process has no audit trail configured (`audit_unavailable`).' },
  },
  { method: 'GET', path: '/v1/control', summary: 'The kill switch, the circuit breaker, and each enforcement point\'s last reconcile', ok: { 200: '`{paused, by?, reason?, at?, breaker?, enforcement?}`.' }, temporal: true },
  {
    method: 'GET', path: '/v1/explain/:entity', summary: 'Why an entity is or is not acted on now', pathParameters: { entity }, query: explainQuery,
    ok: { 200: '`{entity, kind, verdict: acted_on|not_acted_on|no_incident, reasons, incidents, block?, policy}`.' }, errors: { 400: 'The text is no entity, or not of the kind given.' }, temporal: true,
  },
  { method: 'GET', path: '/v1/exceptions', summary: 'The live exceptions, soonest to expire first', ok: { 200: '`{exceptions: [{id, kind, value, reason, by, createdAt, expiresAt}]}`.' }, temporal: true },
  {
    method: 'POST', path: '/v1/exceptions', summary: 'Never act on an address or range, user, host or domain until a time; lifts the live blocks it covers', body: { schema: exceptionBody },
    description: 'Exactly one of `for` (e.g. `7d`) and `expiresAt`, at most 90 days ahead. Checked wherever the policy\'s allowlist and protect list are; ends by itself.',
    ok: { 201: '`{exception, lifted}`: the exception as recorded, and the blocks it lifted.' }, temporal: true,
  },
  { method: 'DELETE', path: '/v1/exceptions/:id', summary: 'End an exception now', pathParameters: { id: exceptionId }, ok: { 200: '`{exception}`: the exception ended.' }, errors: { 400: 'The id is no exception id (`params.id`).', 404: 'No live exception has that id.' }, temporal: true },
  { method: 'POST', path: '/v1/control/pause', summary: 'Pause all containment (the kill switch)', body: { schema: pauseBody }, ok: { 200: 'The kill switch as recorded.' }, temporal: true },
  { method: 'POST', path: '/v1/control/resume', summary: 'Resume containment', body: { schema: pauseBody }, ok: { 200: 'The kill switch as recorded.' }, temporal: true },
  { method: 'POST', path: '/v1/control/breaker/reset', summary: 'Re-arm the mass-block circuit breaker', body: { schema: breakerResetBody }, ok: { 200: 'The breaker as recorded.' }, temporal: true },
  {
    method: 'POST', path: '/v1/simulate', summary: 'What a policy would decide for exported SIEM bodies; nothing starts or acts', body: { schema: simulateBody },
    description: `Up to ${MAX_SIMULATED_BODIES} bodies; see docs/simulate.md.`,
    ok: { 200: 'The simulation\'s report, and its diff against `against`.' }, errors: { 413: `The body is larger than ${SIMULATE_MAX_BODY_BYTES} bytes (\`payload_too_large\`).` },
  },
  {
    method: 'POST', path: '/v1/slack/actions', summary: 'Slack\'s interactivity callback: the Approve and Reject buttons', produces: 'none',
    // The response_url prefix (SLACK_RESPONSE_URL_PREFIX) is checked in a refinement, which JSON Schema does not carry.
    body: { mediaType: 'application/x-www-form-urlencoded', required: true, schema: { type: 'object', properties: { payload: { type: 'string', contentMediaType: 'application/json', contentSchema: requestSchema(clickSchema('')) } }, required: ['payload'] } },
    description: 'Answered at once; the outcome goes to the click\'s `response_url`, which must start with SLACK_RESPONSE_URL_PREFIX.',
    ok: { 200: 'The click was verified and is being handled.' }, errors: { 503: 'Slack approvals are not configured (`slack_not_configured`).' },
  },
];
