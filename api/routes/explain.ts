import { type Client, WorkflowNotFoundError, type WorkflowExecutionInfo } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { blockShards, type BlockShards } from '../../activities/blocks.ts';
import { readKillSwitch } from '../../activities/control.ts';
import { ENFORCEMENT_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import { actionKind } from '../../domain/actions/index.ts';
import { canonicalEntity, ENTITY_KINDS, type EntityKind } from '../../domain/entity.ts';
import type { ActionRecord, ApprovalDecision, IncidentState, TimelineEntry, VerdictRecord } from '../../domain/incident.ts';
import { allowlistOverlap, canonicalBlockTarget, canonicalCidr } from '../../domain/ip.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { compileProtect, protectedBy } from '../../domain/protect.ts';
import { playbookByName, playbooks } from '../../playbooks/index.ts';
import type { ControlState } from '../../workflows/control.ts';
import { describeException, type Exception, exceptionFor } from '../../domain/exceptions.ts';
import { blockStatusQuery, statusQuery, timelineQuery } from '../../workflows/messages.ts';
import { entityAttribute, statusAttribute } from '../../workflows/searchAttributes.ts';
import { HttpError, zodIssues } from '../errors.ts';

/** One way of reading an entity's text: a kind and the canonical text it has as that kind. */
export interface EntityReading {
  kind: EntityKind;
  canonical: string;
}

/**
 * The kinds a text is valid as, most likely first: an address, a URL, a user when it has `@` or `\`, a domain, a host.
 * A dotted name is often both a domain and a host, and a host name also a bare login, with the same canonical text, so
 * all of them are kept: incidents of any of those kinds are about it. A bare login is never a guess of its own, or an
 * address in disguise such as `010.0.0.1` would be read as a user rather than refused.
 */
const GUESS_ORDER: readonly ((text: string) => EntityKind | undefined)[] = [
  () => 'address',
  () => 'url',
  (text) => (/[@\\]/.test(text) ? 'user' : undefined),
  () => 'domain',
  () => 'host',
];

/** The kind whose refusal best says what is wrong, when a text is valid as none. */
function likelyKind(text: string): EntityKind {
  if (text.includes('://')) return 'url';
  if (/[@\\]/.test(text)) return 'user';
  if (/^[0-9a-f:./]+$/i.test(text) && /[:/]|^\d+(\.\d+)+$/.test(text)) return 'address';
  return text.includes('.') ? 'domain' : 'host';
}

/**
 * Reads an entity as `kind`, or as every kind it can be when none is given; a text that is none of them is refused with
 * 400 and the reason, at `field`.
 */
export function readEntity(text: string, kind: EntityKind | undefined, field: string): EntityReading[] {
  const refused = (message: string, issue: string): HttpError => new HttpError(400, 'validation_failed', message, [{ path: field, message: issue }]);
  if (kind !== undefined) {
    try {
      return [{ kind, canonical: canonicalEntity(kind, text) }];
    } catch (err) {
      throw refused(`invalid ${field}`, `not a valid ${kind}: ${(err as Error).message}`);
    }
  }
  const readings: EntityReading[] = [];
  for (const guess of GUESS_ORDER) {
    const candidate = guess(text);
    if (candidate === undefined) continue;
    try {
      readings.push({ kind: candidate, canonical: canonicalEntity(candidate, text) });
    } catch {
      // Not this kind; the next may fit.
    }
  }
  if (readings.some((r) => r.kind === 'host')) {
    try {
      readings.push({ kind: 'user', canonical: canonicalEntity('user', text) });
    } catch {
      // A host name no login can be: `dc01.`, with the root's dot.
    }
  }
  if (readings.length > 0) return readings;
  const likely = likelyKind(text);
  let reason = '';
  try {
    canonicalEntity(likely, text);
  } catch (err) {
    reason = (err as Error).message;
  }
  throw refused(`invalid ${field}`, `not an address, URL, user, domain or host name; read as ${likely === 'url' ? 'a URL' : `${article(likely)} ${likely}`}: ${reason}`);
}

/** How many listed workflows an entity lookup reads at most, when the visibility store cannot match it exactly. */
export const MAX_SCANNED = 1000;

export interface EntityFilter {
  /** A visibility clause listing at least the incidents about the entity. */
  clause: string;
  /** Whether a listed workflow's entity attribute is the entity. */
  matches(entity: string | null | undefined): boolean;
}

/**
 * Canonical texts carry no `"`, so they sit inside the query's quotes as they are. A down-level user's `\` is another
 * matter: visibility stores disagree on escaping it (the dev server's SQLite keeps `\\` as two characters), so such a
 * text is listed by the part before the `\` and checked here.
 */
export function entityFilter(readings: readonly EntityReading[]): EntityFilter {
  const texts = [...new Set(readings.map((r) => r.canonical))];
  const clauses = texts.map((text) => (text.includes('\\')
    ? `${entityAttribute.name} STARTS_WITH "${text.slice(0, text.indexOf('\\'))}"`
    : `${entityAttribute.name} = "${text}"`));
  return {
    clause: clauses.length === 1 ? clauses[0]! : `(${clauses.join(' OR ')})`,
    matches: (entity) => entity !== null && entity !== undefined && texts.includes(entity),
  };
}

export const explainQuery = z.object({ kind: z.enum(ENTITY_KINDS).optional() }).strict();

/** The newest incidents shown: open ones first, then the most recently closed, as the visibility store orders them. */
const MAX_INCIDENTS = 20;
/** Per Temporal call: a missing worker costs one incident's detail, never the answer. */
const CALL_TIMEOUT_MS = 5_000;

export interface BlockView {
  workflowId: string;
  running: boolean;
  state?: string;
  points?: string[];
  expiresAt?: string | null;
  leases?: { requester: string; until: string; incident: boolean }[];
  pointErrors?: Record<string, string>;
}

export interface ExplainedAction {
  kind: string;
  target: string;
  outcome: ActionRecord['outcome'];
  detail: string;
  at: string;
  error?: string;
  /** For a block: its workflow as it is now. */
  block?: BlockView;
}

export interface ExplainedIncident {
  id: string;
  playbook: string;
  open: boolean;
  startedAt: string;
  closedAt: string | null;
  status: string | null;
  /** One sentence: what its status means for the entity. */
  reason: string;
  /** Absent when the incident's state could not be read; `reason` says why. */
  mode?: string;
  policyVersion?: string;
  paused?: boolean;
  plan?: string[];
  alerts?: { count: number; received: number; maxSeverity: number; sampleIds: string[] };
  approvalReasons?: string[];
  approvals?: { given: ApprovalDecision[]; needed: number | null };
  decision?: ApprovalDecision & { decision: 'approved' | 'rejected' };
  verdict?: VerdictRecord;
  actions?: ExplainedAction[];
}

export interface Explanation {
  entity: string;
  kind: EntityKind;
  verdict: 'acted_on' | 'not_acted_on' | 'no_incident';
  reasons: string[];
  incidents: ExplainedIncident[];
  block?: BlockView;
  policy: { version: string; allowlisted?: string; protectedBy?: string };
  /** The live exception covering the entity (POST /v1/exceptions), if any. */
  exception?: Exception;
}

export interface ExplainRouteDeps {
  client: Client;
  /** The main task queue, whose control workflow holds the kill switch and the breaker. */
  taskQueue: string;
  policy: () => PolicySnapshot;
}

/**
 * `GET /v1/explain/:entity[?kind=address|user|host|url|domain]`: why an entity is or is not acted on now. The entity is
 * read as the kind given, else as every kind it can be (URL-encode a URL, a range or `corp\alice` in the path). Answers
 *
 *   { entity, kind, verdict: 'acted_on' | 'not_acted_on' | 'no_incident', reasons: string[], incidents: [...],
 *     block?: {...}, policy: { version, allowlisted?, protectedBy? }, exception? }
 *
 * - `entity`, `kind`: the canonical text and the kind it was read as (an incident's kind wins over a guess);
 * - `verdict`: `acted_on` while a containment action is in effect (a block running and applied at one enforcement
 *   point at least, a host isolated, a user disabled…); `no_incident` when no incident names it and no block workflow
 *   runs for it; else `not_acted_on`;
 * - `reasons`: sentences for a person: what is in effect, or why not (each incident's status, the allowlist or a
 *   protect pattern of the current policy, the kill switch, the circuit breaker);
 * - `incidents`: up to 20, open first then the most recently closed: `{ id, playbook, open, startedAt, closedAt,
 *   status, reason, mode, policyVersion, paused, plan, alerts: { count, received, maxSeverity, sampleIds },
 *   approvalReasons?, approvals: { given: [{by, at, comment?}], needed }, decision?, verdict?, actions: [{ kind,
 *   target, outcome, detail, at, error?, block?: { workflowId, running, state, points, expiresAt, leases,
 *   pointErrors } }] }`; a closed incident's state is its workflow's result;
 * - `block`: for an address, its running `block:<address>` workflow: `{ workflowId, running, state, points,
 *   expiresAt, leases: [{ requester, until, incident }], pointErrors }`;
 * - `policy`: the current policy's version, and the allowlist entry or protect pattern that covers the entity;
 * - `exception`: the live exception (POST /v1/exceptions) that covers it, if any.
 *
 * A text that is no entity (or not of the kind given) gets 400 naming `entity` (or `query.kind`).
 */
export function explainRouter({ client, taskQueue, policy }: ExplainRouteDeps): Router {
  const router = Router();

  router.get('/v1/explain/:entity', async (req, res) => {
    const query = explainQuery.safeParse(req.query);
    if (!query.success) throw new HttpError(400, 'validation_failed', 'invalid query', zodIssues(query.error, ['query']));
    const readings = readEntity(req.params.entity, query.data.kind, 'entity');
    const snapshot = policy();
    const blocks = blockReader(client, blockShards({ client, taskQueue, enforcementTaskQueue: ENFORCEMENT_TASK_QUEUE }));
    const found = await incidentsFor(client, readings);
    const kind = readings.find((r) => found.some((wf) => playbookByName(playbookOf(wf.workflowId))?.entityKind === r.kind))?.kind ?? readings[0]!.kind;
    const canonical = readings.find((r) => r.kind === kind)!.canonical;
    const [incidents, block, control] = await Promise.all([
      Promise.all(found.map((wf) => explainIncident(client, wf, blocks))),
      kind === 'address' ? blocks({ address: canonical }) : undefined,
      readControl(client, taskQueue),
    ]);
    const cover = coverOf(kind, canonical, snapshot);
    const exception = control instanceof Error ? undefined : exceptionFor(kind, canonical, control.exceptions ?? [], Date.now());
    const activeBlock = block?.running ? block : undefined;
    const inEffect = incidents.flatMap((incident) => (incident.actions ?? []).filter(isInEffect).map((action) => ({ incident, action })));
    const verdict = inEffect.length > 0 || (activeBlock && holds(activeBlock)) ? 'acted_on' : incidents.length > 0 || activeBlock ? 'not_acted_on' : 'no_incident';

    const reasons: string[] = [];
    for (const { incident, action } of inEffect) reasons.push(`${incident.id}: ${action.detail}${action.block?.expiresAt ? ` until ${action.block.expiresAt}` : ''}`);
    if (activeBlock) reasons.push(describeBlock(canonical, activeBlock));
    if (verdict !== 'acted_on') for (const incident of incidents) reasons.push(`${incident.id} (${incident.status ?? 'unknown'}): ${incident.reason}`);
    if (verdict === 'no_incident') reasons.push(`no open or recent incident names ${canonical}`);
    if (cover.reason) reasons.push(cover.reason);
    if (exception) reasons.push(`${canonical} is covered by ${describeException(exception)}: never acted on while it lasts`);
    reasons.push(...controlReasons(control));
    const others = readings.filter((r) => r.kind !== kind && r.canonical === canonical).map((r) => r.kind);
    if (query.data.kind === undefined && found.length === 0 && others.length > 0) {
      reasons.push(`read as ${article(kind)} ${kind}; it is also a valid ${others.join(' and ')}: pass kind to choose`);
    }

    const answer: Explanation = {
      entity: canonical,
      kind,
      verdict,
      reasons,
      incidents,
      ...(activeBlock ? { block: activeBlock } : {}),
      policy: { version: snapshot.version, ...cover.policy },
      ...(exception ? { exception } : {}),
    };
    res.json(answer);
  });

  return router;
}

const article = (word: string) => (/^[aeiou]/.test(word) ? 'an' : 'a');
const playbookOf = (id: string) => id.slice(0, id.indexOf(':'));

/** Incident workflows about the entity, one per id (a continued run is listed once per run). */
async function incidentsFor(client: Client, readings: readonly EntityReading[]): Promise<WorkflowExecutionInfo[]> {
  const ids = new Set(readings.flatMap((r) => playbooksOf(r.kind).map((name) => `${name}:${r.canonical}`)));
  const found = new Map<string, WorkflowExecutionInfo>();
  const filter = entityFilter(readings);
  let scanned = 0;
  for await (const wf of client.workflow.list({ query: `WorkflowType = "incidentWorkflow" AND ${filter.clause}`, pageSize: MAX_INCIDENTS })) {
    if (ids.has(wf.workflowId) && filter.matches(wf.typedSearchAttributes.get(entityAttribute)) && !found.has(wf.workflowId)) found.set(wf.workflowId, wf);
    if (found.size >= MAX_INCIDENTS || ++scanned >= MAX_SCANNED) break;
  }
  return [...found.values()];
}

const playbooksOf = (kind: EntityKind) => playbooks.filter((p) => p.entityKind === kind).map((p) => p.name);

/** Where a running block is applied; undefined when its workflow did not say (no worker answered). */
const appliedAt = (block: BlockView) => block.points?.filter((point) => !block.pointErrors?.[point]);

/** A running block that holds at one enforcement point at least: one whose every point failed blocks nothing. */
const holds = (block: BlockView) => block.running && (appliedAt(block)?.length ?? 1) > 0;

/** A containment action whose effect lasts: done, and for a block, its workflow still blocking. */
function isInEffect(action: ExplainedAction): boolean {
  if (action.outcome !== 'done' || !actionKind(action.kind)?.containment) return false;
  return action.block === undefined || holds(action.block);
}

/** What names a block: its address (held by a shard), or a block workflow of its own (blocks made before the shards). */
type BlockRef = { address: string } | { workflowId: string };

/** Reads each block once per request, however many incidents name the same one. */
function blockReader(client: Client, shards: BlockShards): (ref: BlockRef) => Promise<BlockView | undefined> {
  const seen = new Map<string, Promise<BlockView | undefined>>();
  return (ref) => {
    const key = 'address' in ref ? `address ${ref.address}` : ref.workflowId;
    if (!seen.has(key)) seen.set(key, 'address' in ref ? readShardBlock(client, shards, ref.address) : readBlock(client, ref.workflowId));
    return seen.get(key)!;
  };
}

async function readShardBlock(client: Client, shards: BlockShards, address: string): Promise<BlockView | undefined> {
  try {
    const block = await client.withDeadline(Date.now() + CALL_TIMEOUT_MS, () => shards.read(address));
    if (!block) return undefined;
    const pointErrors = Object.fromEntries(Object.entries(block.points).filter(([, point]) => point.state !== 'applied' && point.error).map(([name, point]) => [name, point.error!]));
    return { workflowId: block.workflowId, running: true, state: block.state, points: Object.keys(block.points), expiresAt: block.expiresAt, leases: block.leases, pointErrors };
  } catch {
    // Held but unanswered (no worker): still say so, without what only the worker knows.
    return { workflowId: 'unknown', running: true };
  }
}

async function readBlock(client: Client, workflowId: string): Promise<BlockView | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const description = await client.withDeadline(Date.now() + CALL_TIMEOUT_MS, () => handle.describe());
    if (description.status.name !== 'RUNNING') return { workflowId, running: false };
    const state = await client.withDeadline(Date.now() + CALL_TIMEOUT_MS, () => handle.query(blockStatusQuery));
    return {
      workflowId,
      running: true,
      state: state.state,
      points: state.points,
      expiresAt: state.expiresAt > 0 ? new Date(state.expiresAt).toISOString() : null,
      leases: Object.entries(state.leases ?? {}).map(([requester, lease]) => ({ requester, until: new Date(lease.until).toISOString(), incident: lease.incident })),
      pointErrors: state.pointErrors,
    };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    // Running but unanswered (no worker): still say it runs, without what only the worker knows.
    return { workflowId, running: true };
  }
}

