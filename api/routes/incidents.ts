import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { INCIDENT_STATUSES, type IncidentState, type IncidentStatus, VERDICTS } from '../../domain/incident.ts';
import { ENTITY_KINDS, type EntityKind } from '../../domain/entity.ts';
import { approvalRefusal } from '../../domain/responsePlan.ts';
import { canonicalIncidentId, playbooks } from '../../playbooks/index.ts';
import { approveSignal, pauseSignal, rejectSignal, resumeSignal, statusQuery, timelineQuery, verdictUpdate } from '../../workflows/messages.ts';
import { entityAttribute, playbookAttribute, severityAttribute, sourceAttribute, statusAttribute, verdictAttribute } from '../../workflows/searchAttributes.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';
import { type EntityFilter, entityFilter, MAX_SCANNED, readEntity } from './explain.ts';

const TERMINAL: ReadonlySet<IncidentStatus> = new Set([
  'contained', 'observed', 'rejected', 'expired', 'allowlisted', 'failed', 'below_threshold', 'reverted', 'closed', 'protected', 'responded', 'lifted', 'ended',
]);

export const commentBody = z.object({ comment: z.string().max(2000).optional() }).strict();
export const reasonBody = z.object({ reason: z.string().max(2000).optional() }).strict();
export const verdictBody = z.object({ verdict: z.enum(VERDICTS), comment: z.string().max(2000).optional() }).strict();
export const resumeBody = z.object({}).strict();
export const listQuery = z.object({
  status: z.enum(INCIDENT_STATUSES).optional(),
  playbook: z.string().regex(/^[a-z0-9-]{1,64}$/).optional(),
  // Read as any kind, or as `kind`: see GET /v1/explain/:entity.
  entity: z.string().max(2048).optional(),
  kind: z.enum(ENTITY_KINDS).optional(),
  source: z.string().regex(/^[a-z0-9-]{1,64}$/).optional(),
  // Opened at or after `since`, before `until`.
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
}).strict();

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) throw validationFailed(zodIssues(parsed.error));
  return parsed.data;
}

const EXAMPLE_ENTITY: Record<EntityKind, string> = {
  address: '203.0.113.7',
  user: 'alice@example.org',
  host: 'ws-042.corp.example',
  url: 'https://login.example.net/',
  domain: 'login.example.net',
};

/** The id of every playbook, with an entity of its kind: what a 404 for a malformed id, the CLI and Slack show. */
export const INCIDENT_ID_FORMS = `<playbook>:<canonical entity>, such as ${playbooks.map((p) => `${p.name}:${EXAMPLE_ENTITY[p.entityKind]}`).join(', ')}`;

/**
 * Only `<playbook>:<canonical entity>` ids reach a handle, so these routes can never signal a block or control workflow.
 * An entity spelled another way (`phishing:Alice@Example.org`) names the same incident.
 */
function incidentId(raw: string): string {
  const id = canonicalIncidentId(raw);
  if (!id) throw new HttpError(404, 'not_found', `no such incident ${raw}: incident ids are ${INCIDENT_ID_FORMS} (URL-encoded in a path)`);
  return id;
}

