import { isGrpcDeadlineError, isGrpcServiceError } from '@temporalio/client';
import type { ErrorRequestHandler } from 'express';
import type { ZodError } from 'zod';
import { fieldPath } from '../domain/fieldPath.ts';

export interface Issue {
  path: string;
  message: string;
}

/** An error the client can act on: status, stable code, message, and the fields at fault. */
export class HttpError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly issues?: Issue[], readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export function zodIssues(error: ZodError, prefix: (string | number)[] = []): Issue[] {
  return error.issues.map((issue) => ({ path: fieldPath([...prefix, ...issue.path], '(body)'), message: issue.message }));
}

export function validationFailed(issues: Issue[]): HttpError {
  return new HttpError(400, 'validation_failed', 'the request body is not valid', issues);
}


const GRPC_UNAVAILABLE = 14;

/** The answer while Temporal cannot be reached: the SIEM sends again, and nothing was accepted. */
export const temporalUnavailable = () => new HttpError(503, 'temporal_unavailable', 'Temporal cannot be reached; retry later', undefined, { 'Retry-After': '5' });

function temporalUnreachable(err: unknown): boolean {
  if (isGrpcDeadlineError(err)) return true;
  if (isGrpcServiceError(err)) return err.code === GRPC_UNAVAILABLE;
  return /ECONNREFUSED|UNAVAILABLE|Failed to connect/i.test((err as Error)?.message ?? '');
}

/** Every failure leaves as JSON with a code; stack traces and internal messages stay in the log. */
export function errorHandler(log: (message: string, fields: Record<string, unknown>) => void): ErrorRequestHandler {
  return (err, req, res, _next) => {
    let error: HttpError;
    if (err instanceof HttpError) error = err;
    else if (err?.type === 'entity.too.large') error = new HttpError(413, 'payload_too_large', `the body exceeds ${err.limit} bytes`);
    else if (err?.type === 'entity.parse.failed') error = validationFailed([{ path: '(body)', message: 'not valid JSON' }]);
    else if (err?.type === 'encoding.unsupported' || err?.type === 'charset.unsupported') error = new HttpError(415, 'unsupported_encoding', 'send UTF-8 JSON');
    else if (temporalUnreachable(err)) error = temporalUnavailable();
    else {
      log('request failed', { method: req.method, path: req.path, requestId: res.locals.requestId, error: String(err?.message ?? err) });
      error = new HttpError(500, 'internal_error', 'internal error');
    }
    res.status(error.status).set(error.headers).json({ error: error.code, message: error.message, ...(error.issues ? { issues: error.issues } : {}) });
  };
}
