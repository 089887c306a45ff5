import type { BlockView as ExplainedBlock, Explanation } from '../api/routes/explain.ts';
import type { IncidentState, TimelineEntry } from '../domain/incident.ts';
import { clean } from './errors.ts';

export type IncidentView = IncidentState & { timeline?: TimelineEntry[] };
export type ExplanationView = Explanation;

import type { PointEnforcement } from '../workflows/control.ts';
import type { BlockView } from '../workflows/messages.ts';

export type { BlockView };

export interface IncidentListItem {
  id: string;
  status: string | null;
  playbook: string | null;
  entity: string | null;
  severity: number | null;
  open: boolean;
  startedAt: string;
  closedAt: string | null;
}

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function field(label: string, value: string): string {
  return `  ${label.padEnd(10)}  ${value}`;
}

function list(label: string, values: string[]): string[] {
  if (values.length === 0) return [field(label, '(none)')];
  return values.map((value, i) => field(i === 0 ? label : '', value));
}

/** An incident as an operator reads it: the summary, then what happened, oldest first. */
export function formatIncident(incident: IncidentView): string {
  const geo = [incident.geo?.country, incident.geo?.city].filter(Boolean).map(clean).join(', ');
  const lines = [
    clean(incident.id),
    field('status', `${clean(incident.status)}${incident.paused ? ' (paused)' : ''}`),
    field('mode', `${clean(incident.mode)}, policy ${clean(incident.policyVersion)}`),
    field('entity', `${clean(incident.entity)}${geo ? ` (${geo})` : ''}`),
    field('alerts', `${incident.alertCount} counted in ${incident.alertsReceived} alert(s), ${incident.alertBatches} signal(s); max severity ${incident.maxSeverity}`),
    field('opened', clean(incident.openedAt)),
  ];
  if (incident.previousIncidents !== undefined) lines.push(field('earlier', `${incident.previousIncidents} incident(s) for this entity`));
  if (incident.approval) {
    const a = incident.approval;
    lines.push(field('decision', `${clean(a.decision)} by ${clean(a.by)} at ${clean(a.at)}${a.comment ? `: ${clean(a.comment)}` : ''}`));
  }
  lines.push(...list('plan', incident.plan.map(clean)));
  lines.push(...list('actions', incident.actions.map((a) => `${clean(a.outcome).padEnd(8)}  ${clean(a.kind)} ${clean(a.target)}: ${clean(a.detail)}${a.error ? ` (error: ${clean(a.error)})` : ''}`)));
  if (incident.timeline) {
    lines.push('', 'timeline');
    if (incident.timeline.length === 0) lines.push('  (empty)');
    const width = Math.max(0, ...incident.timeline.map((e) => clean(e.event).length));
    for (const entry of incident.timeline) {
      const detail = entry.detail ? `  ${clean(entry.detail)}` : '';
      const by = entry.by ? `  (by ${clean(entry.by)})` : '';
      lines.push(`  ${clean(entry.at)}  ${clean(entry.event).padEnd(width)}${detail}${by}`.trimEnd());
    }
  }
  return lines.join('\n');
}

export function formatBlocks(blocks: BlockView[]): string {
  if (blocks.length === 0) return 'no active blocks';
  const rows = [...blocks]
    .sort((a, b) => a.address.localeCompare(b.address))
    .map((b) => [clean(b.address), clean(b.state), clean(b.expiresAt ?? '(coming down)'), clean(b.since)]);
  return table(['ADDRESS', 'STATE', 'EXPIRES', 'SINCE'], rows);
}

export function formatEnforcement(points: Record<string, PointEnforcement>): string {
  const rows = Object.entries(points).sort(([a], [b]) => a.localeCompare(b)).map(([point, p]) => [
    clean(point), `${(p.enforced * 100).toFixed(1)} %`, String(p.intended), String(p.restored), String(p.cyclesBelow), clean(p.at),
  ]);
  if (rows.length === 0) return 'no reconcile has run yet';
  return table(['POINT', 'ENFORCED', 'LIVE BLOCKS', 'PUT BACK', 'CYCLES SHORT', 'AT'], rows);
}

