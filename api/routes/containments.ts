import { Router } from 'express';
import { z } from 'zod';
import type { AuditReader, AuditRecord } from '../../activities/audit/record.ts';
import { parseDuration } from '../../domain/duration.ts';
import { decidesContainment, heldContainments } from '../../domain/heldContainments.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';

/** How far back the trail is read: a containment applied earlier and never undone is not listed. */
export const CONTAINMENTS_LOOKBACK_MS = parseDuration('366d');

export const containmentsQuery = z.object({}).strict();

/**
 * `GET /v1/containments`: the accounts Riposte disabled and the hosts and domains it contained that are still so,
 * from its own audit trail (domain/heldContainments.ts). Blocks have their own list, GET /v1/blocks.
 */
export function containmentsRouter({ audit, now = Date.now }: { audit?: AuditReader; now?: () => number }): Router {
  const router = Router();
  router.get('/v1/containments', async (req, res) => {
    const query = containmentsQuery.safeParse(req.query);
    if (!query.success) throw validationFailed(zodIssues(query.error, ['query']));
    if (!audit) throw new HttpError(503, 'audit_unavailable', 'this API process has no audit trail configured');
    const until = now();
    const records: AuditRecord[] = [];
    for await (const record of audit.between({ since: until - CONTAINMENTS_LOOKBACK_MS, until: until + 1 })) if (decidesContainment(record)) records.push(record);
    res.json({ containments: heldContainments(records) });
  });
  return router;
}
