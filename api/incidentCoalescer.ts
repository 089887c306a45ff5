import { type AlertBatch, addToBatch, EMPTY_BATCH } from '../domain/alert.ts';
import type { IncidentInput } from '../domain/incident.ts';
import type { StartResult } from './incidentStarter.ts';

type Send = (workflowId: string, input: IncidentInput, batch: AlertBatch) => Promise<StartResult>;

interface Pending {
  input: IncidentInput;
  batch: AlertBatch;
  waiters: { resolve: (r: StartResult) => void; reject: (err: unknown) => void }[];
}

/**
 * Alerts for the same incident that arrive within `windowMs` of each other share one signal-with-start. Each caller
 * is answered only when that signal has been accepted, so a 202 still means durably in Temporal; an alert storm for
 * a few addresses becomes a few signals a window instead of one per alert.
 */
export function createIncidentCoalescer(send: Send, windowMs: number) {
  const pending = new Map<string, Pending>();

  async function flush(workflowId: string): Promise<void> {
    const group = pending.get(workflowId)!;
    pending.delete(workflowId);
    try {
      const result = await send(workflowId, group.input, group.batch);
      // Only the first caller of a batch that started the incident sees it started; the rest joined it.
      group.waiters.forEach((w, i) => w.resolve({ started: result.started && i === 0 }));
    } catch (err) {
      for (const w of group.waiters) w.reject(err);
    }
  }

  return {
    submit(workflowId: string, input: IncidentInput, batch: AlertBatch): Promise<StartResult> {
      let group = pending.get(workflowId);
      if (!group) {
        group = { input, batch: EMPTY_BATCH, waiters: [] };
        pending.set(workflowId, group);
        if (windowMs > 0) setTimeout(() => void flush(workflowId), windowMs);
        else queueMicrotask(() => void flush(workflowId));
      }
      group.batch = addToBatch(group.batch, batch);
      const waiters = group.waiters;
      return new Promise<StartResult>((resolve, reject) => waiters.push({ resolve, reject }));
    },
  };
}
