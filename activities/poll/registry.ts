import { elasticPoller } from './elastic.ts';
import { httpPoller } from './http.ts';
import type { PollerKind } from './poller.ts';

/** Every kind a poller in the pollers file may be. */
export const pollerKinds: readonly PollerKind[] = [
  elasticPoller,
  httpPoller,
];

export function pollerKindNamed(kind: string): PollerKind | undefined {
  return pollerKinds.find((candidate) => candidate.kind === kind);
}
