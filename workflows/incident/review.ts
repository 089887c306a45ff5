import { allHandlersFinished, condition, continueAsNew, log, patched, workflowInfo } from '@temporalio/workflow';
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