function describeBlock(address: string, block: BlockView): string {
  const holders = (block.leases ?? []).map((l) => l.requester);
  const applied = appliedAt(block);
  const errors = Object.entries(block.pointErrors ?? {}).map(([point, error]) => `${point} failed: ${error}`);
  const workflow = `${block.workflowId}, ${block.state ?? 'state unknown'}${holders.length > 0 ? `, held by ${holders.join(', ')}` : ''}`;
  if (applied?.length === 0) return `${address} is not blocked anywhere, though ${block.workflowId} runs (${block.state ?? 'state unknown'}): ${errors.join('; ')}`;
  const where = applied ? ` at ${applied.join(', ')}` : '';
  const until = block.expiresAt ? ` until ${block.expiresAt}` : '';
  return `${address} is blocked${where}${until} (${workflow})${errors.length > 0 ? `; ${errors.join('; ')}` : ''}`;
}

/** The incident's state: queried while it runs, its workflow's result once closed. */
async function readIncident(client: Client, wf: WorkflowExecutionInfo): Promise<{ state: IncidentState; timeline: TimelineEntry[] }> {
  const handle = client.workflow.getHandle(wf.workflowId);
  return client.withDeadline(Date.now() + CALL_TIMEOUT_MS, async () => {
    if (wf.status.name === 'RUNNING') return { state: await handle.query(statusQuery), timeline: await handle.query(timelineQuery) };
    return { state: (await handle.result()) as IncidentState, timeline: [] };
  });
}

