import { type AlertBatch, addToBatch, EMPTY_BATCH } from '../domain/alert.ts';
import type { IncidentInput } from '../domain/incident.ts';
import type { StartResult } from './incidentStarter.ts';

type Send = (workflowId: string, input: IncidentInput, batch: AlertBatch) => Promise<StartResult>;

interface Group {
  input: IncidentInput;
  batch: AlertBatch;
  waiters: { resolve: (r: StartResult) => void; reject: (err: unknown) => void }[];
}

interface Incident {
  inFlight: boolean;
  next?: Group;
}

/**
 * At most one signal-with-start in flight per incident: alerts that arrive while one is under way (or within
 * `windowMs` of the first) ride together in the next. Each caller is answered only when the signal carrying its
 * alerts has been accepted, so a 202 still means durably in Temporal, and an alert storm for a few addresses
 * becomes a few signals at a time instead of one per alert.
 */
export function createIncidentCoalescer(send: Send, windowMs: number) {
  const incidents = new Map<string, Incident>();

  async function flush(workflowId: string): Promise<void> {
    const incident = incidents.get(workflowId)!;
    const group = incident.next!;
    incident.next = undefined;
    incident.inFlight = true;
    try {
      const result = await send(workflowId, group.input, group.batch);
      // Only the first caller of a batch that started the incident sees it started; the rest joined it.
      group.waiters.forEach((w, i) => w.resolve({ started: result.started && i === 0 }));
    } catch (err) {
      for (const w of group.waiters) w.reject(err);
    }
    incident.inFlight = false;
    if (incident.next) void flush(workflowId);
    else incidents.delete(workflowId);
  }

  return {
    submit(workflowId: string, input: IncidentInput, batch: AlertBatch): Promise<StartResult> {
      let incident = incidents.get(workflowId);
      if (!incident) {
        incident = { inFlight: false };
        incidents.set(workflowId, incident);
      }
      if (!incident.next) {
        incident.next = { input, batch: EMPTY_BATCH, waiters: [] };
        if (!incident.inFlight) setTimeout(() => void flush(workflowId), windowMs);
      }
      const group = incident.next;
      group.batch = addToBatch(group.batch, batch);
      return new Promise<StartResult>((resolve, reject) => group.waiters.push({ resolve, reject }));
    },
  };
}
