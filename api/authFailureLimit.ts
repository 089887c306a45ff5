import type { RequestHandler } from 'express';
import { canonicalCidr } from '../domain/ip.ts';
import { clientAddress } from './clientAddress.ts';
import { HttpError } from './errors.ts';
import { createRateLimiter } from './rateLimit.ts';

/** RIPOSTE_AUTH_FAILURE_LIMIT and RIPOSTE_AUTH_FAILURE_WINDOW. */
export interface AuthFailureLimit {
  /** Failed authentications (401) one source may make within `windowMs`; past them, one more per `windowMs / failures`. */
  failures: number;
  windowMs: number;
}

/** Sources remembered at most; past that the one seen least recently is forgotten, so a scan of many addresses stays bounded. */
const MAX_SOURCES = 100_000;

/** One IPv4 address, or the /64 of an IPv6 address: one host holds a whole /64, and would otherwise get a fresh count per address. */
function sourceKey(address: string | undefined): string {
  if (address === undefined) return 'unknown';
  return address.includes(':') ? canonicalCidr(`${address}/64`).text : address;
}

/**
 * Refuses with 429, before the guard looks up any key, a source whose requests have failed authentication more
 * often than the limit allows. Only failures count: a SIEM that authenticates is refused only while something else
 * behind the same address keeps failing, and then only until the limit lets one more failure through.
 */
export function authFailureLimit(limit: AuthFailureLimit, now?: () => number): RequestHandler {
  const limiter = createRateLimiter(now, MAX_SOURCES);
  const rate = { ratePerMinute: (limit.failures * 60_000) / limit.windowMs, burst: limit.failures };
  return (req, res, next) => {
    const source = sourceKey(clientAddress(req));
    const decision = limiter.peek(source, rate);
    if (!decision.allowed) {
      const retry = decision.retryAfterSeconds;
      return next(new HttpError(429, 'too_many_failures', `too many failed authentications from this address; retry in ${retry} s`, undefined, { 'Retry-After': String(retry) }));
    }
    res.once('close', () => {
      if (res.statusCode === 401) limiter.take(source, rate);
    });
    next();
  };
}
