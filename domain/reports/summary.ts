import type { AuditRecord } from '../../activities/audit/record.ts';
import type { Mode } from '../policy.ts';
import { type DecisionParameters, isDecision, isVerdict, type VerdictParameters } from './auditEvents.ts';
import { isoWeek, utcDay } from './calendar.ts';
import { containmentOf, playbookOfIncident } from './containment.ts';
import { percentile } from './percentile.ts';
import { type PromotionPolicy, type PromotionRow, promotionRow } from './promotion.ts';

export const TOP_ROWS = 10;

export interface ReportOptions {
  /** Epoch milliseconds: records at or after `since` and before `until`. */
  since: number;
  until: number;
  /** Each playbook's mode in the policy now. */
  playbooks: readonly { name: string; mode: Mode }[];
  promotion: PromotionPolicy;
}

export interface ReportSummary {
  since: string;
  until: string;
  enforcementsVsFalsePositives: { playbook: string; week: string; enforcements: number; falsePositives: number }[];
  timeToContain: { day: string; count: number; p50Seconds: number; p95Seconds: number }[];
  topRules: { rule: string; alerts: number }[];
  topEntities: { entity: string; incidents: number }[];
  promotion: PromotionRow[];
}

/** The records a report reads; the rest of the trail (notifications, removals, `before` records) it can skip. */
export const readByReports = (record: AuditRecord): boolean => isDecision(record) || isVerdict(record) || containmentOf(record) !== undefined;

interface Decided {
  parameters: DecisionParameters;
  verdict?: VerdictParameters['verdict'];
}

/**
 * The figures of a review, from the audit trail alone. An incident id names every incident of one entity in turn, so
 * an incident is its id and its opening time, and a verdict belongs to the latest decision of its id before it.
 */
export function reportSummary(records: readonly AuditRecord[], options: ReportOptions): ReportSummary {
  const inWindow = records
    .map((record) => ({ record, at: Date.parse(record.at) }))
    .filter(({ at }) => at >= options.since && at < options.until)
    .sort((a, b) => a.at - b.at);
  const weekly = new Map<string, { playbook: string; week: string; enforcements: number; falsePositives: number }>();
  const weekRow = (playbook: string, at: number) => {
    const week = isoWeek(at);
    const key = `${week}|${playbook}`;
    if (!weekly.has(key)) weekly.set(key, { playbook, week, enforcements: 0, falsePositives: 0 });
    return weekly.get(key)!;
  };
  const enforced = new Set<string>();
  const contained = new Map<string, { day: string; seconds: number }>();
  const decided: Decided[] = [];
  const latestDecision = new Map<string, Decided>();
  const entities = new Map<string, Set<string>>();

  for (const { record, at } of inWindow) {
    const incidentId = record.trigger.incidentId;
    const containment = containmentOf(record);
    if (containment) {
      const incident = `${containment.incidentId}|${containment.incidentOpenedAt}`;
      const action = `${incident}|${record.action}|${record.target}`;
      if (!enforced.has(action)) weekRow(playbookOfIncident(containment.incidentId), at).enforcements += 1;
      enforced.add(action);
      // An incident opened before the window may have been contained before it too: its first containment is unknown.
      if (!contained.has(incident) && Date.parse(containment.incidentOpenedAt) >= options.since) contained.set(incident, { day: utcDay(at), seconds: containment.seconds });
    } else if (isDecision(record) && incidentId) {
      const entry: Decided = { parameters: record.parameters as unknown as DecisionParameters };
      decided.push(entry);
      latestDecision.set(incidentId, entry);
      const entity = entry.parameters.entity;
      entities.set(entity, (entities.get(entity) ?? new Set()).add(`${incidentId}|${record.trigger.incidentOpenedAt ?? record.at}`));
    } else if (isVerdict(record) && incidentId) {
      const { playbook, verdict } = record.parameters as unknown as VerdictParameters;
      if (verdict === 'false_positive') weekRow(playbook, at).falsePositives += 1;
      const decision = latestDecision.get(incidentId);
      if (decision) decision.verdict = verdict;
    }
  }

  return {
    since: new Date(options.since).toISOString(),
    until: new Date(options.until).toISOString(),
    enforcementsVsFalsePositives: [...weekly.values()].sort((a, b) => a.week.localeCompare(b.week) || a.playbook.localeCompare(b.playbook)),
    timeToContain: timeToContainPerDay([...contained.values()]),
    topRules: top(ruleAlerts(decided)).map(([rule, alerts]) => ({ rule, alerts })),
    topEntities: top(new Map([...entities].map(([entity, incidents]) => [entity, incidents.size]))).map(([entity, incidents]) => ({ entity, incidents })),
    promotion: promotion(decided, options),
  };
}

function timeToContainPerDay(samples: readonly { day: string; seconds: number }[]): ReportSummary['timeToContain'] {
  const byDay = new Map<string, { seconds: number }[]>();
  for (const sample of samples) {
    if (!byDay.has(sample.day)) byDay.set(sample.day, []);
    byDay.get(sample.day)!.push(sample);
  }
  return [...byDay].sort(([a], [b]) => a.localeCompare(b)).map(([day, daySamples]) => {
    const seconds = daySamples.map((sample) => sample.seconds).sort((a, b) => a - b);
    return { day, count: seconds.length, p50Seconds: round(percentile(seconds, 0.5)), p95Seconds: round(percentile(seconds, 0.95)) };
  });
}

/** Each rule counts the alerts of the incidents it raised. */
function ruleAlerts(decided: readonly Decided[]): Map<string, number> {
  const alerts = new Map<string, number>();
  for (const { parameters } of decided) for (const rule of parameters.rules) alerts.set(rule, (alerts.get(rule) ?? 0) + parameters.alertCount);
  return alerts;
}

/** What each playbook in observe or approve mode now would have done in that mode, and what people said of it. */
function promotion(decided: readonly Decided[], options: ReportOptions): PromotionRow[] {
  return options.playbooks.flatMap(({ name, mode }) => {
    if (mode === 'auto') return [];
    const held = mode === 'observe' ? 'would_do' : 'approve';
    const proposals = decided.filter(({ parameters: p }) => p.playbook === name && p.mode === mode && p.steps.some((step) => step.disposition === held));
    return [promotionRow(name, mode, proposals.map((proposal) => proposal.verdict), options.promotion)];
  });
}

/** The largest counts first, ties by name, at most TOP_ROWS. */
function top(counts: ReadonlyMap<string, number>): [string, number][] {
  return [...counts].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).slice(0, TOP_ROWS);
}

const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