async function explainIncident(client: Client, wf: WorkflowExecutionInfo, blocks: (ref: BlockRef) => Promise<BlockView | undefined>): Promise<ExplainedIncident> {
  const base = {
    id: wf.workflowId,
    playbook: playbookOf(wf.workflowId),
    open: wf.status.name === 'RUNNING',
    startedAt: wf.startTime.toISOString(),
    closedAt: wf.closeTime?.toISOString() ?? null,
  };
  let read: { state: IncidentState; timeline: TimelineEntry[] };
  try {
    read = await readIncident(client, wf);
  } catch (err) {
    return { ...base, status: wf.typedSearchAttributes.get(statusAttribute) ?? null, reason: `its state could not be read (workflow ${wf.status.name.toLowerCase()}): ${(err as Error).message}` };
  }
  const { state, timeline } = read;
  const actions = await Promise.all(state.actions.map(async (a): Promise<ExplainedAction> => {
    const ref = a.kind === 'block' ? a.result?.ref : undefined;
    const block = ref?.address ? await blocks({ address: ref.address }) : ref?.workflowId ? await blocks({ workflowId: ref.workflowId }) : undefined;
    return { kind: a.kind, target: a.target, outcome: a.outcome, detail: a.detail, at: a.at, ...(a.error ? { error: a.error } : {}), ...(block ? { block } : {}) };
  }));
  return {
    ...base,
    status: state.status,
    reason: statusReason(state, timeline, actions),
    mode: state.mode,
    policyVersion: state.policyVersion,
    paused: state.paused,
    plan: state.plan,
    alerts: { count: state.alertCount, received: state.alertsReceived, maxSeverity: state.maxSeverity, sampleIds: state.sampleAlerts.map((s) => s.id) },
    ...(state.approvalReasons ? { approvalReasons: state.approvalReasons } : {}),
    approvals: { given: state.approvals ?? [], needed: state.approvalsNeeded ?? null },
    ...(state.approval ? { decision: state.approval } : {}),
    ...(state.verdict ? { verdict: state.verdict } : {}),
    actions,
  };
}

