import { approvalWait, decidePlan } from '../../domain/incidentDecision.ts';
import { type PlanStep, responseStatus, responseSummary } from '../../domain/responsePlan.ts';
import type { Facts } from '../../playbooks/playbook.ts';
import { awaitApproval } from './approval.ts';
import { auditDecision } from './auditEvents.ts';
import { runAlongside, runSteps } from './act.ts';
import type { Incident } from './incident.ts';
import { guardOf } from '../../domain/actions/guard.ts';
import { revertAll } from './revert.ts';
import { gatherFacts, thresholdsReached } from './triage.ts';

/**
 * Triage, decide, act on what may run at once, wait for people where the policy says so, act on the rest, report.
 * Reads top to bottom like the playbook it runs.
 */
export async function respond(incident: Incident): Promise<void> {
  if (!(await thresholdsReached(incident))) return;
  const steps = decide(incident, await gatherFacts(incident));
  const now = steps.filter((s) => s.disposition === 'run');
  const held = steps.filter((s) => s.disposition === 'approve');
  const wait = approvalWait(steps);
  // Tickets, messages and the decision's audit record go alongside containment, never in its way: each containment
  // step still waits its turn.
  const [ran] = await Promise.all([
    runSteps(incident, now.filter((s) => s.containment)), runAlongside(incident, now.filter((s) => !s.containment)), auditDecision(incident),
  ]);
  if (ran && wait) {
    if (await awaitApproval(incident, wait.reasons, wait.approvals)) await runSteps(incident, held);
    else for (const step of held) incident.addAction({ kind: step.kind, target: step.target, params: step.params, detail: step.description, outcome: 'denied', idempotencyKey: step.idempotencyKey });
  }
  if (incident.falsePositive) {
    // A false positive that landed while an action was under way is reverted once it has returned.
    await revertAll(incident, incident.state.verdict!.by);
    if (incident.state.status !== 'reverted') incident.setStatus('reverted', `false positive, by ${incident.state.verdict!.by}`);
    return;
  }
  report(incident);
}

/** The playbook's plan, each action decided by the policy; refusals and observe-mode actions are recorded at once. */
function decide(incident: Incident, facts: Facts): PlanStep[] {
  const { input, policy, state } = incident;
  const context = { incidentId: state.id, policy: input.policy, playbook: policy, guard: guardOf(input.policy), at: Date.now() };
  const { steps, autoApprovedBy } = decidePlan(incident.playbook.plan(facts, policy), context);
  incident.steps = steps;
  state.plan = steps.map((s) => s.description);
  if (autoApprovedBy) {
    state.approval = { decision: 'approved', by: 'automation', comment: `auto-approved by window ${autoApprovedBy} (${policy.timeZone})`, at: new Date().toISOString() };
    incident.record('auto_approved', state.approval.comment);
  }
  for (const step of steps) {
    if (step.disposition === 'refused' || step.disposition === 'would_do') {
      incident.addAction({ kind: step.kind, target: step.target, params: step.params, detail: step.disposition === 'refused' ? step.reasons.join('; ') : step.description, outcome: step.disposition, idempotencyKey: step.idempotencyKey });
    }
  }
  return steps;
}

/** The final status from what became of the actions, told on the playbook's routes. */
function report(incident: Incident): void {
  const { state, steps } = incident;
  if (state.status === 'rejected' || state.status === 'expired') return;
  const status = responseStatus(state.actions, steps);
  incident.setStatus(status, status === 'observed' ? 'observe mode: nothing was contained' : undefined);
  incident.notify(incident.policy.notify, responseSummary(status, state.actions, state.plan));
}
