import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { type AlertDelivery, ingestAlerts } from '../../api/ingestAlerts.ts';
import { HttpError } from '../../api/errors.ts';
import { normalizeAlerts } from '../../api/sources/index.ts';
import { signalIncident } from '../../api/incidentStarter.ts';
import { signalWithStartOnce } from '../../api/signalOnce.ts';
import type { Alert } from '../../domain/alert.ts';
import type { IncidentInput } from '../../domain/incident.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { pollerWorkflowId } from '../../workflows/poller/ids.ts';
import { type PollRequest, pollRequestedSignal, seenAlertsQuery } from '../../workflows/poller/messages.ts';
import { audited, type AuditSink } from '../audit/index.ts';
import type { ConfiguredPoller, PageToken } from './poller.ts';
import { pollerKindNamed } from './registry.ts';

export type { PageToken } from './poller.ts';

/** What a worker needs to run its pollers; absent on a worker without a pollers file. */
export interface PollingDeps {
  pollers: readonly ConfiguredPoller[];
  /** The policy alerts are raised under, as for POST /v1/alerts. */
  policy: PolicySnapshot;
  links: IncidentInput['links'];
  /** Each page read, for the operator's log. */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface PageInput {
  poller: string;
  cursor?: string;
  page?: PageToken;
}

export interface PageOutcome {
  read: number;
  /** Keys of the alerts sent: the poller remembers them, to skip them when they are read again. */
  sent: string[];
  duplicates: number;
  invalid: number;
  cursor?: string;
  next?: PageToken;
  more: boolean;
}

/** What the poller remembers of an alert: short and of fixed size, whatever the length of the SIEM's id. */
function alertKey(alertId: string): string {
  return createHash('sha256').update(alertId).digest('hex').slice(0, 16);
}

/** Invalid items are counted and named in the audit record, never allowed to stall the poller. */
function normalizeEach(poller: ConfiguredPoller, items: readonly unknown[], receivedAt: Date, policy: PolicySnapshot) {
  const alerts: Alert[] = [];
  const problems: string[] = [];
  items.forEach((item, index) => {
    try {
      alerts.push(...normalizeAlerts(poller.source, item, receivedAt, { sources: policy.sources, redact: policy.redactFields }));
    } catch (err) {
      if (!(err instanceof HttpError)) throw err;
      problems.push(`item ${index}: ${err.issues?.map((i) => `${i.path}: ${i.message}`).join('; ') ?? err.message}`);
    }
  });
  return { alerts, problems };
}

export function createPollActivities({ client, taskQueue, audit, polling }: { client: Client; taskQueue: string; audit: AuditSink; polling?: PollingDeps }) {
  const byName = new Map((polling?.pollers ?? []).map((poller) => [poller.name, poller]));
  const configured = (name: string): ConfiguredPoller => {
    const poller = byName.get(name);
    if (!poller) throw ApplicationFailure.create({ message: `no poller named ${name} in this worker's pollers file`, type: 'UnknownPoller', nonRetryable: true });
    return poller;
  };

  /**
   * A repeated page makes the same groups, so the same request ids: the server drops the second signal of each
   * (api/signalOnce.ts) when an attempt that sent a page is retried before the poller recorded it.
   */
  const delivery = (stateId: string, links: IncidentInput['links']): AlertDelivery => {
    const requestId = (workflowId: string, alerts: readonly Alert[]) => createHash('sha256').update(JSON.stringify([stateId, workflowId, alerts.map((a) => alertKey(a.id)).sort()])).digest('hex').slice(0, 32);
    return {
      client, taskQueue, links, requestId,
      sendIncident: (workflowId, input, batch, alerts) => signalIncident(client, taskQueue, workflowId, input, batch, requestId(workflowId, alerts)),
    };
  };

  return {
    /** A schedule's tick, passed to the poller's state workflow (started by the first). */
    async requestPoll({ request, requestId }: { request: PollRequest; requestId: string }): Promise<void> {
      await signalWithStartOnce(client, {
        workflowId: pollerWorkflowId(taskQueue, request.poller), workflowType: 'pollerWorkflow', taskQueue, args: [request],
        signal: pollRequestedSignal.name, signalArgs: [request], requestId,
      });
    },

    /**
     * One page: read, normalised, stripped of alerts the poller already sent, and sent. Resolves only once Temporal
     * holds every alert of the page, so the poller may then move its cursor past them.
     */
    async pollPage({ poller: name, cursor, page }: PageInput): Promise<PageOutcome> {
      const poller = configured(name);
      const { policy, links, log } = polling!;
      const label = `poller ${poller.name}`;
      const polled = await pollerKindNamed(poller.kind)!.read(poller.settings, { cursor, page, headers: poller.headers, label });
      const receivedAt = new Date();
      const { alerts, problems } = normalizeEach(poller, polled.items, receivedAt, policy);
      const stateId = pollerWorkflowId(taskQueue, poller.name);
      const keys = alerts.map((alert) => alertKey(alert.id));
      const seen = new Set(keys.length === 0 ? [] : await client.workflow.getHandle(stateId).query(seenAlertsQuery, [...new Set(keys)]));
      const fresh = new Map<string, Alert>();
      alerts.forEach((alert, i) => {
        if (!seen.has(keys[i]!) && !fresh.has(keys[i]!)) fresh.set(keys[i]!, alert);
      });
      const counts = { read: polled.items.length, duplicates: alerts.length - fresh.size, invalid: problems.length };
      if (counts.read > 0) {
        const parameters = { kind: poller.kind, source: poller.source, cursor: cursor ?? null, nextCursor: polled.cursor ?? cursor ?? null, ...counts, sent: fresh.size, ...(problems.length > 0 ? { problems: problems.slice(0, 5) } : {}) };
        await audited(audit, { action: 'poll.submit', target: poller.name, parameters, context: { alertIds: [...fresh.values()].map((a) => a.id), reason: `${poller.kind} poll` } }, async () => {
          if (fresh.size > 0) await ingestAlerts(delivery(stateId, links), [...fresh.values()], policy, receivedAt);
        });
      }
      log?.('poll', { poller: poller.name, ...counts, sent: fresh.size, cursor: polled.cursor ?? cursor ?? null });
      return { ...counts, sent: [...fresh.keys()], cursor: polled.cursor, next: polled.next, more: polled.more };
    },

    /** The end of a run: what the vendor holds for it (Elastic's point in time) is freed. */
    async releasePage({ poller: name, page }: { poller: string; page: PageToken }): Promise<void> {
      const poller = configured(name);
      await pollerKindNamed(poller.kind)!.release?.(poller.settings, { page, headers: poller.headers, label: `poller ${poller.name}` });
    },
  };
}

export type PollActivities = ReturnType<typeof createPollActivities>;
