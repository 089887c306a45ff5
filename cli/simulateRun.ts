/** What `riposte simulate` does (cli/simulate.ts has its options): loaded only when it runs, with the API's normalisers and the policy loader. */
import { readFile } from 'node:fs/promises';
import { normalizerFor } from '../api/routes/simulate.ts';
import { SUPPORTED_SOURCES } from '../api/sources/index.ts';
import type { PolicySnapshot } from '../domain/policy.ts';
import type { DecidedAction, DecisionChange } from '../domain/simulation/diff.ts';
import { type ExportedBody, type RefusedBody, replay, type ReplayReport } from '../domain/simulation/replay.ts';
import type { Decision, SimulatedAction, Simulation } from '../domain/simulation.ts';
import { PolicyError, loadPolicy } from '../runtime/policyFile.ts';
import { clean, CliError, UsageError } from './errors.ts';
import { table } from './format.ts';

/** Refused lines printed on the terminal; --json lists them all. */
const SHOWN_REFUSALS = 20;

/** One SIEM body per line, or an array of them; blank lines are skipped. A line that is no JSON is refused. */
async function readExport(file: string): Promise<{ bodies: ExportedBody[]; refused: RefusedBody[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new CliError(`cannot read ${clean(file)}: ${clean((err as NodeJS.ErrnoException).code ?? (err as Error).message)}`);
  }
  const bodies: ExportedBody[] = [];
  const refused: RefusedBody[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const at = `line ${index + 1}`;
    try {
      bodies.push({ at, body: JSON.parse(line) });
    } catch (err) {
      refused.push({ at, issues: [{ path: '(line)', message: `not valid JSON: ${(err as Error).message}` }] });
    }
  });
  if (bodies.length === 0 && refused.length === 0) throw new CliError(`${clean(file)} holds no alerts: one SIEM body (JSON) per line`);
  return { bodies, refused };
}

async function policyAt(file: string): Promise<PolicySnapshot> {
  try {
    return await loadPolicy(file);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    const [first, ...rest] = err.message.split('\n');
    throw new CliError(clean(first), 1, rest.map(clean));
  }
}

function count(value: string | boolean | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d{1,4}$/.test(value)) throw new UsageError(`--${option} takes a whole number`, 'simulate');
  return Number(value);
}

const DECISION_COLUMNS: readonly [Decision, string][] = [['run', 'AT ONCE'], ['approve', 'AWAITS APPROVAL'], ['would_do', 'OBSERVE ONLY'], ['refused', 'REFUSED']];

/** "3", or "3 (was 5)" when compared with another policy that gives another figure. */
const figure = (now: number, was: number | undefined) => (was === undefined || was === now ? String(now) : `${now} (was ${was})`);

function actionTable(policy: Simulation, against?: Simulation): string {
  const kinds = [...new Set([...Object.keys(policy.totals.actions), ...Object.keys(against?.totals.actions ?? {})])].sort();
  if (kinds.length === 0) return 'No action planned.';
  const rows = kinds.map((kind) => [kind, ...DECISION_COLUMNS.map(([decision]) => figure(policy.totals.actions[kind]?.[decision] ?? 0, against && (against.totals.actions[kind]?.[decision] ?? 0)))]);
  return table(['ACTION', ...DECISION_COLUMNS.map(([, header]) => header)], rows);
}

function statusTable(policy: Simulation, against?: Simulation): string {
  const statuses = [...new Set([...Object.keys(policy.totals.statuses), ...Object.keys(against?.totals.statuses ?? {})])].sort() as (keyof Simulation['totals']['statuses'])[];
  return table(['STATUS', 'INCIDENTS'], statuses.map((status) => [status, figure(policy.totals.statuses[status] ?? 0, against && (against.totals.statuses[status] ?? 0))]));
}

function decisionText(action: DecidedAction | SimulatedAction): string {
  switch (action.decision) {
    case 'run': return 'at once';
    case 'would_do': return 'observe only';
    case 'refused': return `refused: ${action.reasons.map(clean).join('; ')}`;
    case 'approve': {
      const who = (action.approvals ?? 1) > 1 ? ` of ${action.approvals} people` : '';
      return `awaits approval${who} (${action.reasons.map(clean).join('; ')})`;
    }
  }
}

function incidentLines(simulation: Simulation): string[] {
  return simulation.incidents.flatMap((incident) => [
    `  ${clean(incident.id)} (${incident.alerts} alert${incident.alerts === 1 ? '' : 's'}, severity ${incident.maxSeverity}): ${incident.status}${incident.autoApprovedBy ? `, auto-approved by window ${clean(incident.autoApprovedBy)}` : ''}`,
    ...incident.actions.map((action) => `    ${clean(action.description)}: ${decisionText(action)}`),
  ]);
}

