import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import { canonicalIp } from '../../domain/ip.ts';
import { blockWorkflowId } from '../../workflows/ids.ts';
import { unblockSignal } from '../../workflows/messages.ts';
import { entityAttribute, expiresAtAttribute } from '../../workflows/searchAttributes.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';

const unblockBody = z.object({ reason: z.string().max(2000).optional() }).strict();

export function blocksRouter({ client }: { client: Client }): Router {
  const router = Router();

  router.get('/v1/blocks', async (_req, res) => {
    const blocks = [];
    for await (const wf of client.workflow.list({ query: 'WorkflowType = "blockWorkflow" AND ExecutionStatus = "Running"' })) {
      blocks.push({
        address: wf.typedSearchAttributes.get(entityAttribute) ?? wf.workflowId.slice('block:'.length),
        expiresAt: wf.typedSearchAttributes.get(expiresAtAttribute)?.toISOString() ?? null,
        workflowId: wf.workflowId,
        since: wf.startTime.toISOString(),
      });
    }
    res.json({ blocks });
  });

  router.delete('/v1/blocks/:ip', async (req, res) => {
    let address: string;
    try {
      address = canonicalIp(req.params.ip).address;
    } catch (err) {
      throw validationFailed([{ path: 'ip', message: (err as Error).message }]);
    }
    const body = unblockBody.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(zodIssues(body.error));
    const handle = client.workflow.getHandle(blockWorkflowId(address));
    try {
      const description = await handle.describe();
      if (description.status.name !== 'RUNNING') throw new HttpError(404, 'not_found', `${address} is not blocked`);
      await handle.signal(unblockSignal, { by: req.principal!.name, reason: body.data.reason });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `${address} is not blocked`);
      throw err;
    }
    res.status(202).json({ address, unblocking: true, by: req.principal!.name });
  });

  return router;
}
