import { createHash, randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';

/**
 * What a workflow knows about why an action happens; threaded from the incident (policy version, alert ids, approver)
 * through the block workflow into every enforcement and notification activity.
 */
export interface AuditContext {
  incidentId?: string;
  /** Ids of the incident's sample alerts (the first and the latest, never all of them). */
  alertIds?: string[];
  /** The shard workflow holding the block (`riposte-blocks:<queue>:<n>`; `block:<ip>` before the shards), for enforcement calls. */
  blockWorkflowId?: string;
  /** Hash of the policy file the incident was started under. */
  policyVersion?: string;
  /** `automation`, or the named principal who caused the action (an approver, the person who unblocked). */
  actor?: string;
  /** Why: the block reason, `expired`, or the unblock reason. */
  reason?: string;
  /** When the incident opened (ISO 8601): its time to contain is measured from here. */
  incidentOpenedAt?: string;
}

export const AUTOMATION = 'automation';

/** `block.apply`, `block.remove`, `notify`, or `<action kind>.apply` and `<action kind>.revert` (domain/actions/). */
export type AuditAction = string;
/** An attempt writes `before` then `after`; an `event` is a fact an incident recorded (its decision, a verdict), nothing attempted. */
export type AuditPhase = 'before' | 'after' | 'event';
export type AuditResult = 'success' | 'failure' | 'skipped';

/** The Temporal activity attempt that wrote a record: what makes its id stable across re-deliveries of that attempt. */
export interface ActivityIdentity {
  namespace: string;
  workflowId: string;
  runId: string;
  activityId: string;
  activityType: string;
  attempt: number;
}

/** One line of the audit trail. Every attempt writes a `before` record, then an `after` record with its result. */
export interface AuditRecord {
  /** Idempotency key: a hash of (namespace, workflowId, runId, activityId, attempt, phase). Sinks drop repeats. */
  id: string;
  /** ISO 8601, when the record was made. */
  at: string;
  phase: AuditPhase;
  action: AuditAction;
  /** The enforcement point or notification route. */
  point?: string;
  route?: string;
  /** The address blocked or unblocked, or the incident's entity for a notification. */
  target: string;
  /** What exactly was attempted, e.g. `{ expiresAt }` for a block. */
  parameters: Record<string, unknown>;
  trigger: { incidentId: string | null; alertIds: string[]; blockWorkflowId: string | null; reason: string | null; incidentOpenedAt?: string };
  actor: { kind: 'automation' | 'principal'; name: string };
  policyVersion: string | null;
  activity: ActivityIdentity | null;
  /** After records only. */
  result?: AuditResult;
  error?: string;
  durationMs?: number;
}

const MAX_TEXT = 1_000;
const MAX_ALERT_IDS = 20;

export const clip = (text: string, max = MAX_TEXT): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The running activity's identity, or null outside an activity (then records get random ids and no dedupe). */
export function currentActivity(): ActivityIdentity | null {
  let info: Context['info'];
  try {
    info = Context.current().info;
  } catch {
    return null;
  }
  if (!info.workflowExecution) return null;
  return {
    namespace: info.workflowNamespace ?? info.namespace,
    workflowId: info.workflowExecution.workflowId,
    runId: info.workflowExecution.runId,
    activityId: info.activityId,
    activityType: info.activityType,
    attempt: info.attempt,
  };
}

/** `item` tells apart the records of one attempt that acts on many targets (a batch of blocks). */
export function recordId(activity: ActivityIdentity | null, phase: AuditPhase, item?: string): string {
  if (!activity) return randomUUID().replaceAll('-', '');
  const identity = [activity.namespace, activity.workflowId, activity.runId, activity.activityId, activity.attempt, phase, ...(item === undefined ? [] : [item])];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex').slice(0, 32);
}

export interface AttemptDescription {
  action: AuditAction;
  target: string;
  point?: string;
  route?: string;
  parameters: Record<string, unknown>;
  context?: AuditContext;
}

/** The fields a `before` and its `after` record share. */
export function baseRecord(attempt: AttemptDescription, activity: ActivityIdentity | null): Omit<AuditRecord, 'id' | 'at' | 'phase'> {
  const ctx = attempt.context ?? {};
  const actor = ctx.actor && ctx.actor !== AUTOMATION ? { kind: 'principal' as const, name: clip(ctx.actor, 200) } : { kind: 'automation' as const, name: AUTOMATION };
  return {
    action: attempt.action,
    ...(attempt.point !== undefined ? { point: attempt.point } : {}),
    ...(attempt.route !== undefined ? { route: attempt.route } : {}),
    target: clip(attempt.target, 200),
    parameters: attempt.parameters,
    trigger: {
      incidentId: ctx.incidentId ?? null,
      alertIds: (ctx.alertIds ?? []).slice(0, MAX_ALERT_IDS).map((id) => clip(id, 200)),
      blockWorkflowId: ctx.blockWorkflowId ?? null,
      reason: ctx.reason === undefined ? null : clip(ctx.reason),
      ...(ctx.incidentOpenedAt !== undefined ? { incidentOpenedAt: ctx.incidentOpenedAt } : {}),
    },
    actor,
    policyVersion: ctx.policyVersion ?? null,
    activity,
  };
}

/** Where audit records go. Implementations must be safe to call concurrently. */
export interface AuditSink {
  /**
   * Resolves once the records are durable in this sink, or known to be there already (same id). Rejects when they
   * could not be stored; a sink that delivers in the background (HTTP) never rejects.
   */
  append(records: readonly AuditRecord[]): Promise<void>;
  /** Flushes what it can and releases the sink. */
  close(): Promise<void>;
}

/** Reads the trail back, for `GET /v1/audit`. */
export interface AuditQuery {
  incident?: string;
  /** Epoch milliseconds: records at or after this time. */
  since?: number;
  limit: number;
}

export interface AuditPage {
  /** Oldest first, newest last: the newest `limit` records that match. */
  records: AuditRecord[];
  /** More matching records exist (or the scan bound was reached) before the first one returned. */
  truncated: boolean;
}

export interface AuditReader {
  query(query: AuditQuery): Promise<AuditPage>;
  /** Every record made at or after `since` and before `until` (epoch milliseconds), newest first: for reports. */
  between(window: { since: number; until: number }): AsyncIterable<AuditRecord>;
  /** Calls `onRecord` with each record written after `ready`, for GET /v1/events. Absent: no live feed. */
  follow?(onRecord: (record: AuditRecord) => void): { ready: Promise<void>; stop(): void };
}
