import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Principal } from '../domain/incident.ts';
import { HttpError } from './errors.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Keys are compared as SHA-256 digests, so the comparison is constant-time whatever their lengths. */
export function createKeyRing(keys: readonly string[]) {
  const entries = keys.map((key) => ({ digest: digest(key), name: `api-key:${digest(key).toString('hex').slice(0, 8)}` }));
  return {
    principalFor(presented: string): Principal | undefined {
      const candidate = digest(presented);
      let found: Principal | undefined;
      for (const entry of entries) {
        if (timingSafeEqual(candidate, entry.digest)) found = { name: entry.name, kind: 'person' };
      }
      return found;
    },
  };
}
export type KeyRing = ReturnType<typeof createKeyRing>;

export function presentedKey(req: Request): string | undefined {
  const header = req.get('authorization');
  const bearer = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  return bearer ?? req.get('x-api-key') ?? undefined;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Authenticates before the body is read, so an anonymous caller cannot make the API parse anything. */
export function requireApiKey(ring: KeyRing): RequestHandler {
  return (req, _res, next) => {
    const key = presentedKey(req);
    const principal = key ? ring.principalFor(key) : undefined;
    if (!principal) {
      next(new HttpError(401, 'unauthorized', 'send a valid API key as "Authorization: Bearer <key>" or "X-API-Key"', undefined, { 'WWW-Authenticate': 'Bearer' }));
      return;
    }
    req.principal = principal;
    next();
  };
}

/**
 * Pulling firewalls authenticate with a feed token (query `token` or the HTTP Basic password, as EDL clients
 * support) or any API key. Palo Alto stops enforcing its EDL on a 401, so the token is checked and nothing else.
 */
export function requireFeedAccess(ring: KeyRing, feedToken: string | undefined): RequestHandler {
  const tokenDigest = feedToken ? digest(feedToken) : undefined;
  return (req, _res, next) => {
    const basic = req.get('authorization')?.match(/^Basic\s+(\S+)$/i)?.[1];
    const basicPassword = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined;
    const token = typeof req.query.token === 'string' ? req.query.token : basicPassword;
    if (tokenDigest && token !== undefined && timingSafeEqual(digest(token), tokenDigest)) {
      next();
      return;
    }
    requireApiKey(ring)(req, _res, next);
  };
}
