import { Router } from 'express';
import { z } from 'zod';
import type { AuditReader, AuditRecord } from '../../activities/audit/record.ts';
import { parseDuration } from '../../domain/duration.ts';
import { type PolicySnapshot, playbookPolicy } from '../../domain/policy.ts';
import { readByReports, reportSummary } from '../../domain/reports/summary.ts';
import { playbooks } from '../../playbooks/index.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';

export const REPORT_DEFAULT_SPAN_MS = parseDuration('30d');
export const REPORT_MAX_SPAN_MS = parseDuration('366d');

const isoTime = z.iso.datetime({ offset: true, error: 'an ISO 8601 time such as 2024-05-01T12:00:00Z' }).transform((text) => Date.parse(text));

export const reportSummaryQuery = z.object({ since: isoTime.optional(), until: isoTime.optional() }).strict();

/** `GET /v1/reports/summary?since=&until=`: the review's figures, from Riposte's own audit trail (domain/reports/). */
export function reportsRouter({ audit, policy, now = Date.now }: { audit?: AuditReader; policy: () => PolicySnapshot; now?: () => number }): Router {
  const router = Router();
  router.get('/v1/reports/summary', async (req, res) => {
    const query = reportSummaryQuery.safeParse(req.query);
    if (!query.success) throw validationFailed(zodIssues(query.error, ['query']));
    const until = query.data.until ?? now();
    const since = query.data.since ?? until - REPORT_DEFAULT_SPAN_MS;
    if (since >= until) throw validationFailed([{ path: 'query.since', message: 'must be before until' }]);
    if (until - since > REPORT_MAX_SPAN_MS) throw validationFailed([{ path: 'query.since', message: 'at most 366d before until' }]);
    if (!audit) throw new HttpError(503, 'audit_unavailable', 'this API process has no audit trail configured');
    const records: AuditRecord[] = [];
    for await (const record of audit.between({ since, until })) if (readByReports(record)) records.push(record);
    const current = policy();
    const modes = playbooks.map(({ name }) => ({ name, mode: playbookPolicy(current, name).mode }));
    res.json(reportSummary(records, { since, until, playbooks: modes, promotion: current.promotion }));
  });
  return router;
}
