import type { Alert } from '../alert.ts';
import type { PolicySnapshot } from '../policy.ts';
import { type Simulation, type SimulationOptions, startSimulation } from '../simulation.ts';
import { compareSimulations, type SimulationDiff } from './diff.ts';

/** A field at fault, as the ingest API names it. */
export interface BodyIssue {
  path: string;
  message: string;
}

/** A SIEM body as it was exported; `at` names it in issues (a line number, an array index). */
export interface ExportedBody {
  at: string;
  body: unknown;
}

/** A body the source's normaliser refused, as the ingest API would have with a 4xx. */
export interface RefusedBody {
  at: string;
  issues: BodyIssue[];
}

/**
 * The production normaliser for one source, under a policy (its `sources` mapping gives alert types): throws as the
 * ingest API's normaliser does, with the fields at fault in `issues`.
 */
export type Normalizer = (body: unknown, policy: PolicySnapshot) => Alert[];

/** What a simulation cannot know: the facts and state a live incident reads from the network or from Riposte. */
export function notSimulated(options: SimulationOptions): string[] {
  return [
    'GeoIP location and reputation: absent from the facts, so no autoWhen is met',
    `earlier incidents and offences: taken as ${options.previousIncidents ?? 0} and ${options.priorOffences ?? 0}`,
    'impossible travel: sign-ins are counted, not placed on a map',
    'kill switch, circuit breaker and incident pauses: taken as off',
    'adapters: an action decided to run counts as done, even where no adapter is configured',
  ];
}

export interface ReplayReport {
  bodies: number;
  refused: RefusedBody[];
  notSimulated: string[];
  policy: Simulation;
  against?: Simulation;
  diff?: SimulationDiff;
}

function issuesOf(err: unknown): BodyIssue[] {
  const issues = (err as { issues?: BodyIssue[] }).issues;
  return issues && issues.length > 0 ? issues : [{ path: '(body)', message: (err as Error).message ?? String(err) }];
}

/** A replay fed a slice of the export at a time; `report` simulates what it was given. */
export interface ReplayRun {
  add(bodies: readonly ExportedBody[]): void;
  report(): ReplayReport;
}

/**
 * Each body normalised under a policy as the ingest API would (a policy's `sources` may map a rule to another type;
 * policies that map alike share one normalisation). A body refused under either policy is left out of both, so the
 * two decide on the same alerts.
 */
export function startReplay(normalize: Normalizer, policy: PolicySnapshot, against: PolicySnapshot | undefined, options: SimulationOptions): ReplayRun {
  const mine = startSimulation(policy, options);
  const theirs = against && startSimulation(against, options);
  const remapped = against !== undefined && JSON.stringify(against.sources) !== JSON.stringify(policy.sources) ? against : undefined;
  const refused: RefusedBody[] = [];
  let seen = 0;
  const add = ({ at, body }: ExportedBody) => {
    seen += 1;
    try {
      const alerts = normalize(body, policy);
      const theirAlerts = remapped ? normalize(body, remapped) : alerts;
      mine.add([alerts]);
      theirs?.add([theirAlerts]);
    } catch (err) {
      refused.push({ at, issues: issuesOf(err) });
    }
  };
  return {
    add: (bodies) => bodies.forEach(add),
    report() {
      const simulation = mine.result();
      const report: ReplayReport = { bodies: seen, refused: [...refused], notSimulated: notSimulated(options), policy: simulation };
      if (!theirs) return report;
      const compared = theirs.result();
      return { ...report, against: compared, diff: compareSimulations(simulation, compared) };
    },
  };
}

/** A whole export at once. */
export function replay(bodies: readonly ExportedBody[], normalize: Normalizer, policy: PolicySnapshot, against: PolicySnapshot | undefined, options: SimulationOptions): ReplayReport {
  const run = startReplay(normalize, policy, against, options);
  run.add(bodies);
  return run.report();
}