/** The newest timeline entry of an event, for the detail a status was set with. */
const latest = (timeline: readonly TimelineEntry[], event: string) => [...timeline].reverse().find((e) => e.event === event);

function statusReason(state: IncidentState, timeline: readonly TimelineEntry[], actions: readonly ExplainedAction[]): string {
  const details = (outcome: string) => actions.filter((a) => a.outcome === outcome && a.kind !== 'notify').map((a) => a.detail);
  const alerts = `${state.alertCount} alert(s), severity ${state.maxSeverity}`;
  switch (state.status) {
    case 'triage': return 'being triaged';
    case 'watching': return `below the playbook's thresholds so far (${alerts})${latest(timeline, 'status:watching')?.detail ? `: ${latest(timeline, 'status:watching')!.detail}` : ''}`;
    case 'below_threshold': return `below the playbook's thresholds (${alerts}): recorded, nothing contained`;
    case 'awaiting_approval': {
      const given = state.approvals ?? [];
      const who = given.length > 0 ? ` (by ${given.map((a) => a.by).join(', ')})` : '';
      return `held for approval: ${(state.approvalReasons ?? []).join('; ') || 'the policy asks for a person'}; ${given.length} of ${state.approvalsNeeded ?? 1} approval(s) given${who}`;
    }
    case 'paused': {
      if (state.paused) {
        const paused = latest(timeline, 'paused');
        return `paused${paused?.by ? ` by ${paused.by}` : ''}${paused?.detail ? `: ${paused.detail}` : ''}; nothing is contained until it is resumed`;
      }
      const held = latest(timeline, 'status:paused')?.detail;
      return `held by the kill switch${held ? ` (${held})` : ''}: containment waits until an admin resumes`;
    }
    case 'containing': return `containment under way${latest(timeline, 'status:containing')?.detail ? `: ${latest(timeline, 'status:containing')!.detail}` : ''}`;
    case 'contained': return `contained: ${details('done').join('; ') || 'its containment is done'}`;
    case 'observed': return `observe mode: would ${state.plan.join('; ')}; nothing was contained`;
    case 'rejected': return `rejected${state.approval ? ` by ${state.approval.by}${state.approval.comment ? `: ${state.approval.comment}` : ''}` : ''}`;
    case 'expired': return 'nobody approved in time: denied';
    case 'allowlisted':
    case 'protected': return `refused: ${details('refused').join('; ')}`;
    case 'failed': return `failed: ${actions.filter((a) => a.outcome === 'failed').map((a) => `${a.detail}: ${a.error ?? 'error'}`).join('; ')}`;
    case 'reverted': return `a false positive${state.verdict ? ` (verdict by ${state.verdict.by})` : ''}: its actions were reverted`;
    case 'lifted': return 'its block was lifted early';
    case 'ended': return 'its block expired';
    case 'responded': {
      const skipped = details('skipped');
      return `no containment: done ${details('done').join('; ') || 'nothing'}${skipped.length > 0 ? `; skipped ${skipped.join('; ')}` : ''}`;
    }
    case 'closed': return 'closed';
  }
}

