import type { Access } from '../access.ts';
import type { JsonSchema } from './jsonSchema.ts';

/** The body of every refusal and failure, as api/errors.ts's errorHandler writes it. */
export const ERROR_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    error: { type: 'string', description: 'A stable code: validation_failed, unauthorized, forbidden, not_found, conflict, rate_limited, temporal_unavailable…' },
    message: { type: 'string', description: 'What went wrong, for a person.' },
    issues: {
      type: 'array',
      description: 'Each field at fault, by its path (`ip`, `[3].ip`, `query.limit`, `events[0].src_ip`).',
      items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } }, required: ['path', 'message'] },
    },
  },
  required: ['error', 'message'],
};

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503;

const GENERAL: Record<ErrorStatus, string> = {
  400: 'Invalid input (`validation_failed`): every field at fault is named in `issues`.',
  401: 'No valid credential (`unauthorized`).',
  403: 'The credential may not do this (`forbidden`): the key\'s role, its `allowFrom` networks, a key in the URL that is not an ingest key sending alerts, or a signed webhook outside the alert routes.',
  404: 'Not found.',
  409: 'Not in a state that allows it (`conflict`).',
  413: 'The body is larger than RIPOSTE_MAX_BODY_BYTES (`payload_too_large`).',
  429: 'Too many requests: `rate_limited` (the key is over its `ratePerMinute`) or `too_many_failures` (this address failed to authenticate too often). Retry after `Retry-After` seconds.',
  503: 'Temporal cannot be reached (`temporal_unavailable`); nothing was done. Retry after `Retry-After` seconds.',
};

const RETRY_AFTER = { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } };

/** A route's own description replaces the general one; only the general 503 (Temporal unreachable) sends Retry-After. */
export function errorResponse(status: ErrorStatus, description?: string) {
  return {
    description: description ?? GENERAL[status],
    ...(status === 429 || (status === 503 && description === undefined) ? { headers: RETRY_AFTER } : {}),
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
}

/**
 * The refusals given before any route runs, by the route's access rule: the failed-authentication limit refuses an
 * address on every route, the guard refuses credentials on the routes that take one.
 */
export function guardStatuses(access: Access): ErrorStatus[] {
  switch (access) {
    case 'public':
      return [429];
    case 'slack':
      return [401, 429];
    default:
      return [401, 403, 429];
  }
}
