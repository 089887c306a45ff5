import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type Request, type RequestHandler } from 'express';
import type { Principal } from '../domain/incident.ts';
import { type CanonicalCidr, type CanonicalIp, canonicalCidr, canonicalIp, cidrContains } from '../domain/ip.ts';
import { accessFor, describeAccess, describeNeeded, keyRoleFor, type Role, roleGrants } from './access.ts';
import { HttpError } from './errors.ts';
import { createRateLimiter } from './rateLimit.ts';
import { CSRF_HEADER, type Session, sessionCookie, type Sessions } from './console/sessions.ts';
import { createSignatureVerifier, type PendingSignature, SIGNATURE_HEADER, type WebhookSecret } from './signature.ts';

export { ROLES, type Role } from './access.ts';

/** A configured API key: only the SHA-256 of the key is kept. */
export interface ApiKeySpec {
  /** Recorded as the principal on every approval, rejection, pause, unblock and verdict. */
  name: string;
  role: Role;
  /** Hex SHA-256 of the key's UTF-8 bytes. */
  sha256: string;
  /** Source networks the key may be used from (the TCP peer, IPv4-mapped IPv6 folded); absent: anywhere. */
  allowFrom?: readonly string[];
  /** Token bucket per key and API process; absent: no limit. */
  ratePerMinute?: number;
  burst?: number;
}

/** The principal a request acts as; `role` is what the guard checked. */
export interface RequestPrincipal extends Principal {
  role: Role;
  via: 'api-key' | 'signature' | 'session';
}

/** A firewall or proxy that pulls the feeds with a token of its own (the principals file's `feeds:`): only its SHA-256 is kept. */
export interface FeedConsumer {
  /** Recorded with every fetch it makes. */
  name: string;
  /** Hex SHA-256 of the token's UTF-8 bytes. */
  sha256: string;
}

/** The consumer name of RIPOSTE_FEED_TOKEN, which has none of its own; no principals-file name has a colon. */
export const FEED_TOKEN_CONSUMER = 'env:RIPOSTE_FEED_TOKEN';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: RequestPrincipal;
    /** Set by the guard for a signed webhook until the body has been read and verified. */
    pendingSignature?: PendingSignature;
    /** The feed consumer whose token the guard accepted. */
    feedConsumer?: string;
  }
}

export const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');

/**
 * A plain key from RIPOSTE_API_KEYS (or the generated development key): role admin, named after its hash, so the
 * quick start can ingest and approve with one key. Production keys belong in the principals file.
 */
export function plainAdminKey(key: string, name = `api-key:${sha256Hex(key).slice(0, 8)}`): ApiKeySpec {
  return { name, role: 'admin', sha256: sha256Hex(key) };
}

interface KeyEntry {
  spec: ApiKeySpec;
  digest: Buffer;
  allowFrom?: CanonicalCidr[];
}

/** Keys are compared as SHA-256 digests, each in constant time, and every entry is compared. */
export function createKeyRing(keys: readonly (string | ApiKeySpec)[]) {
  const entries: KeyEntry[] = keys.map((key) => {
    const spec = typeof key === 'string' ? plainAdminKey(key) : key;
    return { spec, digest: Buffer.from(spec.sha256, 'hex'), allowFrom: spec.allowFrom?.map(canonicalCidr) };
  });
  return {
    entries: entries as readonly KeyEntry[],
    find(presented: string): KeyEntry | undefined {
      const candidate = createHash('sha256').update(presented, 'utf8').digest();
      let found: KeyEntry | undefined;
      for (const entry of entries) {
        if (entry.digest.length === candidate.length && timingSafeEqual(candidate, entry.digest) && !found) found = entry;
      }
      return found;
    },
  };
}
export type KeyRing = ReturnType<typeof createKeyRing>;

/** The password of an HTTP Basic `Authorization` header; the user name is not read. */
function basicPassword(req: Request): string | undefined {
  const basic = req.get('authorization')?.match(/^Basic\s+(\S+)$/i)?.[1];
  return basic ? Buffer.from(basic, 'base64').toString('utf8').split(':').slice(1).join(':') : undefined;
}

/**
 * The API key of a request: a Bearer token, `X-API-Key`, the HTTP Basic password (Graylog's and Wazuh's senders), or,
 * for SIEMs whose webhooks set no header (Splunk's), the query parameter `key`, which the guard takes from ingest keys only.
 */
export function presentedKey(req: Request): { key: string; inUrl: boolean } | undefined {
  const bearer = req.get('authorization')?.match(/^Bearer\s+(\S+)$/i)?.[1];
  const header = bearer ?? req.get('x-api-key') ?? basicPassword(req);
  if (header !== undefined) return { key: header, inUrl: false };
  return typeof req.query.key === 'string' ? { key: req.query.key, inUrl: true } : undefined;
}

