import { condition } from '@temporalio/workflow';
import { formatDuration } from '../../domain/duration.ts';
import type { Incident } from './incident.ts';

/**
 * Waits for enough people's approval, or one rejection. On timeout the policy denies, or first escalates and gives the
 * escalation one more approval timeout before denying. True when approved.
 */
export async function awaitApproval(incident: Incident, reasons: string[], approvals: number): Promise<boolean> {
  const { policy, state } = incident;
  incident.decision = undefined;
  state.approvalReasons = reasons;
  state.approvals = [];
  state.approvalsNeeded = approvals;
  const who = approvals > 1 ? `${approvals} different people` : 'a person';
  incident.setStatus('awaiting_approval', `${reasons.join('; ')}; needs ${who}; times out in ${formatDuration(policy.approvalTimeout)}`);
  incident.notify(policy.notify, `Awaiting approval (${who}) to ${state.plan.join('; ')} (${reasons.join('; ')})`);
  let decided = await condition(() => incident.decision !== undefined, policy.approvalTimeout);
  if (!decided && policy.onApprovalTimeout === 'escalate') {
    state.escalated = { at: new Date().toISOString(), routes: [...policy.escalateTo] };
    incident.record('escalated', `no decision after ${formatDuration(policy.approvalTimeout)}: escalated to ${policy.escalateTo.join(', ')}`);
    incident.notify(policy.escalateTo, `ESCALATED: nobody approved or rejected ${state.plan.join('; ')} within ${formatDuration(policy.approvalTimeout)}`);
    decided = await condition(() => incident.decision !== undefined, policy.approvalTimeout);
  }
  if (!decided) {
    incident.setStatus('expired', `approval timed out${state.escalated ? ' after escalation' : ''}: denied`);
    incident.notify(policy.notify, `Denied: nobody approved ${state.plan.join('; ')} in time`);
    return false;
  }
  if (incident.decision === 'rejected') {
    incident.setStatus('rejected');
    return false;
  }
  return true;
}
