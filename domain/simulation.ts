/**
 * `riposte simulate` and POST /v1/simulate: what the incident workflow would decide for these alerts under this policy,
 * without Temporal and without acting. Alerts are grouped as the ingest API groups them (findPlaybook, incidentKey),
 * added as the workflow adds them (addToBatch), and decided when the playbook's thresholds are reached, by the
 * functions the workflow calls (thresholdsMet, the playbook's plan, decidePlan, approvalWait, responseStatus).
 */
import { guardOf } from './actions/guard.ts';
import { type Alert, type AlertBatch, addToBatch, EMPTY_BATCH, summarizeAlert } from './alert.ts';
import type { EntityKind } from './entity.ts';
import type { ActionRecord, IncidentStatus } from './incident.ts';
import { approvalWait, decidePlan, thresholdsMet } from './incidentDecision.ts';
import { type Mode, type PlaybookPolicy, playbookPolicy, type PolicySnapshot } from './policy.ts';
import { type PlanStep, responseStatus } from './responsePlan.ts';
import { findPlaybook } from '../playbooks/index.ts';
import { type Facts, incidentKey, type Playbook } from '../playbooks/playbook.ts';

/** What the policy made of a planned action: run at once, wait for people, only recorded (observe), or refused. */
export type Decision = PlanStep['disposition'];

export interface SimulatedAction {
  kind: string;
  target: string;
  description: string;
  decision: Decision;
  /** Why it waits for people, or why it is refused. */
  reasons: string[];
  /** Distinct people who must approve it, when it waits. */
  approvals?: number;
  /** The key the live incident records the action under. */
  idempotencyKey: string;
}

export interface SimulatedIncident {
  id: string;
  playbook: string;
  entity: string;
  entityKind: EntityKind;
  mode: Mode;
  /** Alerts received, the sum of their counts and their highest severity, over the whole input. */
  alerts: number;
  alertCount: number;
  maxSeverity: number;
  /** The status its response would end with, or `awaiting_approval`; `below_threshold` when it never reached them. */
  status: IncidentStatus;
  /** What the plan was made from, once the thresholds were reached. */
  facts?: Pick<Facts, 'alertCount' | 'maxSeverity' | 'previousIncidents' | 'priorOffences'>;
  /** When it decided: the newest alert time of the request that reached the thresholds, else the simulation's clock. */
  decidedAt?: string;
  autoApprovedBy?: string;
  approval?: { reasons: string[]; approvals: number };
  actions: SimulatedAction[];
}

export interface Simulation {
  policyVersion: string;
  alerts: number;
  /** Alerts no playbook takes, by type: what a source mapping in the policy may be missing. */
  unmatched: { alerts: number; types: Record<string, number> };
  /** Sign-ins sent to users' login histories, where impossible travel is found from GeoIP positions: not decided here. */
  loginHistory: { users: number; alerts: number };
  incidents: SimulatedIncident[];
  totals: {
    /** Per action kind, how many actions got each decision. */
    actions: Record<string, Partial<Record<Decision, number>>>;
    statuses: Partial<Record<IncidentStatus, number>>;
  };
}

export interface SimulationOptions {
  /** The simulation's clock (ms): when the alerts count as received, and the decision time of alerts with no time. */
  now: number;
  /** The entity history a live incident reads from Riposte; none is read here, so the caller says what to assume. */
  previousIncidents?: number;
  priorOffences?: number;
}

interface OpenIncident {
  playbook: Playbook;
  id: string;
  entity: string;
  batch: AlertBatch;
  decided?: Pick<SimulatedIncident, 'facts' | 'decidedAt' | 'autoApprovedBy' | 'approval' | 'actions' | 'status'>;
}

/** A simulation fed request by request, so a caller can hand it an export in slices and stay responsive between them. */
export interface SimulationRun {
  /** More requests, in the order they came. */
  add(requests: readonly (readonly Alert[])[]): void;
  result(): Simulation;
}

/**
 * Each request (a SIEM body, in the order they came) is one signal per incident, as the ingest API sends it. An
 * incident decides once, on the request that brings it to its playbook's thresholds; later alerts only add to it.
 */