function changeLine(change: DecisionChange): string {
  const what = clean((change.policy ?? change.against)!.description);
  const now = change.policy ? decisionText(change.policy) : 'not planned';
  const was = change.against ? decisionText(change.against) : 'not planned';
  const described = change.policy && change.against && change.policy.description !== change.against.description ? ` (was ${clean(change.against.description)})` : '';
  return `  ${clean(change.incident)}  ${what}${described}: ${now}; was ${was}`;
}

function diffLines({ changes, unchanged }: NonNullable<ReplayReport['diff']>): string[] {
  const section = (title: string, picked: DecisionChange[]) => (picked.length === 0 ? [] : ['', `${title} (${picked.length}):`, ...picked.map(changeLine)]);
  return [
    ...section('Only the new policy acts', changes.filter((c) => c.onlyUnder === 'policy')),
    ...section('Only the current policy acted', changes.filter((c) => c.onlyUnder === 'against')),
    ...section('Decided differently', changes.filter((c) => c.onlyUnder === undefined)),
    '',
    `${unchanged} incident${unchanged === 1 ? '' : 's'} decided alike${changes.length === 0 ? ': the two policies decide these alerts the same way' : ''}.`,
  ];
}

function formatReport(report: ReplayReport, files: { policy: string; against?: string }): string {
  const { policy, against } = report;
  const unmatched = Object.entries(policy.unmatched.types).sort((a, b) => b[1] - a[1]).slice(0, 5).map(([type, n]) => `${clean(type)} ×${n}`);
  const lines = [
    `Simulated ${policy.alerts} alert${policy.alerts === 1 ? '' : 's'} from ${report.bodies} line${report.bodies === 1 ? '' : 's'}: ${policy.incidents.length} incident${policy.incidents.length === 1 ? '' : 's'}.`,
    `policy   ${clean(files.policy)} (${policy.policyVersion})`,
    ...(against && files.against ? [`against  ${clean(files.against)} (${against.policyVersion}); "(was N)" is its figure where it differs`] : []),
    ...(policy.unmatched.alerts > 0 ? [`${policy.unmatched.alerts} alert${policy.unmatched.alerts === 1 ? '' : 's'} matched no playbook: ${unmatched.join(', ')}`] : []),
    ...(policy.loginHistory.alerts > 0 ? [`${policy.loginHistory.alerts} sign-in${policy.loginHistory.alerts === 1 ? '' : 's'} of ${policy.loginHistory.users} user${policy.loginHistory.users === 1 ? '' : 's'} went to login histories`] : []),
    '',
    actionTable(policy, against),
    '',
    statusTable(policy, against),
    ...(report.diff ? diffLines(report.diff) : policy.incidents.length > 0 ? ['', 'Incidents:', ...incidentLines(policy)] : []),
    '',
    'Not simulated:',
    ...report.notSimulated.map((line) => `  - ${line}`),
  ];
  return lines.join('\n');
}

export async function simulate(values: Record<string, string | boolean | undefined>, print: (text: string) => void): Promise<void> {
  const source = typeof values.source === 'string' ? values.source : 'generic';
  if (!SUPPORTED_SOURCES.includes(source)) throw new UsageError(`unknown --source ${JSON.stringify(clean(source))}; supported: ${SUPPORTED_SOURCES.join(', ')}`, 'simulate');
  const options = { now: Date.now(), previousIncidents: count(values['previous-incidents'], 'previous-incidents'), priorOffences: count(values['prior-offences'], 'prior-offences') };
  const files = { policy: values.policy as string, ...(typeof values.against === 'string' ? { against: values.against } : {}) };
  const policy = await policyAt(files.policy);
  const against = files.against === undefined ? undefined : await policyAt(files.against);
  const read = await readExport(values.alerts as string);
  const simulated = replay(read.bodies, normalizerFor(source, new Date(options.now)), policy, against, options);
  const lineOf = (refusal: RefusedBody) => Number(refusal.at.slice('line '.length));
  const report = { ...simulated, bodies: read.bodies.length + read.refused.length, refused: [...read.refused, ...simulated.refused].sort((a, b) => lineOf(a) - lineOf(b)) };
  print(values.json ? JSON.stringify(report, null, 2) : formatReport(report, files));
  if (report.refused.length === 0) return;
  const shown = report.refused.slice(0, SHOWN_REFUSALS).flatMap((refusal) => refusal.issues.map((issue) => `  ${refusal.at}: ${clean(issue.path)}: ${clean(issue.message)}`));
  const more = report.refused.length > SHOWN_REFUSALS ? [`  … and ${report.refused.length - SHOWN_REFUSALS} more lines (--json lists them all)`] : [];
  throw new CliError(`${report.refused.length} of ${report.bodies} lines refused (not JSON, or not a valid ${source} body); the others were simulated`, 1, [...shown, ...more]);
}
