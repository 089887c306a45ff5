import { auditedEach } from '../audit/audited.ts';
import type { AuditSink } from '../audit/record.ts';
import type { BlockIntent } from '../../workflows/messages.ts';
import type { EnforcementPoint } from './enforcementPoint.ts';

/** One point compared with the live blocks. */
export interface PointReconciliation {
  point: string;
  /** Live blocks the shards believe this point holds. */
  intended: number;
  /** Of those, how many it really held. */
  present: number;
  /** present ÷ intended; 1 when nothing is intended. */
  enforced: number;
  /** Put back, with their remaining time. */
  restored: number;
  restoreFailed: number;
  /** Riposte's own entries no live block accounts for, removed. */
  removedStale: number;
  at: string;
}

/** A second's grace: a block about to expire is not put back, and the point's own timeout removes it anyway. */
const MIN_REMAINING_MS = 1_000;

/**
 * Compares what the point holds with what the shards believe it holds, and repairs the difference: a flushed table, a
 * reboot, another tool's `nft flush ruleset`. The intent is read before and after the point, so a block applied or
 * lifted meanwhile is neither put back nor taken away by mistake. Entries without an expiry were not made by Riposte
 * (it never blocks without one) and are left alone.
 */
export async function reconcilePoint(point: EnforcementPoint, intent: () => Promise<BlockIntent[]>, audit: AuditSink): Promise<PointReconciliation> {
  const before = await intent();
  const held = await point.list();
  const after = await intent();
  const now = Date.now();
  const live = new Set([...before, ...after].map((block) => block.address));
  const believedAfter = new Map(after.filter((block) => block.held.includes(point.name)).map((block) => [block.address, block]));
  const believed = before.filter((block) => block.held.includes(point.name) && believedAfter.has(block.address));
  const present = new Set(held.map((target) => target.address));
  const missing = believed.filter((block) => !present.has(block.address) && believedAfter.get(block.address)!.expiresAt > now + MIN_REMAINING_MS).map((block) => believedAfter.get(block.address)!);
  const stale = held.filter((target) => !live.has(target.address) && target.expiresAt !== Number.MAX_SAFE_INTEGER);

  const context = (reason: string) => ({ actor: 'automation', reason });
  const [restored, removed] = await Promise.all([
    auditedEach(audit, missing.map((block) => ({ action: 'block.apply', point: point.name, target: block.address, parameters: { expiresAt: new Date(block.expiresAt).toISOString() }, context: context('reconcile: missing at the point') })),
      (_, i) => point.apply({ address: missing[i]!.address, expiresAt: missing[i]!.expiresAt })),
    auditedEach(audit, stale.map((target) => ({ action: 'block.remove', point: point.name, target: target.address, parameters: {}, context: context('reconcile: no live block') })),
      (attempt) => point.remove(attempt.target)),
  ]);
  const intended = believed.length;
  const presentCount = believed.filter((block) => present.has(block.address)).length;
  return {
    point: point.name,
    intended,
    present: presentCount,
    enforced: intended === 0 ? 1 : presentCount / intended,
    restored: restored.filter((r) => r.status === 'fulfilled').length,
    restoreFailed: restored.filter((r) => r.status === 'rejected').length,
    removedStale: removed.filter((r) => r.status === 'fulfilled').length,
    at: new Date(now).toISOString(),
  };
}
