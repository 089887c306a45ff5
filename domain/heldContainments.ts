import type { AuditRecord } from '../activities/audit/record.ts';
import { actionKinds } from './actions/index.ts';

/** An account Riposte disabled, a host it isolated or a domain it blocklisted, and has not undone since. */
export interface HeldContainment {
  kind: string;
  target: string;
  /** When Riposte last applied it (ISO 8601). */
  at: string;
  incidentId: string | null;
  /** Who authorised it: `automation`, or the approving principal. */
  by: string;
}

// Blocks are left out: their leases and expiries are in the block ledger (GET /v1/blocks), which the audit trail is not.
const listedKinds = actionKinds.filter((kind) => kind.holds && kind.name !== 'block').map((kind) => kind.name);

/** `disable_user.apply` → [`disable_user`, true]; `disable_user.revert` → [`disable_user`, false]. */
function step(action: string): [kind: string, applied: boolean] | undefined {
  const dot = action.lastIndexOf('.');
  const kind = action.slice(0, dot);
  const verb = action.slice(dot + 1);
  if (!listedKinds.includes(kind) || (verb !== 'apply' && verb !== 'revert')) return undefined;
  return [kind, verb === 'apply'];
}

/**
 * The containments still held, from the audit trail read newest first: for each kind and target, the newest successful
 * apply or revert decides. A failed or skipped attempt changed nothing, so it decides nothing.
 */
export function heldContainments(newestFirst: Iterable<AuditRecord>): HeldContainment[] {
  const decided = new Set<string>();
  const held: HeldContainment[] = [];
  for (const record of newestFirst) {
    if (record.phase !== 'after' || record.result !== 'success') continue;
    const parsed = step(record.action);
    if (!parsed) continue;
    const [kind, applied] = parsed;
    const key = `${kind}\n${record.target}`;
    if (decided.has(key)) continue;
    decided.add(key);
    if (applied) held.push({ kind, target: record.target, at: record.at, incidentId: record.trigger.incidentId, by: record.actor.name });
  }
  return held;
}

/** Whether a record can change what heldContainments answers: what the API keeps while it reads the trail. */
export const decidesContainment = (record: AuditRecord): boolean => record.phase === 'after' && record.result === 'success' && step(record.action) !== undefined;
