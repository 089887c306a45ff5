import type { z } from 'zod';
import { isCanonicalIp } from '../../../domain/ip.ts';
import type { Reputation, ReputationProviderName } from '../../../domain/reputation.ts';
import type { AdapterDefinition } from '../../adapters.ts';
import { rateLimitResetSeconds, retryAfterSeconds, vendorRequest, type VendorResponse } from '../../vendorHttp.ts';

/** One reputation source: what it says of an address, as its part of `Reputation`. */
export interface ReputationProvider {
  readonly name: ReputationProviderName;
  /** How long an answer stays good in the process's cache. */
  readonly ttlMs: number;
  /** Throws RateLimited on the provider's 429, anything else when the lookup failed. */
  lookup(address: string): Promise<Reputation>;
}

/**
 * A provider's settings and factory, as for every adapter (runtime/adapters.ts reads them). `off` says why a provider
 * that needs no key (RDAP) is off all the same: a setting turned it off.
 */
export interface ReputationDefinition<S extends z.ZodObject = z.ZodObject> extends AdapterDefinition<ReputationProvider, S> {
  off?(settings: z.output<S>): string | undefined;
}

/** The provider told us to wait (HTTP 429) this long before asking again. */
export class RateLimited extends Error {
  override readonly name = 'RateLimited';
  constructor(provider: string, readonly retryAfterMs: number) {
    super(`${provider} is rate limiting us`);
  }
}

// The enrich activity allows 10 s for everything, and the providers are asked side by side.
export const LOOKUP_TIMEOUT_MS = 4_000;
// A 429 with neither Retry-After nor a reset time (VirusTotal's QuotaExceededError) still holds lookups back this long.
const DEFAULT_BACKOFF_S = 60;

/**
 * A GET to a provider through vendorRequest (no URL, header or body in any error), with a 429 turned into RateLimited
 * carrying the provider's own wait: `Retry-After`, else `X-RateLimit-Reset` (AbuseIPDB: an epoch second).
 */
export async function lookupGet<T>(request: { label: string; url: URL; headers?: Record<string, string>; accept?: readonly number[] }): Promise<VendorResponse<T>> {
  const res = await vendorRequest<T>({ ...request, method: 'GET', timeoutMs: LOOKUP_TIMEOUT_MS, accept: [429, ...(request.accept ?? [])] });
  if (res.status !== 429) return res;
  const wait = retryAfterSeconds(res.headers.get('retry-after'))
    ?? rateLimitResetSeconds(res.headers.get('x-ratelimit-reset'))
    ?? rateLimitResetSeconds(res.headers.get('x-rate-limit-reset'))
    ?? DEFAULT_BACKOFF_S;
  throw new RateLimited(request.label, wait * 1000);
}

/** `base` (an override may carry a path prefix) joined with a path and a query. */
export function endpoint(base: string, path: string, query: Record<string, string> = {}): URL {
  const url = new URL(`${base.replace(/\/+$/, '')}${path}`);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url;
}

/**
 * An address as a path segment, as the providers' own examples write it (`/ip/2001:db8::1`): a canonical address has
 * only hex digits, dots and colons, all legal in a path, so nothing else may pass.
 */
export function addressSegment(address: string): string {
  if (!isCanonicalIp(address)) throw new Error('the address is not canonical');
  return address;
}

/** Vendor text kept in the incident's state: trimmed, bounded, absent when empty. */
export function shortText(value: string | null | undefined, max = 200): string | undefined {
  const text = value?.trim();
  return text ? text.slice(0, max) : undefined;
}

/** The summary without its unknown fields, so it reads the same in state, in tests and after a trip through JSON. */
export function known<T extends object>(summary: T): T {
  return Object.fromEntries(Object.entries(summary).filter(([, value]) => value !== undefined)) as T;
}
