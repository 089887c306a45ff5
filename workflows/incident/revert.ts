import { proxyActivities } from '@temporalio/workflow';
import type { ActionActivities } from '../../activities/actions.ts';
import { actionKind } from '../../domain/actions/index.ts';
import type { ActionRecord } from '../../domain/incident.ts';
import { INCIDENT_ACTIVITY_OPTIONS } from '../activityOptions.ts';
import { rootCauseMessage } from '../failures.ts';
import type { Incident } from './incident.ts';

const { revertAction } = proxyActivities<ActionActivities>(INCIDENT_ACTIVITY_OPTIONS.revert);

/**
 * Undoes every reversible action this incident took, and only those: each revert names what its apply returned (a
 * block's lease, a vendor's id), so a later, separate action on the same entity is left alone.
 */
export async function revertAll(incident: Incident, by: string): Promise<void> {
  // A block no point holds is still a lease that would be tried again: it is withdrawn like one that holds.
  const reversible = incident.state.actions.filter((a) => (a.outcome === 'done' || a.outcome === 'failed') && a.result && actionKind(a.kind)?.revert);
  // Claimed before the first await, so a verdict arriving during respond() and respond()'s own check never both revert.
  for (const action of reversible) action.outcome = 'reverted';
  await Promise.all(reversible.map((action) => revertOne(incident, action, by)));
  if (reversible.length > 0 || incident.state.status === 'containing') incident.setStatus('reverted', `false positive, by ${by}`);
}

async function revertOne(incident: Incident, action: ActionRecord, by: string): Promise<void> {
  try {
    const result = await revertAction({
      kind: action.kind, params: action.params, idempotencyKey: action.idempotencyKey ?? '', applied: action.result!, by,
      incident: incident.brief(`revert ${action.detail}`), audit: incident.auditContext(),
    });
    incident.record(`${action.kind}:reverted`, result.detail, by);
  } catch (err) {
    action.outcome = 'done';
    action.error = `revert failed: ${rootCauseMessage(err)}`;
    incident.record(`${action.kind}:revert_failed`, action.error, by);
  }
}
