import { allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { OffenceActivities } from '../../activities/offences.ts';
import type { IncidentState } from '../../domain/incident.ts';
import { INCIDENT_ACTIVITY_OPTIONS } from '../activityOptions.ts';
import { rootCauseMessage } from '../failures.ts';
import type { incidentWorkflow } from '../incident.ts';
import type { Incident } from './incident.ts';

/** Alerts keep attaching until the review window ends; a long stream of them must not grow the history without bound. */
export async function review(incident: Incident, reviewUntil: number): Promise<void> {
  const remaining = reviewUntil - Date.now();
  if (remaining > 0 && (await condition(() => workflowInfo().continueAsNewSuggested, remaining))) {
    await incident.notificationsSettled();
    await condition(allHandlersFinished);
    const { state, timeline, steps } = incident;
    await continueAsNew<typeof incidentWorkflow>(incident.input, { state, timeline, reviewUntil, steps });
  }
  await incident.notificationsSettled();
  // A verdict given just before the window ended is still reverting: closing now would leave its undo half done.
  if (patched('close-after-handlers')) await condition(allHandlersFinished);
  incident.record('closed', `final status ${incident.state.status}`);
  log.info('incident closed', { id: incident.state.id, status: incident.state.status, alerts: incident.state.alertCount });
}

const { recordIncidentClosed } = proxyActivities<OffenceActivities>(INCIDENT_ACTIVITY_OPTIONS.offencesRemote);

/** Adds the closed incident to its entity's history. A history that cannot be written costs the next incident a fact. */
export async function recordClosed(state: IncidentState): Promise<void> {
  try {
    await recordIncidentClosed({ entity: state.entity, incidentId: state.id, closedAt: Date.now() });
  } catch (err) {
    log.warn('closed incident not recorded in its entity history', { id: state.id, error: rootCauseMessage(err) });
  }
}