export function startSimulation(policy: PolicySnapshot, options: SimulationOptions): SimulationRun {
  const receivedAt = new Date(options.now).toISOString();
  const guard = guardOf(policy);
  const incidents = new Map<string, OpenIncident>();
  // A type is the SIEM's to choose (`__proto__` included), so it keys a Map, never an object.
  const unmatchedTypes = new Map<string, number>();
  const loginUsers = new Set<string>();
  let loginAlerts = 0;
  let alertTotal = 0;

  function addRequest(alerts: readonly Alert[]): void {
    alertTotal += alerts.length;
    const groups = new Map<string, { incident: OpenIncident; alerts: Alert[] }>();
    for (const alert of alerts) {
      const playbook = findPlaybook(alert);
      if (!playbook) {
        unmatchedTypes.set(alert.type, (unmatchedTypes.get(alert.type) ?? 0) + 1);
      } else if (playbook.viaLoginHistory) {
        loginUsers.add(playbook.entity(alert));
        loginAlerts += 1;
      } else {
        const id = incidentKey(playbook, alert);
        const incident = incidents.get(id) ?? { playbook, id, entity: playbook.entity(alert), batch: EMPTY_BATCH };
        incidents.set(id, incident);
        const group = groups.get(id) ?? { incident, alerts: [] };
        group.alerts.push(alert);
        groups.set(id, group);
      }
    }
    for (const { incident, alerts: grouped } of groups.values()) {
      incident.batch = addToBatch(incident.batch, addToBatch(EMPTY_BATCH, grouped.map((a) => summarizeAlert(a, receivedAt))));
      const rules = playbookPolicy(policy, incident.playbook.name);
      if (!incident.decided && thresholdsMet(rules.thresholds, { alertCount: incident.batch.count, maxSeverity: incident.batch.maxSeverity })) {
        incident.decided = decide(incident, policy, rules, guard, newestTime(grouped) ?? options.now, options);
      }
    }
  }

  return {
    add: (requests) => requests.forEach(addRequest),
    result() {
      const simulated = [...incidents.values()].map((incident) => simulatedIncident(incident, policy));
      return {
        policyVersion: policy.version,
        alerts: alertTotal,
        unmatched: { alerts: [...unmatchedTypes.values()].reduce((sum, n) => sum + n, 0), types: Object.fromEntries(unmatchedTypes) },
        loginHistory: { users: loginUsers.size, alerts: loginAlerts },
        incidents: simulated,
        totals: totalsOf(simulated),
      };
    },
  };
}

/** The whole of a simulation at once. */
export function simulate(requests: readonly (readonly Alert[])[], policy: PolicySnapshot, options: SimulationOptions): Simulation {
  const run = startSimulation(policy, options);
  run.add(requests);
  return run.result();
}

function decide(incident: OpenIncident, policy: PolicySnapshot, rules: PlaybookPolicy, guard: ReturnType<typeof guardOf>, at: number, options: SimulationOptions): NonNullable<OpenIncident['decided']> {
  const { batch } = incident;
  const facts: Facts = {
    entity: incident.entity,
    alertCount: batch.count,
    maxSeverity: batch.maxSeverity,
    samples: batch.samples,
    previousIncidents: options.previousIncidents ?? 0,
    // The workflow reads offences for addresses only.
    priorOffences: incident.playbook.entityKind === 'address' ? options.priorOffences ?? 0 : 0,
  };
  const { steps, autoApprovedBy } = decidePlan(incident.playbook.plan(facts, rules), { incidentId: incident.id, policy, playbook: rules, guard, at });
  const approval = approvalWait(steps);
  return {
    facts: { alertCount: facts.alertCount, maxSeverity: facts.maxSeverity, previousIncidents: facts.previousIncidents, priorOffences: facts.priorOffences },
    decidedAt: new Date(at).toISOString(),
    ...(autoApprovedBy ? { autoApprovedBy } : {}),
    ...(approval ? { approval } : {}),
    actions: steps.map(simulatedAction),
    status: approval ? 'awaiting_approval' : responseStatus(steps.flatMap(recordOf), steps),
  };
}

function simulatedAction(step: PlanStep): SimulatedAction {
  return {
    kind: step.kind,
    target: step.target,
    description: step.description,
    decision: step.disposition,
    reasons: step.reasons,
    ...(step.disposition === 'approve' ? { approvals: step.approvals } : {}),
    idempotencyKey: step.idempotencyKey,
  };
}

/** The action record a step leaves once the steps that may run have run, each as asked. */
function recordOf(step: PlanStep): ActionRecord[] {
  if (step.disposition === 'approve') return [];
  const outcome = step.disposition === 'run' ? 'done' : step.disposition;
  return [{ kind: step.kind, target: step.target, detail: step.description, outcome, at: '', idempotencyKey: step.idempotencyKey }];
}

function simulatedIncident(incident: OpenIncident, policy: PolicySnapshot): SimulatedIncident {
  const { playbook, batch } = incident;
  return {
    id: incident.id,
    playbook: playbook.name,
    entity: incident.entity,
    entityKind: playbook.entityKind,
    mode: playbookPolicy(policy, playbook.name).mode,
    alerts: batch.alerts,
    alertCount: batch.count,
    maxSeverity: batch.maxSeverity,
    ...(incident.decided ?? { status: 'below_threshold', actions: [] }),
  };
}

/** The newest time an alert of the request says it happened; a live incident decides when that request arrives. */
function newestTime(alerts: readonly Alert[]): number | undefined {
  const times = alerts.flatMap((a) => (a.occurredAt ? [Date.parse(a.occurredAt)] : []));
  return times.length > 0 ? Math.max(...times) : undefined;
}

function totalsOf(incidents: readonly SimulatedIncident[]): Simulation['totals'] {
  const totals: Simulation['totals'] = { actions: {}, statuses: {} };
  for (const incident of incidents) {
    totals.statuses[incident.status] = (totals.statuses[incident.status] ?? 0) + 1;
    for (const action of incident.actions) {
      const kind = (totals.actions[action.kind] ??= {});
      kind[action.decision] = (kind[action.decision] ?? 0) + 1;
    }
  }
  return totals;
}
