import { allHandlersFinished, condition, continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { MAX_OFFENCE_MEMORY_MS } from '../domain/policy.ts';
import { type ClosedIncident, entityHistoryQuery, incidentClosedSignal, type Offence, offenceSignal, offencesQuery } from './offenceMessages.ts';
/** Beyond this many offences the ladder is on its last step anyway; the bound keeps the history small. */
export const MAX_OFFENCES_KEPT = 50;

export interface OffenceHistoryInput {
  /** The entity: an address, or (for closed incidents only) a user, host, domain or URL. */
  address: string;
  /** Carried across continue-as-new. */
  offences?: Offence[];
  incidents?: ClosedIncident[];
}

/**
 * What Riposte remembers of one entity, `offences:<entity>`: an address's offences, for the repeat-offender ladder,
 * and any entity's closed incidents, for the next incident's facts (kept here rather than counted in Temporal's
 * visibility store, whose queries slow under load). Kept in Temporal so it survives every process; it ends by itself
 * once its newest entry is older than the longest memory a policy may set.
 */
export async function offenceHistoryWorkflow({ address, offences: carried = [], incidents: carriedIncidents = [] }: OffenceHistoryInput): Promise<void> {
  let offences = carried;
  let incidents = carriedIncidents;
  setHandler(offenceSignal, (offence) => {
    offences = withOffence(offences, offence);
  });
  setHandler(incidentClosedSignal, (closed) => {
    if (!incidents.some((known) => known.incidentId === closed.incidentId && known.closedAt === closed.closedAt)) incidents = [...incidents, closed].slice(-MAX_OFFENCES_KEPT);
  });
  setHandler(offencesQuery, () => offences);
  setHandler(entityHistoryQuery, () => ({ offences, incidents }));

  for (;;) {
    const known = [offences, incidents];
    // Until the first entry arrives (signal-with-start delivers it with the start), the history counts from now.
    const newest = Math.max(offences.at(-1)?.endedAt ?? 0, incidents.at(-1)?.closedAt ?? 0);
    const forgetAt = (newest || Date.now()) + MAX_OFFENCE_MEMORY_MS;
    if (Date.now() >= forgetAt) return;
    await condition(() => offences !== known[0] || incidents !== known[1] || workflowInfo().continueAsNewSuggested, forgetAt - Date.now());
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof offenceHistoryWorkflow>({ address, offences, incidents });
    }
  }
}

/** An activity retried after its signal got through sends the same offence again: it must count once. */
function withOffence(offences: Offence[], offence: Offence): Offence[] {
  if (offences.some((o) => o.endedAt === offence.endedAt && o.blockWorkflowId === offence.blockWorkflowId)) return offences;
  return [...offences, offence].sort((a, b) => a.endedAt - b.endedAt).slice(-MAX_OFFENCES_KEPT);
}
