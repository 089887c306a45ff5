import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DASHBOARD_FILE = resolve(fileURLToPath(import.meta.url), '../../../docs/grafana/riposte.json');

interface Panel {
  title?: string;
  type: string;
  targets?: { expr: string }[];
  panels?: Panel[];
}

/** Every panel of the dashboard, rows' panels included. */
export async function dashboardPanels(): Promise<Panel[]> {
  const dashboard = JSON.parse(await readFile(DASHBOARD_FILE, 'utf8')) as { panels: Panel[] };
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}

const NOT_METRICS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names a PromQL expression reads: what is left once label matchers, ranges, grouping clauses, strings,
 * Grafana variables, function calls and operators' keywords are taken out.
 */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/"(?:[^"\\]|\\.)*"/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  return [...bare.matchAll(/(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()/g)].map(([, name]) => name!).filter((name) => !NOT_METRICS.has(name.toLowerCase()));
}

/** The metric names every query of the dashboard reads. */
export async function dashboardMetricNames(): Promise<Set<string>> {
  const panels = await dashboardPanels();
  return new Set(panels.flatMap((panel) => (panel.targets ?? []).flatMap((target) => metricNamesIn(target.expr))));
}
