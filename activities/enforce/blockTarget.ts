import { ApplicationFailure } from '@temporalio/common';
import { allowlistOverlap, type CanonicalCidr, canonicalBlockTarget } from '../../domain/ip.ts';

/**
 * A block target as the workflows send it: an address or `network/prefix`, in its one canonical spelling. Anything
 * else is refused (non-retryable), since a second spelling would mean a second workflow and a second firewall entry.
 */
export function canonicalTarget(text: string): CanonicalCidr {
  let target: CanonicalCidr;
  try {
    target = canonicalBlockTarget(text);
  } catch {
    // The raw input is not echoed: it may be anything an attacker put in an alert.
    throw ApplicationFailure.nonRetryable('address is not a valid IP address or network', 'InvalidAddress');
  }
  if (target.text !== text) throw ApplicationFailure.nonRetryable(`address was not sent in canonical form (${target.text})`, 'InvalidAddress');
  return target;
}

/** Refuses a target sharing any address with the allowlist: a range is refused when an allowlisted address is inside it. */
export function assertNotAllowlisted(target: CanonicalCidr, allowlist: readonly CanonicalCidr[]): void {
  const hit = allowlistOverlap(target, allowlist);
  if (!hit) return;
  const what = target.text.includes('/') ? `${target.text} covers addresses allowlisted by` : `${target.text} is allowlisted by`;
  throw ApplicationFailure.nonRetryable(`${what} ${hit.text}`, 'AllowlistViolation');
}

/**
 * A block as a point that builds its own rules receives it, checked again inside the point whatever the workflow
 * decided: its one canonical spelling, clear of the allowlist, and an expiry it can compute with.
 */
export function checkedBlock({ address, expiresAt }: { address: string; expiresAt: number }, allowlist: readonly CanonicalCidr[]): CanonicalCidr {
  const target = canonicalTarget(address);
  assertNotAllowlisted(target, allowlist);
  if (!Number.isFinite(expiresAt)) throw ApplicationFailure.nonRetryable('expiresAt must be a finite epoch time', 'InvalidExpiry');
  return target;
}
