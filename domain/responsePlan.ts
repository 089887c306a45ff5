import type { ActionKind, Guard } from './actions/action.ts';
import { tooWide } from './actions/block.ts';
import { actionKind } from './actions/index.ts';
import type { ActionRecord, IncidentStatus } from './incident.ts';
import type { Mode, PlaybookPolicy, PolicySnapshot } from './policy.ts';

/** A planned action once the policy has spoken: refused, only recorded, run at once, or held for approval. */
export interface PlanStep {
  kind: string;
  params: unknown;
  target: string;
  description: string;
  idempotencyKey: string;
  disposition: 'refused' | 'would_do' | 'run' | 'approve';
  /** The refusal, or why approval is needed. */
  reasons: string[];
  /** Distinct approvers needed, for `approve`. */
  approvals: number;
  containment: boolean;
  holds: boolean;
  revertible: boolean;
  breaker: boolean;
}

export interface DecisionContext {
  incidentId: string;
  policy: PolicySnapshot;
  playbook: PlaybookPolicy;
  guard: Guard | undefined;
  /** The auto-approve window open now, if any. */
  window?: string;
}

/**
 * Decides one planned action. Order matters: what the guard forbids is refused in every mode (fail closed when the
 * guard could not be built); observe mode only records containment; then the reasons a person must look. Approve mode
 * is waived, as in auto mode, inside an auto-approve window or when the plan says why (`autoBecause`: the reputation
 * met the policy's autoWhen), never over a mandatory reason.
 */
