import type { Guard } from './action.ts';
import { canonicalCidr } from '../ip.ts';
import type { PolicySnapshot } from '../policy.ts';
import { compileProtect } from '../protect.ts';

/** The allowlist and protect list of the incident's policy, or undefined when either cannot be read: then refuse. */
export function guardOf(policy: PolicySnapshot): Guard | undefined {
  try {
    return { allowlist: policy.allowlist.map(canonicalCidr), protect: compileProtect(policy.protect) };
  } catch {
    return undefined;
  }
}
