import { ApplicationFailure } from '@temporalio/common';
import { allowlistMatch, type CanonicalCidr, type CanonicalIp, canonicalIp } from '../../domain/ip.ts';
import type { EnforcementPoint } from './enforcementPoint.ts';

export interface ApplyBlockInput {
  point: string;
  address: string;
  expiresAt: number;
}

/** Activities for the enforcement task queue. The allowlist is checked here again, whatever the workflow decided. */
export function createEnforcementActivities({ points, allowlist }: { points: readonly EnforcementPoint[]; allowlist: readonly CanonicalCidr[] }) {
  const byName = new Map(points.map((point) => [point.name, point]));

  function pointNamed(name: string): EnforcementPoint {
    const point = byName.get(name);
    if (!point) throw ApplicationFailure.nonRetryable(`enforcement point ${name} is not configured on this worker`, 'UnknownEnforcementPoint');
    return point;
  }

  function canonical(address: string): CanonicalIp {
    let parsed: CanonicalIp;
    try {
      parsed = canonicalIp(address);
    } catch (err) {
      throw ApplicationFailure.nonRetryable((err as Error).message, 'InvalidAddress');
    }
    if (parsed.address !== address) throw ApplicationFailure.nonRetryable(`address ${parsed.address} was not sent in canonical form`, 'InvalidAddress');
    return parsed;
  }

  function notAllowlisted(ip: CanonicalIp): string {
    const hit = allowlistMatch(ip, allowlist);
    if (hit) throw ApplicationFailure.nonRetryable(`${ip.address} is allowlisted by ${hit.text}`, 'AllowlistViolation');
    return ip.address;
  }

  return {
    async applyBlock({ point, address, expiresAt }: ApplyBlockInput): Promise<void> {
      await pointNamed(point).apply({ address: notAllowlisted(canonical(address)), expiresAt });
    },
    async removeBlock({ point, address }: { point: string; address: string }): Promise<void> {
      await pointNamed(point).remove(canonical(address).address);
    },
  };
}

export type EnforcementActivities = ReturnType<typeof createEnforcementActivities>;
