import { ApplicationFailure } from '@temporalio/common';
import type { CanonicalCidr } from '../../domain/ip.ts';
import { audited } from '../audit/audited.ts';
import type { AuditContext, AuditSink } from '../audit/record.ts';
import { assertNotAllowlisted, canonicalTarget } from './blockTarget.ts';
import type { EnforcementPoint } from './enforcementPoint.ts';

export interface ApplyBlockInput {
  point: string;
  /** An address or `network/prefix`, canonical (domain/ip.ts canonicalBlockTarget). */
  address: string;
  expiresAt: number;
  /** Who and what is behind the call, for its audit records. */
  audit?: AuditContext;
}

export interface RemoveBlockInput {
  point: string;
  address: string;
  audit?: AuditContext;
}

/**
 * Activities for the enforcement task queue. The allowlist is checked here again, whatever the workflow decided: a range
 * is refused when any allowlisted address is inside it.
 */
export interface EnforcementDeps {
  points: readonly EnforcementPoint[];
  /** Undefined when the policy's allowlist could not be read: every apply is then refused. */
  allowlist: readonly CanonicalCidr[] | undefined;
  /** Throws while the kill switch is on; checked at the start of every containment call, after any workflow check. */
  assertContainmentAllowed: () => Promise<void>;
  /** Every call writes an audit record before and after it, refusals included. */
  audit: AuditSink;
}

export function createEnforcementActivities({ points, allowlist, assertContainmentAllowed, audit }: EnforcementDeps) {
  const byName = new Map(points.map((point) => [point.name, point]));

  function pointNamed(name: string): EnforcementPoint {
    const point = byName.get(name);
    if (!point) throw ApplicationFailure.nonRetryable(`enforcement point ${name} is not configured on this worker`, 'UnknownEnforcementPoint');
    return point;
  }

  return {
    async applyBlock({ point, address, expiresAt, audit: context }: ApplyBlockInput): Promise<void> {
      const parameters = { expiresAt: isoTime(expiresAt) };
      await audited(audit, { action: 'block.apply', point, target: address, parameters, context }, async () => {
        if (!allowlist) throw ApplicationFailure.nonRetryable('the allowlist could not be read: nothing is blocked', 'AllowlistViolation');
        assertNotAllowlisted(canonicalTarget(address), allowlist);
        const enforcementPoint = pointNamed(point);
        await assertContainmentAllowed();
        await enforcementPoint.apply({ address, expiresAt });
      });
    },
    async removeBlock({ point, address, audit: context }: RemoveBlockInput): Promise<void> {
      await audited(audit, { action: 'block.remove', point, target: address, parameters: {}, context }, async () => {
        await pointNamed(point).remove(canonicalTarget(address).text);
      });
    },
  };
}

export type EnforcementActivities = ReturnType<typeof createEnforcementActivities>;

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
