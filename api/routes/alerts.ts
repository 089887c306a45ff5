import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import type { Client } from '@temporalio/client';
import type { IncidentInput } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { createIncidentCoalescer } from '../incidentCoalescer.ts';
import { signalIncident } from '../incidentStarter.ts';
import { HttpError } from '../errors.ts';
import { type AlertDelivery, ingestAlerts } from '../ingestAlerts.ts';
import { alertSourceNamed, normalizeAlerts } from '../sources/index.ts';

export interface AlertsRouteDeps {
  client: Client;
  taskQueue: string;
  policy: () => PolicySnapshot;
  links: IncidentInput['links'];
  /** How long alerts for one incident wait to share a signal; 0 still merges those of one event-loop turn. */
  coalesceWindowMs: number;
  /** Each incident a signal of this process started (GET /v1/events tells its subscribers at once). */
  onIncidentStarted?: (incident: { id: string; playbook: string; entity: string }) => void;
}

export function alertsRouter({ client, taskQueue, policy, links, coalesceWindowMs, onIncidentStarted }: AlertsRouteDeps): Router {
  const router = Router();
  const coalescer = createIncidentCoalescer(async (id, input, batch) => {
    const result = await signalIncident(client, taskQueue, id, input, batch);
    if (result.started) onIncidentStarted?.({ id, playbook: input.playbook, entity: input.entity });
    return result;
  }, coalesceWindowMs);
  // A SIEM that gets no 202 sends again, so each request's signals are new ones.
  const delivery: AlertDelivery = { client, taskQueue, links, sendIncident: (id, input, batch) => coalescer.submit(id, input, batch), requestId: () => randomUUID() };
  const ingest = (source: string) => async (req: import('express').Request, res: import('express').Response) => {
    const receivedAt = new Date();
    const snapshot = policy();
    const alerts = normalizeAlerts(source, req.body, receivedAt, { sources: snapshot.sources, redact: snapshot.redactFields });
    // Answer only once Temporal holds every alert, so a 202 means durably accepted and anything else means retry.
    const { accepted, unmatched, incidents, tracked } = await ingestAlerts(delivery, alerts, snapshot, receivedAt);
    res.status(202).json({ accepted, unmatched, incidents, ...(tracked.length > 0 ? { tracked } : {}) });
  };
  router.post('/v1/alerts', ingest('generic'));
  router.post('/v1/alerts/:source', (req, res) => ingest(String(req.params.source))(req, res));
  // A SIEM's one-time check that the URL is its receiver (Okta event hooks), made with the same credential as its posts.
  router.get('/v1/alerts/:source', (req, res) => {
    const answer = alertSourceNamed(String(req.params.source))?.verification?.((name) => req.get(name));
    if (!answer) throw new HttpError(404, 'not_found', 'this source has no verification request; send alerts with POST');
    res.json(answer);
  });
  return router;
}