export function formatIncidents(incidents: IncidentListItem[]): string {
  if (incidents.length === 0) return 'no incidents';
  const rows = incidents.map((i) => [
    clean(i.id),
    clean(i.status ?? '-'),
    i.severity === null ? '-' : String(i.severity),
    i.open ? 'open' : 'closed',
    clean(i.startedAt),
  ]);
  return table(['ID', 'STATUS', 'SEVERITY', 'STATE', 'STARTED'], rows);
}

const VERDICT_TEXT: Record<Explanation['verdict'], string> = { acted_on: 'acted on', not_acted_on: 'not acted on', no_incident: 'no incident' };

function blockLine(block: ExplainedBlock): string {
  if (!block.running) return `${clean(block.workflowId)} ended`;
  const errors = Object.entries(block.pointErrors ?? {}).map(([point, error]) => `; ${clean(point)} failed: ${clean(error)}`).join('');
  return `${clean(block.workflowId)} ${clean(block.state ?? 'running')} until ${clean(block.expiresAt ?? '(applying)')} at ${(block.points ?? []).map(clean).join(', ') || '(unknown)'}${errors}`;
}

/** `riposte explain`: the verdict and why first, then each incident as the operator would check it. */
export function formatExplanation(e: Explanation): string {
  const cover = [
    e.policy.allowlisted ? `allowlisted by ${clean(e.policy.allowlisted)}` : '',
    e.policy.protectedBy ? `protected by ${clean(e.policy.protectedBy)}` : '',
  ].filter(Boolean);
  const lines = [
    `${clean(e.entity)} (${clean(e.kind)}): ${VERDICT_TEXT[e.verdict] ?? clean(e.verdict)}`,
    field('policy', [clean(e.policy.version), ...cover].join(', ')),
    ...list('why', e.reasons.map(clean)),
  ];
  if (e.block) {
    lines.push(field('block', blockLine(e.block)));
    lines.push(...list('leases', (e.block.leases ?? []).map((l) => `${clean(l.requester)} until ${clean(l.until)}`)));
  }
  if (e.incidents.length === 0) return lines.join('\n');
  lines.push('', 'incidents');
  for (const i of e.incidents) {
    lines.push('', `${clean(i.id)}  ${clean(i.status ?? 'unknown')}${i.paused ? ' (paused)' : ''}  ${i.open ? 'open' : 'closed'} since ${clean(i.startedAt)}`);
    lines.push(field('why', clean(i.reason)));
    if (i.mode !== undefined) lines.push(field('mode', `${clean(i.mode)}, policy ${clean(i.policyVersion)}`));
    if (i.alerts) {
      const samples = i.alerts.sampleIds.length > 0 ? `; e.g. ${i.alerts.sampleIds.map(clean).join(', ')}` : '';
      lines.push(field('alerts', `${i.alerts.count} counted in ${i.alerts.received} alert(s); max severity ${i.alerts.maxSeverity}${samples}`));
    }
    if (i.plan) lines.push(...list('plan', i.plan.map(clean)));
    if (i.approvals && (i.approvals.needed !== null || i.approvals.given.length > 0)) {
      const given = i.approvals.given.map((a) => `${clean(a.by)} at ${clean(a.at)}`).join(', ');
      lines.push(field('approvals', `${i.approvals.given.length} of ${i.approvals.needed ?? 1}${given ? `: ${given}` : ''}`));
    }
    if (i.decision) lines.push(field('decision', `${clean(i.decision.decision)} by ${clean(i.decision.by)} at ${clean(i.decision.at)}${i.decision.comment ? `: ${clean(i.decision.comment)}` : ''}`));
    if (i.verdict) lines.push(field('verdict', `${clean(i.verdict.verdict)} by ${clean(i.verdict.by)}`));
    if (i.actions) {
      lines.push(...list('actions', i.actions.map((a) => {
        const block = a.block ? ` [${blockLine(a.block)}]` : '';
        return `${clean(a.outcome).padEnd(8)}  ${clean(a.kind)} ${clean(a.target)}: ${clean(a.detail)}${a.error ? ` (error: ${clean(a.error)})` : ''}${block}`;
      })));
    }
  }
  return lines.join('\n');
}
