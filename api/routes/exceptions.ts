import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { readKillSwitch, updateControlWorkflow } from '../../activities/control.ts';
import { DURATION_PATTERN, parseDuration } from '../../domain/duration.ts';
import { EXCEPTION_KINDS } from '../../domain/acceptedValues.ts';
import { canonicalExceptionValue, expiryRefusal, MAX_EXCEPTION_REASON } from '../../domain/exceptions.ts';
import { addExceptionUpdate, removeExceptionUpdate } from '../../workflows/control/exceptions.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';

const CALL_TIMEOUT_MS = 15_000;

/**
 * A new exception: what (`kind`, `value`), why, and until when, as a duration from now (`for`) or a time
 * (`expiresAt`), exactly one of them, at most 90 days ahead. The value leaves canonical; the author comes from the
 * credential.
 */
export const exceptionBody = z.object({
  kind: z.enum(EXCEPTION_KINDS),
  value: z.string().trim().min(1).max(512),
  reason: z.string().trim().min(1, 'say why').max(MAX_EXCEPTION_REASON),
  for: z.string().regex(DURATION_PATTERN, 'a whole number followed by s, m, h or d, e.g. 7d').optional(),
  expiresAt: z.iso.datetime({ offset: true, error: 'an ISO 8601 time such as 2024-05-01T12:00:00Z' }).optional(),
}).strict().transform((body, ctx) => {
  let value = body.value;
  try {
    value = canonicalExceptionValue(body.kind, body.value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', path: ['value'], message: (err as Error).message });
  }
  if ((body.for === undefined) === (body.expiresAt === undefined)) {
    ctx.addIssue({ code: 'custom', path: [body.for === undefined ? 'for' : 'expiresAt'], message: 'give exactly one of `for` and `expiresAt`' });
    return z.NEVER;
  }
  const now = Date.now();
  const expiresAt = body.for === undefined ? Date.parse(body.expiresAt!) : now + parseDuration(body.for);
  const refusal = expiryRefusal(expiresAt, now);
  if (refusal) ctx.addIssue({ code: 'custom', path: [body.for === undefined ? 'expiresAt' : 'for'], message: refusal });
  return { kind: body.kind, value, reason: body.reason, expiresAt: new Date(expiresAt).toISOString() };
});

export const exceptionIdParams = z.object({ id: z.uuid('an exception id, as GET /v1/exceptions lists them') }).strict();

/** Exceptions live in the control workflow: each answer comes after the change is in its history. */
export function exceptionsRouter({ client, taskQueue }: { client: Client; taskQueue: string }): Router {
  const router = Router();

  router.get('/v1/exceptions', async (_req, res) => {
    const control = await client.withDeadline(Date.now() + CALL_TIMEOUT_MS, () => readKillSwitch(client, taskQueue));
    res.json({ exceptions: control.exceptions ?? [] });
  });

  /** Adding one lifts every live block it covers (with this principal and reason) before the answer. */
  router.post('/v1/exceptions', async (req, res) => {
    const body = exceptionBody.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(zodIssues(body.error));
    const added = await updateControlWorkflow(client, taskQueue, addExceptionUpdate, { ...body.data, by: req.principal!.name });
    res.status(201).json(added);
  });

  router.delete('/v1/exceptions/:id', async (req, res) => {
    const params = exceptionIdParams.safeParse(req.params);
    if (!params.success) throw new HttpError(400, 'validation_failed', 'invalid path', zodIssues(params.error, ['params']));
    const exception = await updateControlWorkflow(client, taskQueue, removeExceptionUpdate, { id: params.data.id, by: req.principal!.name });
    if (!exception) throw new HttpError(404, 'not_found', `no live exception ${params.data.id}`);
    res.json({ exception });
  });
  return router;
}
