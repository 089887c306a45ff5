import type { Client } from '@temporalio/client';
import { entityAttribute, playbookAttribute, statusAttribute } from '../../workflows/searchAttributes.ts';
import type { Feed } from './hub.ts';
import { pollWhileWatched } from './pollWhileWatched.ts';

export const INCIDENT_POLL_MS = 500;
/** Incidents read per poll, newest first: the open ones and those closed lately. */
const MAX_PER_POLL = 1_000;
/** A closed incident stays in the query this long, so a final status set just before closing is seen. */
const CLOSED_SLACK_MS = 10_000;
/** The status of a workflow that has just started, before its first task has set the search attribute. */
const FIRST_STATUS = 'triage';

export interface IncidentEvent {
  id: string;
  playbook: string | null;
  status: string;
  entity: string | null;
  updatedAt: string;
}

export interface IncidentFeed {
  feed: Feed;
  /** This API process has just started the incident: told at once, without waiting for its first task and a poll. */
  started(incident: { id: string; playbook: string; entity: string }): void;
}

/**
 * Temporal's visibility store, read every INCIDENT_POLL_MS: an incident not seen before, or whose status search
 * attribute differs from the last read, is an event. The first read is the present and sends nothing.
 */
export function incidentFeed(client: Client): IncidentFeed {
  let running: { publish: (event: string, data: unknown) => void; announced: Map<string, string> } | undefined;
  const feed: Feed = (publish) => {
    let known: Map<string, string> | undefined;
    const announced = new Map<string, string>();
    running = { publish, announced };
    const run = pollWhileWatched(async () => {
      const since = new Date(Date.now() - CLOSED_SLACK_MS).toISOString();
      const query = `WorkflowType = "incidentWorkflow" AND (ExecutionStatus = "Running" OR CloseTime >= "${since}")`;
      const seen = new Map<string, string>();
      for await (const wf of client.workflow.list({ query, pageSize: MAX_PER_POLL })) {
        // Before its first workflow task an incident has no status yet: it is new once it has one.
        const status = wf.typedSearchAttributes.get(statusAttribute);
        if (status !== undefined) seen.set(wf.workflowId, status);
        if (known && status !== undefined && (known.get(wf.workflowId) ?? announced.get(wf.workflowId)) !== status) {
          publish('incident', {
            id: wf.workflowId,
            playbook: wf.typedSearchAttributes.get(playbookAttribute) ?? null,
            status,
            entity: wf.typedSearchAttributes.get(entityAttribute) ?? null,
            updatedAt: new Date().toISOString(),
          } satisfies IncidentEvent);
        }
        if (seen.size >= MAX_PER_POLL) break;
      }
      for (const id of seen.keys()) announced.delete(id);
      known = seen;
    }, INCIDENT_POLL_MS);
    return {
      ready: run.ready,
      stop() {
        run.stop();
        running = undefined;
      },
    };
  };
  return {
    feed,
    started({ id, playbook, entity }) {
      if (!running) return;
      running.announced.set(id, FIRST_STATUS);
      running.publish('incident', { id, playbook, status: FIRST_STATUS, entity, updatedAt: new Date().toISOString() } satisfies IncidentEvent);
    },
  };
}
