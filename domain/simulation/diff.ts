import type { Decision, SimulatedAction, Simulation } from '../simulation.ts';

/** One planned action as one policy decided it. */
export interface DecidedAction {
  decision: Decision;
  description: string;
  reasons: string[];
  approvals?: number;
}

/**
 * An action two policies decide differently, or that only one plans (the other planned none: another plan, or the
 * incident stayed below its thresholds). `policy` is the new policy, `against` the one it is compared with.
 */
export interface DecisionChange {
  incident: string;
  kind: string;
  target: string;
  policy?: DecidedAction;
  against?: DecidedAction;
  /** Which of the two acts on it (at once or once approved) where the other does not: only recorded, refused or absent. */
  onlyUnder?: 'policy' | 'against';
}

export interface SimulationDiff {
  changes: DecisionChange[];
  /** Incidents both policies decided alike, action for action. */
  unchanged: number;
}

const acts = (action: DecidedAction | undefined) => action?.decision === 'run' || action?.decision === 'approve';

function decided(action: SimulatedAction): DecidedAction {
  return { decision: action.decision, description: action.description, reasons: action.reasons, ...(action.approvals !== undefined ? { approvals: action.approvals } : {}) };
}

function same(a: DecidedAction | undefined, b: DecidedAction | undefined): boolean {
  return a?.decision === b?.decision && a?.description === b?.description && a?.approvals === b?.approvals;
}

/** Actions are matched by the key the live incident records them under: one incident, one kind, one target. */
export function compareSimulations(policy: Simulation, against: Simulation): SimulationDiff {
  const incidents = new Map<string, { policy: SimulatedAction[]; against: SimulatedAction[] }>();
  for (const incident of policy.incidents) incidents.set(incident.id, { policy: incident.actions, against: [] });
  for (const incident of against.incidents) incidents.set(incident.id, { policy: incidents.get(incident.id)?.policy ?? [], against: incident.actions });
  const changes: DecisionChange[] = [];
  let unchanged = 0;
  for (const [id, both] of incidents) {
    const keys = [...new Set([...both.policy, ...both.against].map((a) => a.idempotencyKey))];
    const differing = keys.flatMap((key): DecisionChange[] => {
      const mine = both.policy.find((a) => a.idempotencyKey === key);
      const theirs = both.against.find((a) => a.idempotencyKey === key);
      const underPolicy = mine && decided(mine);
      const underAgainst = theirs && decided(theirs);
      if (same(underPolicy, underAgainst)) return [];
      const only = acts(underPolicy) === acts(underAgainst) ? undefined : acts(underPolicy) ? 'policy' as const : 'against' as const;
      const { kind, target } = (mine ?? theirs)!;
      return [{ incident: id, kind, target, ...(underPolicy ? { policy: underPolicy } : {}), ...(underAgainst ? { against: underAgainst } : {}), ...(only ? { onlyUnder: only } : {}) }];
    });
    if (differing.length === 0) unchanged += 1;
    changes.push(...differing);
  }
  return { changes, unchanged };
}
