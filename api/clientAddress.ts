import type { Request } from 'express';
import { canonicalIp } from '../domain/ip.ts';

/**
 * The address a request came from, as the access log and the failed-authentication limit see it: Express's `req.ip`,
 * the TCP peer unless `trust proxy` (RIPOSTE_TRUST_PROXY) names the proxies whose `X-Forwarded-For` it may read. In
 * canonical form (an IPv4-mapped peer of a dual-stack listener is the IPv4 address, a zone id is dropped); undefined
 * when it is no address, since a forwarded header's text is the sender's to choose.
 */
export function clientAddress(req: Request): string | undefined {
  if (!req.ip) return undefined;
  try {
    return canonicalIp(req.ip.split('%')[0]!).address;
  } catch {
    return undefined;
  }
}
