/**
 * What an incident decides from its alerts, its plan and its policy, with no I/O: the incident workflow
 * (workflows/incident/) and `riposte simulate` (domain/simulation.ts) call these same functions, so a simulation
 * cannot drift from the live decision.
 */

import type { Guard } from './actions/action.ts';
import { activeWindow } from './autoApproveWindow.ts';
import type { PlaybookPolicy, PolicySnapshot } from './policy.ts';
import { decideStep, type PlanStep } from './responsePlan.ts';

/** A playbook's planned action (playbooks/playbook.ts `PlannedAction`), as decideStep reads it. */
type Planned = Parameters<typeof decideStep>[0];

/** Below either threshold an incident is only watched: recorded and notified, nothing contained. */
export function thresholdsMet(thresholds: PlaybookPolicy['thresholds'], seen: { alertCount: number; maxSeverity: number }): boolean {
  return seen.alertCount >= thresholds.minAlerts && seen.maxSeverity >= thresholds.minSeverity;
}

export interface PlanDecision {
  steps: PlanStep[];
  /** The auto-approve window that let containment run without a person, when one did. */
  autoApprovedBy?: string;
}

export interface PlanContext {
  incidentId: string;
  policy: PolicySnapshot;
  playbook: PlaybookPolicy;
  guard: Guard | undefined;
  /** When the decision is taken (ms): the auto-approve windows are read at this time. */
  at: number;
}

/** The plan, each action decided by the policy; an approve-mode playbook inside one of its windows needs no person. */
export function decidePlan(planned: readonly Planned[], ctx: PlanContext): PlanDecision {
  const window = ctx.playbook.mode === 'approve' ? activeWindow(ctx.playbook.autoApproveWindows, ctx.playbook.timeZone, ctx.at) : undefined;
  const context = { incidentId: ctx.incidentId, policy: ctx.policy, playbook: ctx.playbook, guard: ctx.guard, window: window?.text };
  const steps = planned.map((action) => decideStep(action, context));
  const autoApproved = window !== undefined && steps.some((s) => s.disposition === 'run' && s.containment);
  return autoApproved ? { steps, autoApprovedBy: window.text } : { steps };
}

/** The one wait for people that the held steps share: every reason once, and the most approvers any of them needs. */
export function approvalWait(steps: readonly PlanStep[]): { reasons: string[]; approvals: number } | undefined {
  const held = steps.filter((s) => s.disposition === 'approve');
  if (held.length === 0) return undefined;
  return { reasons: [...new Set(held.flatMap((s) => s.reasons))], approvals: Math.max(...held.map((s) => s.approvals)) };
}
