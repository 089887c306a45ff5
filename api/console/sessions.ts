import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The console's session cookie; the API key itself never goes into it. */
export const SESSION_COOKIE = 'riposte_session';
/** The header every state-changing request authenticated by the cookie must carry. */
export const CSRF_HEADER = 'x-csrf-token';
export const DEFAULT_SESSION_TTL = '12h';

export interface SessionSettings {
  /** RIPOSTE_SESSION_SECRET; absent: a random one per process, so sessions end when it restarts. */
  secret?: string;
  /** RIPOSTE_SESSION_TTL in ms. */
  ttlMs: number;
}

/** What a valid cookie says: who signed in with which key, until when, and the token that proves a request is the page's own. */
export interface Session {
  id: string;
  /** The key's principal name when it signed in. */
  name: string;
  /** Names the key without revealing it: an HMAC of its SHA-256, so a rotated key ends its sessions. */
  keyTag: string;
  expiresAt: number;
  csrfToken: string;
}

const b64 = (bytes: Buffer) => bytes.toString('base64url');

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Stateless sessions: an HMAC-signed token holds the session, so any API process sharing RIPOSTE_SESSION_SECRET reads
 * it, across restarts. A logout is remembered until the session would have expired anyway, in the process that served
 * it: the browser drops the cookie at once, and a stolen copy lives at most the TTL.
 */
export function createSessions(settings: SessionSettings, now: () => number = Date.now) {
  const secret = settings.secret ?? b64(randomBytes(32));
  const revoked = new Map<string, number>();
  const mac = (purpose: string, text: string) => b64(createHmac('sha256', secret).update(`${purpose}:${text}`).digest());

  const keyTag = (keySha256: string) => mac('key', keySha256).slice(0, 22);
  const csrfFor = (id: string) => mac('csrf', id);

  function issue(name: string, keySha256: string): { token: string; session: Session } {
    const id = b64(randomBytes(16));
    const payload = b64(Buffer.from(JSON.stringify({ s: id, n: name, k: keyTag(keySha256), e: now() + settings.ttlMs })));
    const token = `${payload}.${mac('session', payload)}`;
    return { token, session: read(token)! };
  }

  function read(token: string): Session | undefined {
    const [payload, signature, ...rest] = token.split('.');
    if (!payload || !signature || rest.length > 0 || !sameText(signature, mac('session', payload))) return undefined;
    const { s: id, n: name, k: tag, e: expiresAt } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (typeof id !== 'string' || typeof name !== 'string' || typeof tag !== 'string' || typeof expiresAt !== 'number') return undefined;
    if (expiresAt <= now() || revoked.has(id)) return undefined;
    return { id, name, keyTag: tag, expiresAt, csrfToken: csrfFor(id) };
  }

  function revoke(session: Session): void {
    for (const [id, until] of revoked) if (until <= now()) revoked.delete(id);
    revoked.set(session.id, session.expiresAt);
  }

  const csrfMatches = (session: Session, presented: string | undefined) => presented !== undefined && sameText(presented, session.csrfToken);

  return { ttlMs: settings.ttlMs, keyTag, issue, read, revoke, csrfMatches };
}
export type Sessions = ReturnType<typeof createSessions>;

/** The session cookie's value, from the Cookie header; no cookie library for one name. */
export function sessionCookie(header: string | undefined): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const [name, ...value] = part.trim().split('=');
    if (name === SESSION_COOKIE) return value.join('=');
  }
  return undefined;
}
