import { createHash } from 'node:crypto';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import type { DomainFeedEntry } from '../../activities/domains/domainFeed.ts';
import type { FeedHold } from '../../activities/enforce/edlFile.ts';
import type { BlockTarget } from '../../activities/enforce/enforcementPoint.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';

export interface BlocklistSource {
  /** What the feed serves: while a shrink is held, the entries it withholds dropping too. */
  read(): Promise<BlockTarget[]>;
  /** The shrink held back now; absent: the source has no shrink guard. */
  hold?(): Promise<FeedHold | undefined>;
  /** Lets the held shrink go out; undefined when nothing is held. */
  release?(by: string): Promise<FeedHold | undefined>;
}

export interface DomainFeedSource {
  list(): Promise<DomainFeedEntry[]>;
}

export interface FeedsDeps {
  blocklist: BlocklistSource;
  /** Absent: `domains.txt` answers 404 `not_configured` (see there). */
  domainFeed?: DomainFeedSource;
  /** The feed consumers configured (principals file `feeds:`, RIPOSTE_FEED_TOKEN), listed by GET /v1/feeds/status. */
  consumers?: readonly string[];
  log: (message: string, fields: Record<string, unknown>) => void;
  /** Each fetch (consumer, feed, status, entries) and each release; the info log. */
  feedLog?: (message: string, fields: Record<string, unknown>) => void;
}

interface FeedFetch {
  at: string;
  feed: string;
  status: number;
  entries: number;
  from?: string;
}

/** Not strict: pullers authenticate with `?token=`, which the guard has already checked. */
export const domainsQuery = z.object({ kind: z.enum(['domain', 'url']).optional() });

/** Canonical URLs always carry their scheme; a domain never contains `://`. */
const isUrl = (entry: string) => entry.includes('://');

const holdView = (hold: FeedHold) => ({
  since: new Date(hold.since).toISOString(),
  withheld: hold.withheld,
  entries: hold.entries,
  sample: hold.sample,
  ...(hold.released ? { released: hold.released } : {}),
});

/**
 * The lists that firewalls, proxies and DNS firewalls pull: one canonical entry a line, de-duplicated, ETag'd. Every
 * puller keeps its last good list when a fetch fails, but applies whatever a 200 carries, so a list that cannot be
 * read answers 503, never an empty 200 that would lift every block at once.
 */
export function feedsRouter({ blocklist, domainFeed, consumers = [], log, feedLog = () => undefined }: FeedsDeps): Router {
  const router = Router();
  // Per API process: each one knows the fetches it answered. Bounded by the configured consumers and API keys.
  const lastFetch = new Map<string, FeedFetch>();

  async function read<T>(feed: string, source: () => Promise<T>): Promise<T> {
    try {
      return await source();
    } catch (err) {
      log('feed read failed', { feed, error: String((err as Error)?.message ?? err) });
      throw new HttpError(503, 'feed_unavailable', `the ${feed} feed cannot be read now; keep the last list and retry`);
    }
  }

  function send(req: Request, res: Response, feed: string, lines: readonly string[]): void {
    const status = sendList(req, res, lines);
    const consumer = req.feedConsumer ?? req.principal?.name ?? 'unknown';
    const fetch: FeedFetch = { at: new Date().toISOString(), feed, status, entries: new Set(lines).size, from: req.socket.remoteAddress };
    lastFetch.set(consumer, fetch);
    feedLog('feed fetched', { consumer, ...fetch });
  }

  /**
   * The External Dynamic List of addresses. One target a line: an address, or a range as `network/prefix`, the CIDR
   * form Palo Alto EDLs, Fortinet threat feeds and pfSense URL tables all read.
   */
  router.get('/blocklist.txt', async (req, res) => {
    send(req, res, 'blocklist', (await read('blocklist', () => blocklist.read())).map((t) => t.address));
  });

  /**
   * Domains (`evil.example`, IDNs as `xn--` labels) and URLs (`http://evil.example/login`), as `blocklist_domain`
   * entered them, for proxies that take both (Squid, Zscaler URL categories, Palo Alto EDLs of type URL).
   * `?kind=domain` lists the domains alone, for DNS firewalls (RPZ) and domain-type EDLs, which cannot use a URL;
   * `?kind=url` the URLs alone. A URL's domain is not listed for it: that would block the whole site.
   *
   * Without a domain feed configured the route answers 404 `not_configured`, not an empty list: a puller keeps what it
   * has on any failed fetch, where an empty 200 from an API started without the feed by mistake would empty every
   * proxy's list; and unlike a 503 it tells the operator reading the puller's fetch status that retrying will not help.
   */
  router.get('/domains.txt', async (req, res) => {
    if (!domainFeed) throw new HttpError(404, 'not_configured', 'this deployment keeps no domain feed', undefined, { 'Cache-Control': 'no-cache' });
    const query = domainsQuery.safeParse(req.query);
    if (!query.success) throw validationFailed(zodIssues(query.error, ['query']));
    const { kind } = query.data;
    const entries = (await read('domains', () => domainFeed.list())).map((e) => e.entry);
    send(req, res, 'domains', kind === undefined ? entries : entries.filter((entry) => isUrl(entry) === (kind === 'url')));
  });

  /** The blocklist's shrink guard, and each consumer's last fetch from this API process (null: none seen). */
  router.get('/status', async (_req, res) => {
    const hold = await read('blocklist', async () => blocklist.hold?.());
    const names = [...new Set([...consumers, ...lastFetch.keys()])].sort();
    res.json({
      blocklist: { held: hold !== undefined && !hold.released, ...(hold ? { hold: holdView(hold) } : {}) },
      consumers: names.map((name) => ({ name, configured: consumers.includes(name), lastFetch: lastFetch.get(name) ?? null })),
    });
  });

  /** An admin lets a held shrink go out: from the next fetch on, the feed serves the live blocks alone. */
  router.post('/blocklist/release', async (req, res) => {
    if (!blocklist.release) throw new HttpError(404, 'not_configured', 'this blocklist has no shrink guard');
    const by = req.principal?.name ?? 'unknown';
    const released = await read('blocklist', () => blocklist.release!(by));
    if (!released) throw new HttpError(409, 'not_held', 'the blocklist feed holds no shrink back');
    feedLog('feed shrink released', { feed: 'blocklist', by, since: new Date(released.since).toISOString(), withheld: released.withheld });
    res.json({ released: holdView(released) });
  });

  return router;
}

/** Plain string order: stable for ETags and diffs, and cheap at 100k entries. Answers 200 or 304. */
function sendList(req: Request, res: Response, lines: readonly string[]): number {
  const sorted = [...new Set(lines)].sort();
  const body = sorted.length > 0 ? `${sorted.join('\n')}\n` : '';
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
  res.set({ 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-cache', ETag: etag });
  if (unchanged(req.get('if-none-match'), etag)) {
    res.status(304).end();
    return 304;
  }
  res.send(body);
  return 200;
}

/**
 * If-None-Match's weak comparison over a list (RFC 9110 §13.1.2): a compressing proxy weakens the ETag on its way
 * back. Not Express's `req.fresh`, which answers 200 whenever the request also says `Cache-Control: no-cache`, as
 * fetch() does on every conditional request.
 */
function unchanged(ifNoneMatch: string | undefined, etag: string): boolean {
  return ifNoneMatch?.split(',').some((tag) => tag.trim() === '*' || tag.trim().replace(/^W\//, '') === etag) ?? false;
}
