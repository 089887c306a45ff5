import type { Client } from '@temporalio/client';
import { Router } from 'express';

export function healthRouter({ client }: { client: Client }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    try {
      await client.withDeadline(Date.now() + 2000, () => client.workflowService.getSystemInfo({}));
      res.json({ status: 'ready', temporal: 'ok' });
    } catch {
      res.status(503).set('Retry-After', '5').json({ error: 'temporal_unavailable', message: 'Temporal cannot be reached' });
    }
  });
  return router;
}
