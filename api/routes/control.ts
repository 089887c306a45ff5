import { type Client, WithStartWorkflowOperation } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { readKillSwitch } from '../../activities/control.ts';
import { setKillSwitchUpdate } from '../../workflows/control.ts';
import { CONTROL_WORKFLOW_ID } from '../../workflows/ids.ts';
import { validationFailed, zodIssues } from '../errors.ts';

const pauseBody = z.object({ reason: z.string().max(2000).optional() }).strict();

/** The kill switch. The API answers only after the control workflow has recorded the change (an update, not a signal). */
export function controlRouter({ client, taskQueue }: { client: Client; taskQueue: string }): Router {
  const router = Router();

  router.get('/v1/control', async (_req, res) => {
    res.json(await readKillSwitch(client));
  });

  const set = (paused: boolean) => async (req: import('express').Request, res: import('express').Response) => {
    const body = pauseBody.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(zodIssues(body.error));
    const state = await client.withDeadline(Date.now() + 15_000, () => client.workflow.executeUpdateWithStart(setKillSwitchUpdate, {
      args: [{ paused, by: req.principal!.name, reason: body.data.reason }],
      startWorkflowOperation: new WithStartWorkflowOperation('controlWorkflow', {
        workflowId: CONTROL_WORKFLOW_ID,
        taskQueue,
        args: [],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    }));
    res.json(state);
  };
  router.post('/v1/control/pause', set(true));
  router.post('/v1/control/resume', set(false));
  return router;
}
