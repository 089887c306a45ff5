import { z } from 'zod';
import { blockTargetField } from '../addressFields.ts';
import { formatDuration } from '../duration.ts';
import { allowlistOverlap, canonicalCidr } from '../ip.ts';
import type { PolicySnapshot } from '../policy.ts';
import type { ActionKind } from './action.ts';

const params = z.object({
  address: blockTargetField,
  durationMs: z.number().int().positive(),
  reason: z.string().max(500),
}).strict();
type BlockParams = z.output<typeof params>;

/** Fewer prefix bits than the policy's maxBlockWidth: a range that wide needs a person in every mode. */
export function tooWide(address: string, policy: Pick<PolicySnapshot, 'maxBlockWidth'>): number | undefined {
  const target = canonicalCidr(address);
  const max = target.family === 4 ? policy.maxBlockWidth.ipv4 : policy.maxBlockWidth.ipv6;
  return target.prefix < max ? max : undefined;
}

export const block: ActionKind<BlockParams> = {
  name: 'block',
  params,
  containment: true,
  breaker: true,
  holds: true,
  auditAs: { apply: 'block.request', revert: 'block.withdraw' },
  target: (p) => p.address,
  describe: (p) => `block ${p.address} for ${formatDuration(p.durationMs)}`,
  refusal: (p, guard) => {
    const hit = allowlistOverlap(canonicalCidr(p.address), guard.allowlist);
    return hit ? `${p.address} overlaps the allowlist entry ${hit.text}` : undefined;
  },
  idempotencyKey: (incidentId, p) => `${incidentId}|block|${p.address}`,
  async apply(ports, p, incident) {
    const lease = await ports.blocks.request({ address: p.address, durationMs: p.durationMs, reason: p.reason, incident });
    return { outcome: 'done', detail: `${block.describe(p)} (${lease.workflowId})`, ref: { ...lease } };
  },
  async revert(ports, p, incident, applied, by) {
    const { workflowId = '', address, leaseId, runId } = applied.ref ?? {};
    const lease = { workflowId, address, leaseId, runId };
    const result = await ports.blocks.withdraw(lease, { incidentId: incident.id, by, reason: `false positive verdict on ${incident.id}` });
    return { outcome: 'done', detail: result === 'withdrawn' ? `this incident's block of ${p.address} withdrawn` : `the block of ${p.address} had already ended` };
  },
};