/** The allowlist entry (addresses) or protect pattern (everything else) of the current policy that covers the entity. */
function coverOf(kind: EntityKind, canonical: string, snapshot: PolicySnapshot): { policy: { allowlisted?: string; protectedBy?: string }; reason?: string } {
  if (kind === 'address') {
    const hit = allowlistOverlap(canonicalBlockTarget(canonical), snapshot.allowlist.map(canonicalCidr));
    return hit ? { policy: { allowlisted: hit.text }, reason: `${canonical} ${canonical.includes('/') ? 'overlaps' : 'is on'} the allowlist (${hit.text}, policy ${snapshot.version}): never blocked` } : { policy: {} };
  }
  const pattern = protectedBy(kind, canonical, compileProtect(snapshot.protect));
  const section = kind === 'user' ? 'users' : kind === 'host' ? 'hosts' : 'domains';
  return pattern
    ? { policy: { protectedBy: pattern }, reason: `${canonical} is protected by the protect.${section} pattern ${pattern} (policy ${snapshot.version}): never acted on` }
    : { policy: {} };
}

async function readControl(client: Client, taskQueue: string): Promise<ControlState | Error> {
  try {
    return await client.withDeadline(Date.now() + CALL_TIMEOUT_MS, () => readKillSwitch(client, taskQueue));
  } catch (err) {
    return err as Error;
  }
}

function controlReasons(control: ControlState | Error): string[] {
  if (control instanceof Error) return [`the kill switch and circuit breaker could not be read (${control.message}): containment may be held`];
  const reasons: string[] = [];
  if (control.paused) {
    reasons.push(`the kill switch is on (set by ${control.by ?? 'unknown'}${control.at ? ` at ${control.at}` : ''}${control.reason ? `: ${control.reason}` : ''}): no containment runs until an admin resumes`);
  }
  if (control.breaker?.tripped) {
    reasons.push(`the circuit breaker has tripped${control.breaker.at ? ` (at ${control.breaker.at})` : ''}: automatic blocks wait for a person's approval until an admin resets it`);
  }
  return reasons;
}
