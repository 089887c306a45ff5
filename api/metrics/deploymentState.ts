import type { Client } from '@temporalio/client';
import { readKillSwitch } from '../../activities/control.ts';
import { INCIDENT_STATUSES } from '../../domain/incident.ts';
import { playbooks } from '../../playbooks/index.ts';
import type { ControlState } from '../../workflows/control.ts';
import { playbookAttribute, statusAttribute } from '../../workflows/searchAttributes.ts';

/** What the scrape-time gauges show; a part is absent when Temporal did not answer for it in time. */
export interface DeploymentState {
  /** Open incidents of this deployment, by playbook and status; every pair is present, most of them 0. */
  incidents?: { playbook: string; status: string; count: number }[];
  control?: ControlState;
}

/** A scrape waits at most this long for Temporal, so a scrape of an API whose Temporal is down still answers in time. */
const READ_TIMEOUT_MS = 3_000;
/** Scrapes within this window share one read: every Prometheus server and dashboard refresh costs Temporal nothing more. */
const MAX_AGE_MS = 10_000;

/**
 * The deployment's state as Temporal holds it, read when a scrape asks and kept for a few seconds. Visibility counts
 * only by execution status, so each (playbook, status) pair is a count of its own: every status first, then each
 * playbook within the statuses that have open incidents.
 */
export function deploymentStateReader({ client, taskQueue }: { client: Client; taskQueue: string }): () => Promise<DeploymentState> {
  const open = `WorkflowType = "incidentWorkflow" AND ExecutionStatus = "Running" AND TaskQueue = "${taskQueue}"`;
  const count = async (clause: string) => (await client.workflow.count(`${open} AND ${clause}`)).count;

  async function incidents(): Promise<DeploymentState['incidents']> {
    const byStatus = await Promise.all(INCIDENT_STATUSES.map(async (status) => ({ status, total: await count(`${statusAttribute.name} = "${status}"`) })));
    return Promise.all(byStatus.flatMap(({ status, total }) => playbooks.map(async ({ name: playbook }) => ({
      playbook,
      status,
      count: total > 0 ? await count(`${statusAttribute.name} = "${status}" AND ${playbookAttribute.name} = "${playbook}"`) : 0,
    }))));
  }

  const settled = <T>(read: () => Promise<T>): Promise<T | undefined> => client.withDeadline(Date.now() + READ_TIMEOUT_MS, read).catch(() => undefined);

  let cached: { at: number; state: Promise<DeploymentState> } | undefined;
  return () => {
    if (!cached || Date.now() - cached.at > MAX_AGE_MS) {
      cached = {
        at: Date.now(),
        state: Promise.all([settled(incidents), settled(() => readKillSwitch(client, taskQueue))]).then(([counts, control]) => ({ incidents: counts, control })),
      };
    }
    return cached.state;
  };
}
