import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { VENDOR_REJECTED, vendorRequest } from '../vendorHttp.ts';
import { type PageRequest, pollerKind } from './poller.ts';

const settings = z.object({
  /** The cluster's base URL; a path prefix (a proxy's) is kept. */
  url: z.url({ protocol: /^https?$/ }),
  /** An index, alias, data stream or comma-separated pattern: `.alerts-security.alerts-default`. */
  index: z.string().min(1).max(1000).regex(/^[^\s/?#]+$/, 'an index name or pattern, without spaces, / ? or #'),
  /** Query DSL; the poller adds `<timestampField> >= cursor` to it. */
  query: z.record(z.string(), z.unknown()).optional(),
  timestampField: z.string().min(1).max(200).default('@timestamp'),
  /** Where the first run starts: Elasticsearch date math (`now-1h`) or an ISO 8601 time. */
  startFrom: z.string().min(1).max(100).default('now-1h'),
  pageSize: z.number().int().min(1).max(10_000).default(500),
  /** How long Elasticsearch keeps the point in time between two pages of a run. */
  keepAlive: z.string().regex(/^\d{1,6}(ms|s|m|h)$/, 'an Elasticsearch time unit such as 1m or 30s').default('1m'),
}).strict();

type Settings = z.output<typeof settings>;

const pitAnswer = z.object({ id: z.string().min(1) });
const searchAnswer = z.object({
  pit_id: z.string().min(1).optional(),
  hits: z.object({
    hits: z.array(z.object({
      _source: z.record(z.string(), z.unknown()),
      sort: z.array(z.union([z.string(), z.number()])).min(2),
    })),
  }),
});

const pageToken = z.object({ pit: z.string(), searchAfter: z.array(z.union([z.string(), z.number()])).optional() });

function endpoint(s: Settings, path: string): URL {
  return new URL(path, s.url.endsWith('/') ? s.url : `${s.url}/`);
}

function parsed<T>(schema: z.ZodType<T>, body: unknown, label: string, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  throw ApplicationFailure.create({ message: `${label}: Elasticsearch's ${what} answer has no valid ${issue.path.join('.') || 'body'}`, type: VENDOR_REJECTED, nonRetryable: true });
}

async function openPit(s: Settings, { headers, label }: PageRequest): Promise<string> {
  const url = endpoint(s, `${encodeURIComponent(s.index)}/_pit`);
  url.searchParams.set('keep_alive', s.keepAlive);
  const { body } = await vendorRequest({ label, method: 'POST', url, headers });
  return parsed(pitAnswer, body, label, 'point in time').id;
}

/**
 * Elasticsearch (Elastic Security's alerts index, or any index of alert documents) through a point in time: the run's
 * first read opens it, each read asks for the hits after the previous page's last sort values (`search_after`), sorted
 * by time with `_shard_doc` as the tiebreaker, and the run closes it. The cursor is the last hit's time, and the next
 * run asks for hits at or after it: the ones at that very time come again and are skipped as already sent.
 */
export const elasticPoller = pollerKind({
  kind: 'elastic',
  defaultSource: 'elastic',
  settings,
  async read(s, request) {
    const token = request.page === undefined ? undefined : pageToken.parse(request.page);
    const pit = token?.pit ?? await openPit(s, request);
    const range = { range: { [s.timestampField]: { gte: request.cursor ?? s.startFrom } } };
    const { body } = await vendorRequest({
      label: request.label,
      method: 'POST',
      url: endpoint(s, '_search'),
      headers: request.headers,
      body: {
        size: s.pageSize,
        query: { bool: { filter: [...(s.query ? [s.query] : []), range] } },
        pit: { id: pit, keep_alive: s.keepAlive },
        sort: [{ [s.timestampField]: { order: 'asc', format: 'strict_date_optional_time_nanos' } }, { _shard_doc: 'asc' }],
        ...(token?.searchAfter ? { search_after: token.searchAfter } : {}),
        track_total_hits: false,
      },
    });
    const answer = parsed(searchAnswer, body, request.label, 'search');
    const hits = answer.hits.hits;
    const last = hits.at(-1);
    return {
      items: hits.map((hit) => hit._source),
      cursor: last === undefined ? undefined : String(last.sort[0]),
      // Elasticsearch may answer with a new id for the same point in time; the newest is the one to use.
      next: { pit: answer.pit_id ?? pit, searchAfter: last?.sort ?? token?.searchAfter },
      more: hits.length === s.pageSize,
    };
  },
  async release(s, { page, headers, label }) {
    const { pit } = pageToken.parse(page);
    await vendorRequest({ label, method: 'DELETE', url: endpoint(s, '_pit'), headers, body: { id: pit }, accept: [404] });
  },
});