/**
 * The TCP peer, never a forwarded header: allowFrom is about who connects. `::ffff:a.b.c.d` (a dual-stack listener)
 * is folded to the IPv4 address. `undefined` when it cannot be read, which no allowFrom list contains.
 */
function remoteAddress(req: Request): CanonicalIp | undefined {
  const raw = req.socket.remoteAddress;
  if (!raw) return undefined;
  try {
    return canonicalIp(raw.split('%')[0]!);
  } catch {
    return undefined;
  }
}

export interface GuardOptions {
  /** Plain strings are RIPOSTE_API_KEYS keys, with role admin. */
  keys: readonly (string | ApiKeySpec)[];
  /** RIPOSTE_FEED_TOKEN: one consumer without a name of its own. */
  feedToken?: string;
  feedConsumers?: readonly FeedConsumer[];
  webhookSecrets?: readonly WebhookSecret[];
  /** RIPOSTE_METRICS_TOKEN: lets a Prometheus server scrape GET /metrics without an API key. */
  metricsToken?: string;
  /** Clock for rate limits and signature windows; tests move it. */
  now?: () => number;
  /** The console's sessions: a valid `riposte_session` cookie stands for the key that signed in. */
  sessions?: Sessions;
}

const unauthorized = () => new HttpError(401, 'unauthorized', 'send a valid API key as "Authorization: Bearer <key>" or "X-API-Key", or a signed webhook', undefined, { 'WWW-Authenticate': 'Bearer' });
const forbidden = (message: string) => new HttpError(403, 'forbidden', message);
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Authentication and authorization for the whole app, before any body is read: an anonymous, unauthorized or
 * throttled caller cannot make the API parse anything, and a refused request reaches no router.
 *
 * `guard` goes first; `jsonBody` parses `/v1` bodies and, for signed webhooks, verifies the signature over the raw
 * bytes before they are parsed.
 */
