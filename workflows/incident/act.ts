import { condition, proxyActivities, proxyLocalActivities, uuid4 } from '@temporalio/workflow';
import type { ActionActivities } from '../../activities/actions.ts';
import type { ControlActivities } from '../../activities/control.ts';
import { actionKind } from '../../domain/actions/index.ts';
import { exceptionRefusal } from '../../domain/exceptions.ts';
import type { ControlState } from '../control.ts';
import { formatDuration } from '../../domain/duration.ts';
import type { PlanStep } from '../../domain/responsePlan.ts';
import { INCIDENT_ACTIVITY_OPTIONS, LOCAL_ACTIONS } from '../activityOptions.ts';
import { rootCauseMessage } from '../failures.ts';
import { killSwitchCleared } from '../killSwitch.ts';
import { localFirst } from '../localFirst.ts';
import { awaitApproval } from './approval.ts';
import type { Incident } from './incident.ts';

const applyLocally = proxyLocalActivities<ActionActivities>(INCIDENT_ACTIVITY_OPTIONS.applyLocal).applyAction;
const applyRemotely = proxyActivities<ActionActivities>(INCIDENT_ACTIVITY_OPTIONS.applyRemote).applyAction;
const applyAtVendor = localFirst(
  proxyLocalActivities<ActionActivities>(INCIDENT_ACTIVITY_OPTIONS.applyVendorLocal).applyAction,
  (input: Parameters<typeof applyRemotely>[0]) => applyRemotely({ ...input, earlierAttempt: true }),
);
// The control workflow is served by this worker's own task slots: see localFirst.
const admitBlock = localFirst(
  proxyLocalActivities<ControlActivities>(INCIDENT_ACTIVITY_OPTIONS.admissionLocal).admitBlock,
  proxyActivities<ControlActivities>(INCIDENT_ACTIVITY_OPTIONS.admissionRemote).admitBlock,
);

/**
 * Runs the steps in order, each behind the incident's pause, the kill switch and (where it applies) the circuit
 * breaker. Stops early, returning false, when a false positive arrives or the breaker's approval is refused.
 */
export async function runSteps(incident: Incident, steps: readonly PlanStep[]): Promise<boolean> {
  for (const step of steps) {
    if (incident.falsePositive) return false;
    if (step.containment) {
      const control = await heldBack(incident);
      if (incident.falsePositive) return false;
      if (excepted(incident, step, control)) continue;
      incident.setStatus('containing', step.description);
      if (step.breaker && !(await admitted(incident))) return false;
    }
    await apply(incident, step);
  }
  return true;
}

/** Steps that contain nothing (tickets, messages) need no gate and wait for no one: they run side by side. */
export async function runAlongside(incident: Incident, steps: readonly PlanStep[]): Promise<void> {
  await Promise.all(steps.map((step) => apply(incident, step)));
}

async function apply(incident: Incident, step: PlanStep): Promise<void> {
  const run = LOCAL_ACTIONS.has(step.kind) ? applyLocally : applyAtVendor;
  const base = { kind: step.kind, target: step.target, params: step.params, idempotencyKey: step.idempotencyKey };
  try {
    const result = await run({ kind: step.kind, params: step.params, idempotencyKey: step.idempotencyKey, incident: incident.brief(step.description), audit: incident.auditContext() });
    incident.addAction({ ...base, detail: result.detail, outcome: result.outcome, result });
  } catch (err) {
    incident.addAction({ ...base, detail: step.description, outcome: 'failed', error: rootCauseMessage(err) });
  }
}

/**
 * Records the step refused when a live exception covers it. Exceptions are read with the kill switch, just before the
 * action, so one added while the incident waited (for approval, or out a pause) still holds it back.
 */
function excepted(incident: Incident, step: PlanStep, control: ControlState): boolean {
  const kind = actionKind(step.kind);
  const refusal = kind && exceptionRefusal(kind, step.params, control.exceptions ?? [], Date.now());
  if (!refusal) return false;
  incident.addAction({ kind: step.kind, target: step.target, params: step.params, detail: refusal, outcome: 'refused', idempotencyKey: step.idempotencyKey });
  return true;
}

/** Waits out the incident's own pause, then the deployment's kill switch; a false positive stops the wait for nothing. */
async function heldBack(incident: Incident): Promise<ControlState> {
  if (incident.state.paused) {
    incident.setStatus('paused');
    await condition(() => !incident.state.paused);
  }
  return killSwitchCleared((control) => {
    if (incident.state.status !== 'paused') incident.setStatus('paused', `kill switch on, set by ${control.by ?? 'unknown'}${control.reason ? `: ${control.reason}` : ''}`);
  });
}

/**
 * Counts the action against the mass-action circuit breaker. Once it has tripped, an action no person approved waits
 * for one; the incident that tripped it raises the one notification.
 */
async function admitted(incident: Incident): Promise<boolean> {
  const { circuitBreaker } = incident.input.policy;
  const admission = { incidentId: incident.state.id, maxNewBlocks: circuitBreaker.maxNewBlocks, windowMs: circuitBreaker.window };
  const first = await admitBlock({ ...admission, key: uuid4(), automatic: !incident.approvedByPerson });
  if (first.admitted) return true;
  const limit = `more than ${admission.maxNewBlocks} new blocks in ${formatDuration(admission.windowMs)}`;
  incident.record('circuit_breaker', `${limit}: this block needs a person's approval`);
  if (first.justTripped) {
    incident.notify(incident.policy.notify, `CIRCUIT BREAKER TRIPPED: ${limit}. Further automatic blocks wait for approval until an admin resets it (POST /v1/control/breaker/reset).`);
  }
  if (!(await awaitApproval(incident, [`the circuit breaker tripped (${limit})`], 1))) return false;
  incident.setStatus('containing', 'approved past the circuit breaker');
  await admitBlock({ ...admission, key: uuid4(), automatic: false });
  return true;
}
