import type { IncidentState, TimelineEntry } from '../domain/incident.ts';
import { clean } from './errors.ts';

export type IncidentView = IncidentState & { timeline?: TimelineEntry[] };

export interface BlockView {
  address: string;
  expiresAt: string | null;
  workflowId: string;
  since: string;
}

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
    .map((b) => [clean(b.address), clean(b.expiresAt ?? '(applying)'), clean(b.since)]);
  return table(['ADDRESS', 'EXPIRES', 'SINCE'], rows);
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