export function createGuard(options: GuardOptions) {
  const ring = createKeyRing(options.keys);
  const limiter = createRateLimiter(options.now);
  const signatures = createSignatureVerifier({ secrets: options.webhookSecrets ?? [], now: options.now });
  const feedTokens = [
    ...(options.feedToken ? [{ name: FEED_TOKEN_CONSUMER, digest: createHash('sha256').update(options.feedToken).digest() }] : []),
    ...(options.feedConsumers ?? []).map((consumer) => ({ name: consumer.name, digest: Buffer.from(consumer.sha256, 'hex') })),
  ];

  /**
   * Pulling firewalls authenticate with a feed token of their own (query `token` or the HTTP Basic password, as EDL
   * clients support) or any API key. Palo Alto stops enforcing its EDL on a 401, so the token is checked and nothing
   * else. Every token is compared, each in constant time; the consumer's name is what the fetch is recorded under.
   */
  function feedConsumerOf(req: Request): string | undefined {
    const token = typeof req.query.token === 'string' ? req.query.token : basicPassword(req);
    if (token === undefined) return undefined;
    const candidate = createHash('sha256').update(token).digest();
    let found: string | undefined;
    for (const { name, digest } of feedTokens) {
      if (digest.length === candidate.length && timingSafeEqual(candidate, digest) && found === undefined) found = name;
    }
    return found;
  }

  const scrapeDigest = options.metricsToken === undefined ? undefined : createHash('sha256').update(options.metricsToken, 'utf8').digest();
  /** The scrape token comes in a header, as Prometheus sends credentials; compared as a digest in constant time, like keys. */
  function isScrapeToken(req: Request): boolean {
    const presented = presentedKey(req);
    if (!scrapeDigest || !presented || presented.inUrl) return false;
    return timingSafeEqual(createHash('sha256').update(presented.key, 'utf8').digest(), scrapeDigest);
  }

  const sessionKeys = new Map(options.sessions ? ring.entries.map((entry) => [options.sessions!.keyTag(entry.spec.sha256), entry]) : []);
  /** The session of the request's cookie, and the key it stands for while that key is still configured. */
  function sessionOf(req: Request): { session: Session; entry: KeyEntry } | undefined {
    const token = sessionCookie(req.get('cookie'));
    const session = token === undefined ? undefined : options.sessions?.read(token);
    const entry = session && sessionKeys.get(session.keyTag);
    return session && entry ? { session, entry } : undefined;
  }

  function sourceRefusal(req: Request, entry: KeyEntry): HttpError | undefined {
    if (!entry.allowFrom) return undefined;
    const source = remoteAddress(req);
    if (source && entry.allowFrom.some((cidr) => cidrContains(cidr, source))) return undefined;
    return forbidden(`this API key may not be used from ${source?.address ?? 'an unknown address'}`);
  }

  /** The console's login: the key a person typed, checked as the guard checks a key; the console is not for ingest keys. */
  function signIn(req: Request, key: string): ApiKeySpec {
    const entry = ring.find(key);
    if (!entry) throw new HttpError(401, 'unauthorized', 'that API key is not valid');
    const refused = sourceRefusal(req, entry);
    if (refused) throw refused;
    if (!roleGrants(entry.spec.role, 'viewer')) throw forbidden(`${entry.spec.name} has role ${entry.spec.role}, which only sends alerts; the console needs role ${describeNeeded('viewer')}`);
    return entry.spec;
  }

  /**
   * A key in a header, or else the console's session cookie. The cookie is sent by the browser on its own, so a state
   * change it authenticates must also carry the session's CSRF token, which only the console's own pages can read.
   */
  function credentialOf(req: Request): { entry?: KeyEntry; inUrl: boolean; via: RequestPrincipal['via'] } | HttpError {
    const presented = presentedKey(req);
    if (presented) return { entry: ring.find(presented.key), inUrl: presented.inUrl, via: 'api-key' };
    const signedIn = sessionOf(req);
    if (signedIn && !SAFE_METHODS.has(req.method) && !options.sessions!.csrfMatches(signedIn.session, req.get(CSRF_HEADER))) {
      return new HttpError(403, 'csrf', `a request authenticated by the console's session must carry its ${CSRF_HEADER} header`);
    }
    return { entry: signedIn?.entry, inUrl: false, via: 'session' };
  }

  const guard: RequestHandler = (req, _res, next) => {
    const { access, route } = accessFor(req.method, req.path);
    // The Slack route verifies Slack's signature itself, and the mapped Slack user's role, before it acts.
    if (access === 'public' || access === 'slack') return next();
    if (access === 'feed') {
      req.feedConsumer = feedConsumerOf(req);
      if (req.feedConsumer !== undefined) return next();
    }
    if (access === 'metrics' && isScrapeToken(req)) return next();

    const signatureHeader = req.get(SIGNATURE_HEADER);
    if (signatureHeader !== undefined) {
      if (access !== 'ingest') return next(forbidden(`${route} needs ${describeAccess(access)}; signed webhooks may only send alerts`));
      req.pendingSignature = signatures.check(signatureHeader);
      return next();
    }

    const credential = credentialOf(req);
    if (credential instanceof HttpError) return next(credential);
    const { entry, inUrl, via } = credential;
    if (!entry) return next(unauthorized());
    const { spec } = entry;
    // A URL is written to proxy and SIEM logs: a key found there may send alerts and nothing else.
    if (inUrl && (access !== 'ingest' || spec.role !== 'ingest')) {
      return next(forbidden(`a key in the URL (?key=) is accepted only from a key with role ingest sending alerts; send ${spec.name}'s key in a header`));
    }
    const refused = sourceRefusal(req, entry);
    if (refused) return next(refused);
    if (spec.ratePerMinute !== undefined) {
      const decision = limiter.take(spec.name, { ratePerMinute: spec.ratePerMinute, burst: spec.burst });
      if (!decision.allowed) {
        return next(new HttpError(429, 'rate_limited', `this API key is limited to ${spec.ratePerMinute} requests a minute; retry in ${decision.retryAfterSeconds} s`, undefined, { 'Retry-After': String(decision.retryAfterSeconds) }));
      }
    }
    const needed = keyRoleFor(access);
    if (needed !== undefined && !roleGrants(spec.role, needed)) {
      return next(forbidden(`${route} needs ${describeAccess(access)}; this key (${spec.name}) has role ${spec.role}`));
    }
    req.principal = { name: spec.name, kind: spec.role === 'ingest' ? 'automation' : 'person', role: spec.role, via };
    next();
  };

  function jsonBody(limit: number): RequestHandler[] {
    const plain = express.json({ limit, strict: false });
    // Every signed body is read, whatever its Content-Type, so no request skips verification by not being JSON.
    const signed = express.json({
      limit,
      strict: false,
      type: () => true,
      verify: (req, res, raw) => acceptSignature(req as Request, res as express.Response, raw),
    });
    function acceptSignature(req: Request, res: express.Response, raw: Buffer): void {
      const { name, forget } = signatures.verify(req.pendingSignature!, raw);
      req.pendingSignature = undefined;
      req.principal = { name: `webhook:${name}`, kind: 'automation', role: 'ingest', via: 'signature' };
      // A request that failed on the server's side (Temporal unreachable) may be retried as it was signed.
      res.once('finish', () => {
        if (res.statusCode >= 500) forget();
      });
    }
    return [
      (req, res, next) => (req.pendingSignature ? signed : plain)(req, res, next),
      (req, res, next) => {
        // A signed request without a body was not seen by the parser: its signature covers the empty body.
        if (req.pendingSignature) acceptSignature(req, res, Buffer.alloc(0));
        next();
      },
    ];
  }

  return { guard, jsonBody, signIn, sessionOf };
}