export function incidentsRouter({ client }: { client: Client }): Router {
  const router = Router();

  /** A call on an incident's workflow, with "no such workflow" answered as 404. */
  function ofIncident<T>(id: string, call: Promise<T>): Promise<T> {
    return call.catch((err: unknown) => {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `no incident ${id}`);
      throw err;
    });
  }

  const currentState = (id: string): Promise<IncidentState> => ofIncident(id, client.workflow.getHandle(id).query(statusQuery));

  const actor = (req: Request) => req.principal!.name;

  router.get('/v1/incidents', async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', 'invalid query', zodIssues(parsed.error, ['query']));
    const { status, playbook, entity, kind, source, since, until, limit } = parsed.data;
    if (kind && entity === undefined) throw new HttpError(400, 'validation_failed', 'invalid query', [{ path: 'query.kind', message: 'kind says how to read entity: give entity too' }]);
    const clauses = ['WorkflowType = "incidentWorkflow"'];
    if (status) clauses.push(`${statusAttribute.name} = "${status}"`);
    if (playbook) clauses.push(`${playbookAttribute.name} = "${playbook}"`);
    if (source) clauses.push(`${sourceAttribute.name} = "${source}"`);
    if (since) clauses.push(`StartTime >= "${new Date(since).toISOString()}"`);
    if (until) clauses.push(`StartTime < "${new Date(until).toISOString()}"`);
    const about: EntityFilter | undefined = entity === undefined ? undefined : entityFilter(readEntity(entity, kind, 'query.entity'));
    if (about) clauses.push(about.clause);
    const incidents = [];
    let scanned = 0;
    for await (const wf of client.workflow.list({ query: clauses.join(' AND '), pageSize: limit })) {
      if (++scanned > MAX_SCANNED) break;
      if (about && !about.matches(wf.typedSearchAttributes.get(entityAttribute))) continue;
      incidents.push({
        id: wf.workflowId,
        status: wf.typedSearchAttributes.get(statusAttribute) ?? null,
        playbook: wf.typedSearchAttributes.get(playbookAttribute) ?? null,
        entity: wf.typedSearchAttributes.get(entityAttribute) ?? null,
        severity: wf.typedSearchAttributes.get(severityAttribute) ?? null,
        open: wf.status.name === 'RUNNING',
        startedAt: wf.startTime.toISOString(),
        closedAt: wf.closeTime?.toISOString() ?? null,
      });
      if (incidents.length >= limit) break;
    }
    res.json({ incidents });
  });

  router.get('/v1/incidents/:id', async (req, res) => {
    const id = incidentId(req.params.id);
    const state = await currentState(id);
    const timeline = await client.workflow.getHandle(id).query(timelineQuery);
    res.json({ ...state, timeline });
  });

  /**
   * The human-in-the-loop routes: check the state the action needs, then signal with the authenticated principal.
   * `extra` adds to the 202 answer what the state the check read says about it.
   */
  function actionRoute<B>(
    action: string,
    body: z.ZodType<B>,
    refusal: (state: IncidentState, by: string) => string | undefined,
    send: (id: string, by: string, body: B) => Promise<void>,
    extra: (state: IncidentState) => Record<string, unknown> = () => ({}),
  ) {
    router.post(`/v1/incidents/:id/${action}`, async (req, res) => {
      const id = incidentId(req.params.id);
      const parsed = parseBody(body, req.body);
      const state = await currentState(id);
      const refused = refusal(state, actor(req));
      if (refused) throw new HttpError(409, 'conflict', refused);
      await send(id, actor(req), parsed);
      res.status(202).json({ id, signal: action, by: actor(req), ...extra(state) });
    });
  }
  const handle = (id: string) => client.workflow.getHandle(id);
  const notAwaitingApproval = (state: IncidentState) => (state.status === 'awaiting_approval' ? undefined : `incident is ${state.status}, not awaiting approval`);

  // The workflow ignores a second approval by the same person, or one by the person who asked for the action (the
  // two-person rule), with only `approve_ignored` in its timeline; refusing it here tells them so.
  actionRoute(
    'approve',
    commentBody,
    (state, by) => notAwaitingApproval(state) ?? approvalRefusal(by, state.approvals ?? [], state.requestedBy),
    (id, by, { comment }) => handle(id).signal(approveSignal, { by, comment }),
    (state) => ({ approvals: { given: (state.approvals ?? []).length + 1, needed: state.approvalsNeeded ?? 1 } }),
  );
  actionRoute('reject', reasonBody, notAwaitingApproval, (id, by, { reason }) => handle(id).signal(rejectSignal, { by, reason }));
  actionRoute('pause', reasonBody, (state) => {
    if (state.paused) return 'incident is already paused';
    return TERMINAL.has(state.status) ? `incident is ${state.status}: nothing left to pause` : undefined;
  }, (id, by, { reason }) => handle(id).signal(pauseSignal, { by, reason }));
  actionRoute('resume', resumeBody, (state) => (state.paused ? undefined : 'incident is not paused'), (id, by) => handle(id).signal(resumeSignal, { by }));

  /**
   * The verdict closes the loop: a false positive lifts the incident's blocks at once. Only while the incident is open
   * (its review window), and only once.
   */
  router.post('/v1/incidents/:id/verdict', async (req, res) => {
    const id = incidentId(req.params.id);
    const { verdict, comment } = parseBody(verdictBody, req.body);
    if ((await ofIncident(id, handle(id).describe())).status.name !== 'RUNNING') throw new HttpError(409, 'conflict', `incident ${id} is closed: its review window has ended`);
    try {
      const recorded = await handle(id).executeUpdate(verdictUpdate, { args: [{ verdict, by: actor(req), comment }] });
      res.status(202).json({ id, ...recorded });
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) throw new HttpError(409, 'conflict', (err.cause as Error | undefined)?.message ?? err.message);
      throw err;
    }
  });

  /** Verdicts counted per playbook, from the search attribute every verdict sets: how often each playbook is wrong. */
  router.get('/v1/verdicts', async (_req, res) => {
    const counts: Record<string, Record<string, number>> = {};
    for (const { name } of playbooks) {
      const base = `WorkflowType = "incidentWorkflow" AND ${playbookAttribute.name} = "${name}"`;
      const entries = await Promise.all(VERDICTS.map(async (verdict) => [verdict, (await client.workflow.count(`${base} AND ${verdictAttribute.name} = "${verdict}"`)).count] as const));
      counts[name] = Object.fromEntries(entries);
    }
    res.json({ playbooks: counts });
  });

  return router;
}
