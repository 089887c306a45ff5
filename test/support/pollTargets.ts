/**
 * Loopback stand-ins for the APIs pollers read, paging as the real ones do: Elasticsearch's point in time with
 * `search_after` (frozen view, a new `pit_id` on each answer, `_shard_doc` tiebreaker, close), and a JSON API that
 * lists alerts at or after a cursor parameter, a page at a time. Each keeps every request and counts how many were
 * ever answered at once, so a test can tell whether two runs of one poller overlapped.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SiemRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  json: any;
}

interface Reply {
  status: number;
  body: unknown;
}

async function serve(route: (req: SiemRequest) => Reply, delayMs: number) {
  const requests: SiemRequest[] = [];
  let inFlight = 0;
  let mostAtOnce = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    mostAtOnce = Math.max(mostAtOnce, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const text = Buffer.concat(chunks).toString('utf8');
      const request: SiemRequest = { method: req.method ?? '', path: url.pathname, query: url.searchParams, headers: req.headers, json: text ? JSON.parse(text) : undefined };
      requests.push(request);
      setTimeout(() => {
        const { status, body } = route(request);
        inFlight -= 1;
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }, delayMs);
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    mostAtOnce: () => mostAtOnce,
    close: () => new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    }),
  };
}

const esError = (status: number, type: string, reason: string): Reply => ({ status, body: { error: { root_cause: [{ type, reason }], type, reason }, status } });

/** Elasticsearch date math as far as `now-<n><unit>` goes, or an ISO 8601 time. */
function instant(value: string, now: number): number {
  const math = /^now(?:-(\d+)([smhd]))?$/.exec(value);
  if (!math) return Date.parse(value);
  return now - (math[1] ? Number(math[1]) * { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[math[2] as 's' | 'm' | 'h' | 'd'] : 0);
}

function fieldOf(source: Record<string, unknown>, field: string): unknown {
  if (Object.hasOwn(source, field)) return source[field];
  return field.split('.').reduce<unknown>((value, part) => (value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[part] : undefined), source);
}

export interface ElasticDocument {
  _id: string;
  _source: Record<string, unknown> & { '@timestamp': string };
}

/** Elasticsearch 8 behind an API key: `POST /<index>/_pit`, `POST /_search` with `pit`, `DELETE /_pit`. */
export async function startFakeElastic({ apiKey, index, delayMs = 0 }: { apiKey: string; index: string; delayMs?: number }) {
  const documents: ElasticDocument[] = [];
  // A point in time sees the documents indexed before it was opened, by its base id; every answer renames it.
  const pits = new Map<string, number>();
  let opened = 0;
  let renamed = 0;
  const baseOf = (id: string) => id.split('~')[0]!;

  function search(body: any): Reply {
    const pit = body?.pit?.id;
    if (typeof pit !== 'string' || !pits.has(baseOf(pit))) return esError(404, 'search_context_missing_exception', 'No search context found for id');
    const sort = JSON.stringify(body.sort);
    if (sort !== JSON.stringify([{ '@timestamp': { order: 'asc', format: 'strict_date_optional_time_nanos' } }, { _shard_doc: 'asc' }])) return esError(400, 'illegal_argument_exception', `unexpected sort ${sort}`);
    const clauses: any[] = body?.query?.bool?.filter;
    if (!Array.isArray(clauses)) return esError(400, 'parsing_exception', 'expected bool.filter');
    const now = Date.now();
    const visible = documents.slice(0, pits.get(baseOf(pit))).map((doc, shardDoc) => ({ doc, shardDoc, at: Date.parse(doc._source['@timestamp']) }));
    const matching = visible.filter(({ doc, at }) => clauses.every((clause) => {
      if (clause.range?.['@timestamp']?.gte !== undefined) return at >= instant(clause.range['@timestamp'].gte, now);
      if (clause.term) return Object.entries(clause.term).every(([field, value]) => fieldOf(doc._source, field) === value);
      throw new Error(`the fake reads range and term clauses only: ${JSON.stringify(clause)}`);
    }));
    const after = body.search_after as [string, number] | undefined;
    const page = matching
      .filter(({ at, shardDoc }) => !after || at > Date.parse(after[0]) || (at === Date.parse(after[0]) && shardDoc > after[1]))
      .slice(0, body.size);
    renamed += 1;
    return {
      status: 200,
      body: {
        pit_id: `${baseOf(pit)}~${renamed}`, took: 3, timed_out: false, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
        hits: { max_score: null, hits: page.map(({ doc, shardDoc }) => ({ _index: index, _id: doc._id, _score: null, _source: doc._source, sort: [new Date(doc._source['@timestamp']).toISOString(), shardDoc] })) },
      },
    };
  }

  const server = await serve((req) => {
    if (req.headers.authorization !== `ApiKey ${apiKey}`) return esError(401, 'security_exception', 'unable to authenticate with provided credentials');
    if (req.method === 'POST' && req.path === `/${encodeURIComponent(index)}/_pit`) {
      if (!req.query.get('keep_alive')) return esError(400, 'action_request_validation_exception', 'keep_alive is missing');
      opened += 1;
      pits.set(`pit-${opened}`, documents.length);
      return { status: 200, body: { id: `pit-${opened}`, _shards: { total: 1, successful: 1, skipped: 0, failed: 0 } } };
    }
    if (req.method === 'POST' && req.path === '/_search') return search(req.json);
    if (req.method === 'DELETE' && req.path === '/_pit') {
      const freed = pits.delete(baseOf(String(req.json?.id)));
      return { status: freed ? 200 : 404, body: { succeeded: freed, num_freed: freed ? 1 : 0 } };
    }
    return esError(404, 'no_handler_found', `${req.method} ${req.path}`);
  }, delayMs);
  return { ...server, documents, openPits: () => pits.size };
}

/** A JSON API: `GET /api/alerts?since=<occurredAt>` lists the alerts at or after it, oldest first, `limit` at a time. */
export async function startFakeAlertApi({ apiKey, limit, delayMs = 0 }: { apiKey: string; limit: number; delayMs?: number }) {
  const alerts: (Record<string, unknown> & { occurredAt: string })[] = [];
  const server = await serve((req) => {
    if (req.headers['x-api-key'] !== apiKey) return { status: 401, body: { error: 'unauthorized' } };
    if (req.method !== 'GET' || req.path !== '/api/alerts') return { status: 404, body: { error: 'not_found' } };
    const since = req.query.get('since');
    const listed = alerts
      .filter((alert) => since === null || Date.parse(alert.occurredAt) >= Date.parse(since))
      .sort((a, b) => Date.parse(a.occurredAt) - Date.parse(b.occurredAt))
      .slice(0, limit);
    return { status: 200, body: { data: { alerts: listed }, meta: { limit } } };
  }, delayMs);
  return { ...server, alerts };
}
