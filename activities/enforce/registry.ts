import { crowdsecPoint } from './crowdsecEnforcer.ts';
import { edlPoint } from './edlEnforcer.ts';
import { httpFirewallPoint } from './httpFirewallEnforcer.ts';
import { ipsetPoint } from './ipsetEnforcer.ts';
import { logPoint } from './logEnforcer.ts';
import { nftablesPoint } from './nftablesEnforcer.ts';
import type { EnforcementPointDefinition } from './pointDefinition.ts';

/** Every enforcement point the policy's `enforcement.points` may name. */
export const enforcementPointDefinitions: readonly EnforcementPointDefinition[] = [
  nftablesPoint,
  edlPoint,
  logPoint,
  httpFirewallPoint,
  crowdsecPoint,
  ipsetPoint,
];

export function enforcementPointNamed(name: string): EnforcementPointDefinition | undefined {
  return enforcementPointDefinitions.find((definition) => definition.name === name);
}
