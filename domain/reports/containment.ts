import type { AuditRecord } from '../../activities/audit/record.ts';
import { actionKinds } from '../actions/index.ts';

/**
 * The audit names of containment that holds: `block.apply` is an enforcement point's own record of dropping the
 * address (the block kind's apply is only the lease request, audited as `block.request`), and `<kind>.apply` the
 * vendor call of every other kind that holds (disabling a user, isolating a host, listing a domain).
 */
const CONTAINMENT = new Set(actionKinds.filter((kind) => kind.holds).map((kind) => `${kind.name}.apply`));

/** A containment that held, on behalf of an incident whose opening its trigger carries. */
export interface Containment {
  incidentId: string;
  incidentOpenedAt: string;
  /** From the incident's opening to this record. */
  seconds: number;
}

export function containmentOf(record: AuditRecord): Containment | undefined {
  const { incidentId, incidentOpenedAt } = record.trigger;
  if (record.phase !== 'after' || record.result !== 'success' || !CONTAINMENT.has(record.action) || !incidentId || !incidentOpenedAt) return undefined;
  return { incidentId, incidentOpenedAt, seconds: Math.max(0, (Date.parse(record.at) - Date.parse(incidentOpenedAt)) / 1000) };
}

/** `<playbook>:<entity>` → the playbook's name. */
export const playbookOfIncident = (incidentId: string): string => incidentId.slice(0, Math.max(0, incidentId.indexOf(':')));
