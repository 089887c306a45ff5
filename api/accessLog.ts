import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import { clientAddress } from './clientAddress.ts';

/** One line per request. Never a header, a query string or a body: keys and tokens travel in those. */
export type AccessLogLine = {
  method: string;
  /** Without the query string, where a SIEM may carry `?key=` and a firewall `?token=`. */
  path: string;
  status: number;
  /** The API key's or signed webhook's principal, or the feed consumer; null when the request authenticated as no one. */
  principal: string | null;
  source: string | null;
  durationMs: number;
  /** Also sent back as `X-Request-Id`, and on the error log line of a 500. */
  requestId: string;
  /** The client went away before the whole answer was sent. */
  aborted?: true;
};

/**
 * Registered before the guard, so refused requests (401, 403, 429) are logged too. Written when the response ends,
 * whatever ended it: by then the guard has set the principal.
 */
export function accessLog(write: (line: AccessLogLine) => void): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const { method, path } = req;
    // Read now: once the connection has closed, the socket no longer knows its peer.
    const source = clientAddress(req) ?? null;
    const requestId = randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    res.once('close', () => {
      write({
        method,
        path,
        status: res.statusCode,
        principal: req.principal?.name ?? req.feedConsumer ?? null,
        source,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        requestId,
        ...(res.writableFinished ? {} : { aborted: true as const }),
      });
    });
    next();
  };
}
