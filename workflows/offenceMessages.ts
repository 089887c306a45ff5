import { defineQuery, defineSignal } from '@temporalio/workflow';

/** One block of an address that ran until it expired (an unblocked one is no offence). */
export interface Offence {
  /** When the expired block was lifted, epoch ms. */
  endedAt: number;
  /** The duration the block was given: the request that set its final expiry. */
  durationMs: number;
  blockWorkflowId?: string;
}

export const offenceSignal = defineSignal<[Offence]>('offence');
/** The remembered offences, oldest first. */
export const offencesQuery = defineQuery<Offence[]>('offences');

/** An incident about the entity closed: counted as an earlier incident when the next one is triaged. */
export interface ClosedIncident {
  incidentId: string;
  closedAt: number;
}
export const incidentClosedSignal = defineSignal<[ClosedIncident]>('incidentClosed');

/** What Riposte remembers of an entity: its expired blocks (addresses) and its closed incidents, oldest first. */
export interface EntityHistory {
  offences: Offence[];
  incidents: ClosedIncident[];
}
export const entityHistoryQuery = defineQuery<EntityHistory>('history');
