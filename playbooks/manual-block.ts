import type { Playbook } from './playbook.ts';

/**
 * A person's block of a range wider than the policy's maxBlockWidth (POST /v1/blocks): an incident of its own, so it
 * waits for approval like any other, under the two-person rule's `wide_block` count, and its requester may not approve it.
 */
export const manualBlock: Playbook = {
  name: 'manual-block',
  entityKind: 'address',
  summary: 'A range wider than maxBlockWidth that a person asked to block: blocked once other people approve.',
  title: (entity) => `Manual block of ${entity}`,
  // Started by the API on a person's request, never by an alert; the block workflow holds the block once approved.
  noReview: true,
  matches: () => false,
  entity: () => {
    throw new Error('manual blocks are started by POST /v1/blocks, not by alerts');
  },
  plan: (facts) => (facts.request ? [{ kind: 'block', params: { address: facts.entity, durationMs: facts.request.durationMs, reason: facts.request.reason } }] : []),
};