export function decideStep(planned: { kind: string; params: unknown; mustApprove?: string; autoBecause?: string }, ctx: DecisionContext): PlanStep {
  const kind = actionKind(planned.kind);
  if (!kind) return refusedStep(planned, `unknown action ${planned.kind}`);
  const parsed = kind.params.safeParse(planned.params);
  if (!parsed.success) return refusedStep(planned, `invalid parameters for ${kind.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const params = parsed.data;
  const base = baseStep(kind, params, ctx.incidentId);
  const refusal = ctx.guard ? kind.refusal(params, ctx.guard) : kind.containment ? 'the allowlist or protect list could not be read' : undefined;
  if (refusal) return { ...base, disposition: 'refused', reasons: [refusal] };
  if (!kind.containment) return { ...base, disposition: 'run' };
  const mode: Mode = ctx.playbook.actionModes[kind.name] ?? ctx.playbook.mode;
  if (mode === 'observe') return { ...base, disposition: 'would_do' };
  const reasons = mandatoryReasons(kind, params, planned.mustApprove, ctx.policy);
  const waived = ctx.window !== undefined || planned.autoBecause !== undefined;
  if (mode === 'approve' && !(waived && reasons.length === 0)) reasons.unshift(`${kind.name} is in approve mode`);
  if (reasons.length === 0) return { ...base, disposition: 'run' };
  return { ...base, disposition: 'approve', reasons, approvals: approvalsNeeded(kind, params, ctx.policy) };
}

function baseStep(kind: ActionKind<unknown>, params: unknown, incidentId: string): PlanStep {
  return {
    kind: kind.name,
    params,
    target: kind.target(params),
    description: kind.describe(params),
    idempotencyKey: kind.idempotencyKey(incidentId, params),
    disposition: 'run',
    reasons: [],
    approvals: 1,
    containment: kind.containment,
    holds: kind.holds,
    revertible: kind.revert !== undefined,
    breaker: kind.breaker,
  };
}

function refusedStep(planned: { kind: string; params: unknown }, reason: string): PlanStep {
  return {
    kind: planned.kind, params: planned.params, target: '', description: planned.kind, idempotencyKey: '', disposition: 'refused',
    reasons: [reason], approvals: 1, containment: true, holds: true, revertible: false, breaker: false,
  };
}

/** Reasons that hold an action for a person whatever the mode or window: the playbook's own, and over-wide ranges. */
function mandatoryReasons(kind: ActionKind<unknown>, params: unknown, mustApprove: string | undefined, policy: PolicySnapshot): string[] {
  const reasons = mustApprove ? [mustApprove] : [];
  const wide = wideBlock(kind, params, policy);
  if (wide !== undefined) reasons.push(`${(params as { address: string }).address} is wider than /${wide}: ranges that wide need approval in every mode`);
  return reasons;
}

function wideBlock(kind: ActionKind<unknown>, params: unknown, policy: PolicySnapshot): number | undefined {
  return kind.name === 'block' ? tooWide((params as { address: string }).address, policy) : undefined;
}

/** The two-person rule: the policy's `approvals:` for the kind (`wide_block` for over-wide ranges), 1 by default. */
export function approvalsNeeded(kind: ActionKind<unknown>, params: unknown, policy: PolicySnapshot): number {
  const key = wideBlock(kind, params, policy) !== undefined ? 'wide_block' : kind.approvalKey ?? kind.name;
  return policy.approvals[key] ?? 1;
}

/**
 * Who may add an approval now: not someone who already gave one, and not the person who asked for the action. Returns
 * the refusal, or undefined.
 */
export function approvalRefusal(by: string, given: readonly { by: string }[], requestedBy: string | undefined): string | undefined {
  if (requestedBy !== undefined && by === requestedBy) return `${by} asked for this action and cannot approve it`;
  if (given.some((approval) => approval.by === by)) return `${by} has already approved; another person must give the next approval`;
  return undefined;
}

/**
 * The status an incident ends its response with, from what became of its planned actions (status notifications are
 * not among them: a message that could not be sent fails nothing). `contained` needs an action that holds the entity
 * (a tag does not); `observed` is what observe mode would have held.
 */
export function responseStatus(actions: readonly ActionRecord[], steps: readonly PlanStep[]): IncidentStatus {
  const planned = actions.filter((a) => steps.some((s) => s.idempotencyKey === a.idempotencyKey));
  const step = (a: ActionRecord) => steps.find((s) => s.idempotencyKey === a.idempotencyKey)!;
  const holding = planned.filter((a) => step(a).holds);
  if (planned.some((a) => a.outcome === 'failed')) return 'failed';
  if (holding.some((a) => a.outcome === 'done')) return 'contained';
  if (planned.some((a) => step(a).containment && a.outcome === 'would_do')) return 'observed';
  const containment = planned.filter((a) => step(a).containment);
  const refused = containment.filter((a) => a.outcome === 'refused');
  if (refused.length > 0 && refused.length === containment.length) return refused.some((a) => a.kind === 'block') ? 'allowlisted' : 'protected';
  return 'responded';
}

/** Planned actions that failed; status notifications are not planned actions. */
export function failedSteps(actions: readonly ActionRecord[], steps: readonly PlanStep[]): ActionRecord[] {
  return actions.filter((a) => a.outcome === 'failed' && steps.some((s) => s.idempotencyKey === a.idempotencyKey));
}

/** What the playbook's routes are told when the response is over: the sentence a person reads first. */
export function responseSummary(status: IncidentStatus, actions: readonly ActionRecord[], plan: readonly string[]): string {
  const what = (outcome: string) => actions.filter((a) => a.outcome === outcome && a.kind !== 'notify').map((a) => a.detail);
  const skipped = what('skipped');
  switch (status) {
    case 'contained': return `Done: ${what('done').join('; ')}`;
    case 'responded': return `Done: ${what('done').join('; ') || 'nothing to do'}${skipped.length > 0 ? `; skipped: ${skipped.join('; ')}` : ''}`;
    case 'observed': return `Would ${plan.join('; ')} (observe mode)`;
    case 'failed': return `FAILED: ${actions.filter((a) => a.outcome === 'failed' && a.kind !== 'notify').map((a) => `${a.detail}: ${a.error}`).join('; ')}`;
    case 'allowlisted':
    case 'protected': return `Not done: ${what('refused').join('; ')}`;
    default: return status;
  }
}
