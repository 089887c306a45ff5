import { ApplicationFailure, condition, patched } from '@temporalio/workflow';
import { recordClosed } from './incident/review.ts';
import type { IncidentInput, IncidentState } from '../domain/incident.ts';
import { playbookPolicy } from '../domain/policy.ts';
import { playbookByName } from '../playbooks/index.ts';
import { Incident, type IncidentCarry } from './incident/incident.ts';
import { respond } from './incident/respond.ts';
import { revertAll } from './incident/revert.ts';
import { review } from './incident/review.ts';

export type { IncidentCarry };

/** One incident, `<playbook>:<entity>`: triage, decide, gate, act, notify, then review until the window ends. */
export async function incidentWorkflow(input: IncidentInput, carry?: IncidentCarry): Promise<IncidentState> {
  const playbook = playbookByName(input.playbook);
  if (!playbook) throw ApplicationFailure.nonRetryable(`unknown playbook ${input.playbook}`, 'UnknownPlaybook');
  const policy = playbookPolicy(input.policy, input.playbook);
  const incident = new Incident(input, playbook, policy, carry);
  incident.onFalsePositive = (by) => revertAll(incident, by);
  incident.listen();
  if (!carry) {
    // signalWithStart delivers the first batch before the first workflow task, so this returns at once.
    await condition(() => incident.state.alertBatches > 0);
    incident.setStatus('triage');
    await respond(incident);
  }
  // A new request for the same manual block must start a new incident, not join one waiting out a review window.
  const reviewWindow = playbook.noReview && patched('manual-block-no-review') ? 0 : policy.reviewWindow;
  await review(incident, carry?.reviewUntil ?? Date.now() + reviewWindow);
  // The next incident about this entity counts this one from the entity's history; runs recorded before it did not.
  if (patched('entity-history')) await recordClosed(incident.state);
  return incident.state;
}
