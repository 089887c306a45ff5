/** `riposte report`: the review's figures from GET /v1/reports/summary, as tables. */
import { DURATION_PATTERN, parseDuration } from '../domain/duration.ts';
import type { ReportSummary } from '../domain/reports/summary.ts';
import type { CommandSpec } from './commands.ts';
import { clean, UsageError } from './errors.ts';
import { table } from './format.ts';

/** `--since 7d` counts back from --until (or now); an ISO time goes to the API as typed, which names what is wrong. */
function sinceTime(since: string | undefined, until: string | undefined): string | undefined {
  if (since === undefined || !DURATION_PATTERN.test(since)) return since;
  const end = until === undefined ? Date.now() : Date.parse(until);
  if (Number.isNaN(end)) throw new UsageError(`--until ${JSON.stringify(clean(until))} is no ISO 8601 time such as 2024-05-01T12:00:00Z`, 'report');
  return new Date(end - parseDuration(since)).toISOString();
}

function seconds(value: number): string {
  if (value < 120) return `${value.toFixed(1)}s`;
  if (value < 7_200) return `${(value / 60).toFixed(1)}m`;
  return `${(value / 3_600).toFixed(1)}h`;
}

const section = (title: string, header: string[], rows: string[][]) => ['', title, rows.length === 0 ? '  (none)' : table(header, rows)];

export function formatReport(report: ReportSummary): string {
  const promotionRows = report.promotion.map((p) => [
    p.playbook, `${p.mode} → ${p.nextMode}`, String(p.wouldHaveActed), String(p.confirmed), String(p.refuted),
    p.precision === null ? '-' : p.precision.toFixed(2), `${p.threshold.toFixed(2)}, ${p.minVerdicts} verdicts`, p.recommendation,
  ]);
  return [
    `Report from ${clean(report.since)} to ${clean(report.until)}`,
    ...section('Enforcements and false positives, per playbook and week', ['WEEK', 'PLAYBOOK', 'ENFORCEMENTS', 'FALSE POSITIVES'],
      report.enforcementsVsFalsePositives.map((r) => [r.week, clean(r.playbook), String(r.enforcements), String(r.falsePositives)])),
    ...section('Time to contain, per day', ['DAY', 'INCIDENTS', 'P50', 'P95'],
      report.timeToContain.map((r) => [r.day, String(r.count), seconds(r.p50Seconds), seconds(r.p95Seconds)])),
    ...section('Top rules', ['RULE', 'ALERTS'], report.topRules.map((r) => [clean(r.rule), String(r.alerts)])),
    ...section('Top entities', ['ENTITY', 'INCIDENTS'], report.topEntities.map((r) => [clean(r.entity), String(r.incidents)])),
    ...section('Promotion', ['PLAYBOOK', 'MODE', 'WOULD HAVE ACTED', 'CONFIRMED', 'REFUTED', 'PRECISION', 'NEEDS', 'RECOMMENDATION'], promotionRows.map((row) => row.map(clean))),
    ...report.promotion.map((p) => `  ${clean(p.playbook)}: ${clean(p.why)}`),
  ].join('\n');
}

export const reportCommand: CommandSpec = {
  name: 'report',
  args: [],
  summary: 'the review: enforcements against false positives, time to contain, top rules and entities, promotion',
  description: [
    'Prints GET /v1/reports/summary as tables, computed from Riposte\'s own audit trail (which outlives Temporal\'s',
    'retention): enforcements against false positives per playbook and ISO week, time to contain (p50, p95) per day,',
    'the top rules and entities, and for each playbook in observe or approve mode what it would have done, how much of',
    'it verdicts confirmed or refuted, and whether the policy\'s promotion threshold says to move it to the next mode.',
    'The window defaults to the 30 days before now, and spans at most 366 days.',
  ].join('\n'),
  options: {
    since: { type: 'string', value: 'ISO|DURATION', help: 'the start: an ISO 8601 time, or a duration such as 7d back from --until' },
    until: { type: 'string', value: 'ISO', help: 'the end: an ISO 8601 time (default now)' },
  },
  api: true,
  async run({ api, values, print }) {
    const until = typeof values.until === 'string' ? values.until : undefined;
    const since = sinceTime(typeof values.since === 'string' ? values.since : undefined, until);
    const report = await api().call<ReportSummary>('GET', '/v1/reports/summary', { query: { since, until } });
    print(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  },
};
