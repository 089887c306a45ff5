import type { Client } from '@temporalio/client';
import { type BundleOptions, bundleWorkflowCode, type NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { discardAudit } from '../activities/audit/index.ts';
import type { AuditSink } from '../activities/audit/record.ts';
import { createActionActivities } from '../activities/actions.ts';
import { blockShards, createBlockActivities } from '../activities/blocks.ts';
import { createIncidentActivities } from '../activities/incidents.ts';
import { createIncidentEventActivities } from '../activities/audit/incidentEvents.ts';
import type { DomainFeed } from '../activities/domains/domainFeed.ts';
import type { ManagerDirectory } from '../activities/enrich/managerDirectory.ts';
import type { AssetTracker, HostContainment } from '../activities/hosts/hostContainment.ts';
import { createMessenger } from '../activities/messenger.ts';
import type { TicketSystem } from '../activities/ticket/ticketSystem.ts';
import type { UserDirectory } from '../activities/users/userDirectory.ts';
import type { ActionPorts, Guard } from '../domain/actions/action.ts';
import { assertContainmentAllowed, createControlActivities, sharedKillSwitchReader } from '../activities/control.ts';
import { createEnforcementActivities } from '../activities/enforce/index.ts';
import { createExceptionActivities } from '../activities/exceptions.ts';
import { createEnforcementRate } from '../activities/enforce/enforcementRate.ts';
import type { EnforcementPoint } from '../activities/enforce/enforcementPoint.ts';
import { createEnrichActivities } from '../activities/enrich/index.ts';
import type { GeoIpLookup } from '../activities/enrich/geoip.ts';
import type { ReputationSources } from '../activities/enrich/reputation/index.ts';
import { createNotifyActivities } from '../activities/notify/index.ts';
import type { Notifier } from '../activities/notify/notification.ts';
import { createOffenceActivities } from '../activities/offences.ts';
import { createPollActivities, type PollingDeps } from '../activities/poll/index.ts';
import { controlTaskQueue, ENFORCEMENT_TASK_QUEUE } from '../workflows/taskQueues.ts';
import { WORKER_ROLES, type WorkerRole } from './workerRoles.ts';

export interface RiposteWorkerDeps {
  connection: NativeConnection;
  client: Client;
  namespace: string;
  taskQueue: string;
  enforcementTaskQueue?: string;
  enforcementPoints: readonly EnforcementPoint[];
  /** Blocks applied or removed per second by this process's enforcement worker (activities/enforce/enforcementRate.ts). */
  maxEnforcementActionsPerSecond: number;
  /** The allowlist and protect list every activity checks again; undefined when they could not be read (refuse all). */
  guard: Guard | undefined;
  notifiers: readonly Notifier[];
  /** The systems response actions reach, each list holding the adapters configured here (runtime/adapters.ts). */
  responders?: Partial<Responders>;
  geoip: GeoIpLookup;
  workflowBundle?: WorkflowBundleOption;
  /** Which of the three workers to run (RIPOSTE_WORKERS); all of them unless said otherwise. */
  roles?: readonly WorkerRole[];
  /**
   * Where every enforcement and notification attempt is recorded, before and after (runtime/wiring.ts: the JSON-lines
   * file plus any SIEM forwarder). One sink per process, shared by both workers. Absent only in tests: nothing is kept.
   */
  audit?: AuditSink;
  /** The pollers of the pollers file (runtime/pollers.ts), when there is one. */
  polling?: PollingDeps;
}

export interface Responders {
  users: readonly UserDirectory[];
  containment: readonly HostContainment[];
  assets: readonly AssetTracker[];
  tickets: readonly TicketSystem[];
  managers: readonly ManagerDirectory[];
  domainFeed?: DomainFeed;
  /** The reputation providers enrichment asks (runtime/adapters.ts `loadReputationSources`). */
  reputation?: ReputationSources;
}

const require = createRequire(import.meta.url);

/**
 * How the workflow code is bundled, here and for the test suite's one bundle. No `preloadModules`: zod 4 defines a
 * schema's methods on first use, and the SDK freezes what a preloaded module exports, so a preloaded schema throws
 * "Cannot define property safeParse, object is not extensible" in the first workflow that validates with it.
 */
export function workflowBundleOptions(logger: BundleOptions['logger']): BundleOptions {
  return { workflowsPath: require.resolve('../workflows/index.ts'), logger };
}

/** `npm run build` writes the bundled workflow code here, beside the compiled workers/ (scripts/build.ts). */
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';
const prebuiltBundlePath = fileURLToPath(new URL(`../${WORKFLOW_BUNDLE_FILE}`, import.meta.url));

/** The bundle `npm run build` made, when this module is the compiled one in dist/; run from sources, there is none. */
export function prebuiltWorkflowBundle(): string | undefined {
  return existsSync(prebuiltBundlePath) ? prebuiltBundlePath : undefined;
}

let bundle: Promise<WorkflowBundleOption> | undefined;
/** Bundling takes seconds on a small machine, so it is done once: at build time, else once per process. */
export function workflowBundle(): Promise<WorkflowBundleOption> {
  const prebuilt = prebuiltWorkflowBundle();
  bundle ??= prebuilt ? Promise.resolve({ codePath: prebuilt }) : bundleWorkflowCode(workflowBundleOptions(Runtime.instance().logger));
  return bundle;
}

/**
 * The main worker (workflows and light activities), the control worker (the deployment's kill switch and breaker) and
 * the enforcement worker (firewall changes, on their own queue), or those of them `deps.roles` names.
 */
export async function createRiposteWorkers(deps: RiposteWorkerDeps): Promise<Worker[]> {
  const enforcementTaskQueue = deps.enforcementTaskQueue ?? ENFORCEMENT_TASK_QUEUE;
  const common = { connection: deps.connection, namespace: deps.namespace, shutdownGraceTime: '10s' };
  // Asked for by the workflow workers only: an enforcement-only process (a firewall host) never bundles.
  const bundle = async () => deps.workflowBundle ?? workflowBundle();
  const blocks = createBlockActivities({ client: deps.client, taskQueue: deps.taskQueue, enforcementTaskQueue });
  const readKillSwitch = sharedKillSwitchReader(deps.client, deps.taskQueue);
  const containmentAllowed = () => assertContainmentAllowed(readKillSwitch);
  const exceptions = async () => (await readKillSwitch()).exceptions ?? [];
  const audit = deps.audit ?? discardAudit;
  const create: Record<WorkerRole, () => Promise<Worker>> = {
    main: async () => Worker.create({
      ...common,
      taskQueue: deps.taskQueue,
      workflowBundle: await bundle(),
      maxCachedWorkflows: 500,
      // Incidents waiting out the kill switch each hold an activity slot while they poll it.
      maxConcurrentActivityTaskExecutions: 1000,
      activities: {
        ...createEnrichActivities({ geoip: deps.geoip, client: deps.client, reputation: deps.responders?.reputation }),
        ...blocks,
        ...createIncidentActivities({ client: deps.client, taskQueue: deps.taskQueue }),
        ...createIncidentEventActivities({ audit }),
        ...createOffenceActivities({ client: deps.client, taskQueue: deps.taskQueue }),
        ...createNotifyActivities({ notifiers: deps.notifiers, audit }),
        ...createActionActivities({ ports: actionPorts(deps, blocks), guard: deps.guard, assertContainmentAllowed: containmentAllowed, exceptions, audit }),
        ...createControlActivities({ client: deps.client, readKillSwitch }),
        ...createPollActivities({ client: deps.client, taskQueue: deps.taskQueue, audit, polling: deps.polling }),
      },
    }),
    control: async () => Worker.create({
      ...common,
      taskQueue: controlTaskQueue(deps.taskQueue),
      workflowBundle: await bundle(),
      maxCachedWorkflows: 2,
      activities: createExceptionActivities({ client: deps.client, taskQueue: deps.taskQueue, enforcementTaskQueue, audit }),
    }),
    enforcement: async () => Worker.create({
      ...common,
      taskQueue: enforcementTaskQueue,
      activities: createEnforcementActivities({
        points: deps.enforcementPoints,
        allowlist: deps.guard?.allowlist,
        assertContainmentAllowed: containmentAllowed,
        exceptions,
        audit,
        rate: createEnforcementRate(deps.maxEnforcementActionsPerSecond),
        intent: blockShards({ client: deps.client, taskQueue: deps.taskQueue, enforcementTaskQueue }).intent,
      }),
    }),
  };
  const workers: Worker[] = [];
  for (const role of deps.roles ?? WORKER_ROLES) workers.push(await create[role]());
  return workers;
}

function actionPorts(deps: RiposteWorkerDeps, blocks: ReturnType<typeof createBlockActivities>): ActionPorts {
  const responders = deps.responders ?? {};
  return {
    blocks: {
      request: ({ address, durationMs, reason, incident }) => blocks.requestBlock({
        address, durationMs, reason, points: incident.enforcementPoints, requestedBy: incident.id, incidentId: incident.id,
        alertIds: incident.alertIds, policyVersion: incident.policyVersion, actor: incident.actor, retryFailedEveryMs: incident.retryFailedEveryMs,
        incidentOpenedAt: incident.openedAt,
      }),
      withdraw: (lease, { incidentId, by, reason }) => blocks.withdrawBlock({ lease, requester: incidentId, by, reason }),
    },
    users: responders.users ?? [],
    containment: responders.containment ?? [],
    assets: responders.assets ?? [],
    tickets: responders.tickets ?? [],
    domainFeed: responders.domainFeed,
    messenger: createMessenger({ notifiers: deps.notifiers, managers: responders.managers ?? [] }),
  };
}
