import { ApplicationFailure } from '@temporalio/common';
import { type ActionPorts, type ActionResult, type Guard, type IncidentBrief, UNCHANGED } from '../domain/actions/action.ts';
import { actionKind } from '../domain/actions/index.ts';
import { type Exception, exceptionRefusal } from '../domain/exceptions.ts';
import { audited } from './audit/audited.ts';
import { type AuditContext, type AuditSink, currentActivity } from './audit/record.ts';

export interface ApplyActionInput {
  kind: string;
  params: unknown;
  idempotencyKey: string;
  /** An earlier attempt (the local one) may have acted before it failed. */
  earlierAttempt?: boolean;
  incident: IncidentBrief;
  audit?: AuditContext;
}

export interface RevertActionInput extends ApplyActionInput {
  applied: ActionResult;
  by: string;
}

export interface ActionDeps {
  ports: ActionPorts;
  /** Built once from the worker's policy; undefined when it could not be, and then every guarded action is refused. */
  guard: Guard | undefined;
  /** Throws (retryably) while the kill switch is on. */
  assertContainmentAllowed: () => Promise<void>;
  /** The live exceptions (workflows/control.ts), read fresh: a containment action one covers is refused. */
  exceptions?: () => Promise<readonly Exception[]>;
  audit: AuditSink;
}

/**
 * Runs any response action (domain/actions/) between audit records. The guard is checked here again, whatever the
 * workflow decided, and fails closed; the kill switch is checked before every containment action.
 */
export function createActionActivities({ ports, guard, assertContainmentAllowed, exceptions, audit }: ActionDeps) {
  function prepare({ kind: name, params }: ApplyActionInput) {
    const kind = actionKind(name);
    if (!kind) throw ApplicationFailure.nonRetryable(`unknown action ${name}`, 'UnknownAction');
    const parsed = kind.params.safeParse(params);
    if (!parsed.success) throw ApplicationFailure.nonRetryable(`invalid parameters for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'InvalidParameters');
    return { kind, params: parsed.data };
  }

  return {
    async applyAction(input: ApplyActionInput): Promise<ActionResult> {
      const { kind, params } = prepare(input);
      const attempt = { action: kind.auditAs?.apply ?? `${kind.name}.apply`, target: kind.target(params), parameters: { params, idempotencyKey: input.idempotencyKey }, context: input.audit };
      return audited(audit, attempt, async () => {
        const refusal = guard ? kind.refusal(params, guard) : kind.containment ? 'the allowlist or protect list could not be read' : undefined;
        if (refusal) throw ApplicationFailure.nonRetryable(refusal, 'Protected');
        const excepted = kind.containment && exceptions ? exceptionRefusal(kind, params, await exceptions(), Date.now()) : undefined;
        if (excepted) throw ApplicationFailure.nonRetryable(excepted, 'Protected');
        if (kind.containment) await assertContainmentAllowed();
        const result = await kind.apply(ports, params, input.incident);
        // After an earlier attempt, "already so" may be this incident's own doing: the revert must then undo it.
        if ((input.earlierAttempt || (currentActivity()?.attempt ?? 1) > 1) && result.ref?.[UNCHANGED]) delete result.ref[UNCHANGED];
        return result;
      }, { resultOf: auditResult });
    },

    async revertAction(input: RevertActionInput): Promise<ActionResult> {
      const { kind, params } = prepare(input);
      if (!kind.revert) throw ApplicationFailure.nonRetryable(`${kind.name} cannot be undone`, 'UnknownAction');
      const attempt = { action: kind.auditAs?.revert ?? `${kind.name}.revert`, target: kind.target(params), parameters: { params, idempotencyKey: input.idempotencyKey }, context: { ...input.audit, actor: input.by } };
      return audited(audit, attempt, () => kind.revert!(ports, params, input.incident, input.applied, input.by), { resultOf: auditResult });
    },
  };
}

function auditResult(result: ActionResult) {
  return result.outcome === 'done' ? { result: 'success' as const } : { result: 'skipped' as const, error: result.detail };
}

export type ActionActivities = ReturnType<typeof createActionActivities>;
