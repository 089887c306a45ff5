import { Router } from 'express';
import { z } from 'zod';
import type { AuditReader } from '../../activities/audit/record.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';

export const AUDIT_DEFAULT_LIMIT = 100;
export const AUDIT_MAX_LIMIT = 1_000;

/** An ISO 8601 time with an offset, or epoch milliseconds. */
const since = z.string().transform((text, ctx) => {
  const ms = /^\d{1,15}$/.test(text) ? Number(text) : z.iso.datetime({ offset: true }).safeParse(text).success ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: 'custom', message: 'an ISO 8601 time such as 2024-05-01T12:00:00Z, or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});

export const auditQuery = z.object({
  incident: z.string().min(1).max(300).optional(),
  since: since.optional(),
  limit: z.string().regex(/^\d{1,5}$/, 'a whole number').transform(Number).pipe(z.number().int().min(1).max(AUDIT_MAX_LIMIT)).optional(),
}).strict();

/** `GET /v1/audit?incident=&since=&limit=`: the newest matching records of the audit trail, newest last. */
export function auditRouter({ audit }: { audit?: AuditReader }): Router {
  const router = Router();
  router.get('/v1/audit', async (req, res) => {
    const query = auditQuery.safeParse(req.query);
    if (!query.success) throw validationFailed(zodIssues(query.error, ['query']));
    if (!audit) throw new HttpError(503, 'audit_unavailable', 'this API process has no audit trail configured');
    const { incident, since: sinceMs, limit = AUDIT_DEFAULT_LIMIT } = query.data;
    const page = await audit.query({ incident, since: sinceMs, limit });
    res.json({ records: page.records, truncated: page.truncated, limit });
  });
  return router;
}
