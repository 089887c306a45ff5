import type { Client } from '@temporalio/client';
import { Router } from 'express';
import type { AuditReader } from '../../activities/audit/record.ts';
import { HttpError } from '../errors.ts';
import { actionFeed } from '../events/actionFeed.ts';
import { controlFeed } from '../events/controlFeed.ts';
import { createEventHub, type EventHub } from '../events/hub.ts';
import { type IncidentFeed, incidentFeed } from '../events/incidentFeed.ts';

export const MAX_EVENT_SUBSCRIBERS = 100;
/** Within the idle timeouts of common proxies (nginx 60 s), and what tells a client its stream is alive. */
const KEEPALIVE_MS = 15_000;
export const RECONNECT_MS = 2_000;
/** A client this far behind is cut off (it reconnects), so a stalled reader cannot grow the process's memory. */
const MAX_UNSENT_BYTES = 1024 * 1024;

export interface EventsRouteDeps {
  client: Client;
  taskQueue: string;
  audit?: AuditReader;
  maxSubscribers?: number;
}

/** `GET /v1/events`: incidents, actions and the kill switch as Server-Sent Events, as this API process sees them. */
export interface EventsRouter extends Router {
  hub: EventHub;
  /** The alerts routes call it for each incident they start, so subscribers see it without waiting for a poll. */
  incidentStarted: IncidentFeed['started'];
}

export function eventsRouter({ client, taskQueue, audit, maxSubscribers = MAX_EVENT_SUBSCRIBERS }: EventsRouteDeps): EventsRouter {
  const incidents = incidentFeed(client);
  const hub = createEventHub([incidents.feed, actionFeed(audit), controlFeed(client, taskQueue)], maxSubscribers);
  const router = Router();
  router.get('/v1/events', async (_req, res) => {
    const subscription = hub.subscribe((frame) => {
      if (res.writableLength > MAX_UNSENT_BYTES) res.destroy();
      else res.write(frame);
    });
    if (!subscription) {
      throw new HttpError(503, 'too_many_subscribers', `this API process already streams events to ${maxSubscribers} subscribers; retry later or through another`, undefined, { 'Retry-After': '5' });
    }
    res.on('close', () => subscription.close());
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      Connection: 'keep-alive',
      // nginx and other proxies buffer a response unless told not to; an event must leave at once.
      'X-Accel-Buffering': 'no',
    });
    // `retry:` goes out once every feed knows the present: from then on, any change reaches this subscriber.
    await subscription.ready;
    if (res.writableEnded || res.destroyed) return;
    res.write(`retry: ${RECONNECT_MS}\n\n`);
    const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS);
    res.on('close', () => clearInterval(keepalive));
  });
  return Object.assign(router, { hub, incidentStarted: incidents.started });
}
