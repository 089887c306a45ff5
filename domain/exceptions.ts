import { type ExceptionKind, MAX_EXCEPTION_DAYS } from './acceptedValues.ts';
import type { ActionKind, Guard } from './actions/action.ts';
import { canonicalDomain, canonicalHost, canonicalUser, type EntityKind } from './entity.ts';
import { type CanonicalCidr, canonicalBlockTarget, canonicalCidr, cidrOverlaps } from './ip.ts';
import { compileDomainPattern, compileHostPattern, compileUserPattern, protectedBy } from './protect.ts';

/**
 * Exceptions: "never act on this until then", added by a responder without touching the policy file. An `address`
 * exception is an allowlist entry (an address or a range), the others protect entries for one user, host or domain.
 * Each expires; while it lives it is checked wherever the policy's allowlist and protect list are.
 */
export interface Exception {
  id: string;
  kind: ExceptionKind;
  /** Canonical: an address or `network/prefix`, a user, host or domain as domain/entity.ts spells it. */
  value: string;
  reason: string;
  /** The principal who added it. */
  by: string;
  createdAt: string;
  expiresAt: string;
}

export type NewException = Omit<Exception, 'id' | 'createdAt'>;

export const MAX_EXCEPTION_REASON = 500;
export const MAX_EXCEPTION_MS = MAX_EXCEPTION_DAYS * 86_400_000;

/** The one spelling of a value of that kind; throws with the reason when it is not one. */
export function canonicalExceptionValue(kind: ExceptionKind, text: string): string {
  switch (kind) {
    // Host bits are refused, as for a block: `198.51.100.9/24` is likelier a typo than a wish to spare the whole /24.
    case 'address': return canonicalBlockTarget(text).text;
    case 'user': return canonicalUser(text);
    case 'host': return canonicalHost(text);
    case 'domain': return canonicalDomain(text);
  }
}

/** Why this expiry is not allowed at `now`, or undefined. */
export function expiryRefusal(expiresAt: number, now: number): string | undefined {
  if (!Number.isFinite(expiresAt)) return 'not a time';
  if (expiresAt <= now) return 'must be in the future';
  if (expiresAt > now + MAX_EXCEPTION_MS) return `at most ${MAX_EXCEPTION_DAYS}d ahead: a lasting exception belongs in the policy file`;
  return undefined;
}

export function isLive(exception: Exception, now: number): boolean {
  return Date.parse(exception.expiresAt) > now;
}

/** The live ones, soonest to expire first. */
export function liveExceptions(exceptions: readonly Exception[], now: number): Exception[] {
  return exceptions.filter((e) => isLive(e, now)).sort((a, b) => Date.parse(a.expiresAt) - Date.parse(b.expiresAt) || a.id.localeCompare(b.id));
}

/** When the next one expires (ms since the epoch), or undefined when none is left. */
export function nextExpiry(exceptions: readonly Exception[]): number | undefined {
  return exceptions.length === 0 ? undefined : Math.min(...exceptions.map((e) => Date.parse(e.expiresAt)));
}

/** The exception as a guard of its own, so every action kind's `refusal` reads it as it reads the policy's lists. */
function guardOf(exception: Exception): Guard {
  const none = { users: [], hosts: [], domains: [] };
  switch (exception.kind) {
    case 'address': return { allowlist: [canonicalCidr(exception.value)], protect: none };
    case 'user': return { allowlist: [], protect: { ...none, users: [compileUserPattern(exception.value)] } };
    case 'host': return { allowlist: [], protect: { ...none, hosts: [compileHostPattern(exception.value)] } };
    case 'domain': return { allowlist: [], protect: { ...none, domains: [compileDomainPattern(exception.value)] } };
  }
}

export function describeException(exception: Exception): string {
  return `exception ${exception.id} (${exception.kind} ${exception.value}, by ${exception.by} until ${exception.expiresAt}: ${exception.reason})`;
}

/** Why a live exception forbids this action, or undefined. */
export function exceptionRefusal<P>(kind: ActionKind<P>, params: P, exceptions: readonly Exception[], now: number): string | undefined {
  const hit = exceptions.find((e) => isLive(e, now) && kind.refusal(params, guardOf(e)) !== undefined);
  return hit && `${kind.target(params)} is covered by ${describeException(hit)}`;
}

/** The live address exception sharing an address with a block target (an address or a range), if any. */
export function addressException(target: CanonicalCidr, exceptions: readonly Exception[], now: number): Exception | undefined {
  return exceptions.find((e) => e.kind === 'address' && isLive(e, now) && cidrOverlaps(canonicalCidr(e.value), target));
}

/** The live exception covering a canonical entity as the actions' guards see it (a URL by its domain), if any. */
export function exceptionFor(kind: EntityKind, canonical: string, exceptions: readonly Exception[], now: number): Exception | undefined {
  if (kind === 'address') return addressException(canonicalBlockTarget(canonical), exceptions, now);
  return exceptions.find((e) => e.kind !== 'address' && isLive(e, now) && protectedBy(kind, canonical, guardOf(e).protect) !== undefined);
}
