import type { Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { readKillSwitch, updateControlWorkflow } from '../../activities/control.ts';
import { resetBreakerUpdate, setKillSwitchUpdate } from '../../workflows/control.ts';
import { validationFailed, zodIssues } from '../errors.ts';

export const pauseBody = z.object({ reason: z.string().max(2000).optional() }).strict();
export const breakerResetBody = z.object({}).strict();

/** The kill switch and the circuit breaker. The API answers only after the control workflow has recorded the change (an update, not a signal). */
export function controlRouter({ client, taskQueue }: { client: Client; taskQueue: string }): Router {
  const router = Router();

  router.get('/v1/control', async (_req, res) => {
    res.json(await readKillSwitch(client, taskQueue));
  });

  const set = (paused: boolean) => async (req: import('express').Request, res: import('express').Response) => {
    const body = pauseBody.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(zodIssues(body.error));
    res.json(await updateControlWorkflow(client, taskQueue, setKillSwitchUpdate, { paused, by: req.principal!.name, reason: body.data.reason }));
  };
  router.post('/v1/control/pause', set(true));
  router.post('/v1/control/resume', set(false));

  /** After a mass-block trip, automatic blocks wait for approval until an admin has looked and says so. */
  router.post('/v1/control/breaker/reset', async (req, res) => {
    const body = breakerResetBody.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(zodIssues(body.error));
    res.json(await updateControlWorkflow(client, taskQueue, resetBreakerUpdate, { by: req.principal!.name }));
  });
  return router;
}
