import { type Alert, alertSchema } from '../../domain/alert.ts';
import { alertTypeFor, boundedRaw, DEFAULT_REDACTED_FIELDS, type SourcePolicy } from '../../domain/sourceMapping.ts';
import { HttpError, type Issue, validationFailed, zodIssues } from '../errors.ts';
import { elastic } from './elastic.ts';
import { graylog } from './graylog.ts';
import { humio } from './humio.ts';
import { okta } from './okta.ts';
import { sentinel } from './sentinel.ts';
import type { AlertSource } from './source.ts';
import { splunk } from './splunk.ts';
import { wazuh } from './wazuh.ts';

export const MAX_ALERTS_PER_REQUEST = 1000;

/** Every SIEM body Riposte reads, by the name in `/v1/alerts/<name>`; `generic` is Riposte's own alert shape. */
export const alertSources: readonly AlertSource[] = [
  humio,
  elastic,
  splunk,
  wazuh,
  graylog,
  okta,
  sentinel,
];

const byName = new Map(alertSources.map((source) => [source.name, source]));

export const SUPPORTED_SOURCES = ['generic', ...byName.keys()];

export function alertSourceNamed(name: string): AlertSource | undefined {
  return byName.get(name);
}

export interface NormalizeOptions {
  /** The policy's `sources`: per source, rule keys to alert types over the stock mapping. */
  sources?: Readonly<Record<string, SourcePolicy>>;
  /** Field names kept out of `raw` (domain/sourceMapping.ts). */
  redact?: readonly string[];
}

interface Normalized {
  alerts: Alert[];
  issues: Issue[];
}

function validated(candidate: unknown, path: (string | number)[], into: Normalized): void {
  const parsed = alertSchema.safeParse(candidate);
  if (parsed.success) into.alerts.push(parsed.data);
  else into.issues.push(...zodIssues(parsed.error, path));
}

function normalizeGeneric(item: unknown, path: (string | number)[], redact: readonly string[], into: Normalized): void {
  const record = item !== null && typeof item === 'object' && !Array.isArray(item) ? item as Record<string, unknown> : undefined;
  const raw = record?.raw;
  const bounded = record && raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...record, raw: boundedRaw(raw, redact) } : item;
  validated(bounded, path, into);
}

function normalizeVendor(source: AlertSource, item: unknown, path: (string | number)[], receivedAt: Date, options: NormalizeOptions, into: Normalized): void {
  const body = source.body.safeParse(item);
  if (!body.success) {
    into.issues.push(...zodIssues(body.error, path));
    return;
  }
  const types = options.sources?.[source.name]?.types ?? {};
  const typeFor = (keys: readonly string[], rule: string) => alertTypeFor(source.name, keys, rule, types, source.stockTypes);
  for (const event of source.alerts(body.data, { receivedAt, typeFor })) {
    validated({ ...event.alert, source: source.name, raw: boundedRaw(event.original, options.redact ?? DEFAULT_REDACTED_FIELDS) }, [...path, ...event.path], into);
  }
}

/** One body (or an array of bodies) as alerts, all valid, or an HttpError naming every field at fault. */
export function normalizeAlerts(sourceName: string, body: unknown, receivedAt: Date, options: NormalizeOptions = {}): Alert[] {
  const source = byName.get(sourceName);
  if (!source && sourceName !== 'generic') throw new HttpError(404, 'unknown_source', `unknown alert source ${JSON.stringify(sourceName.slice(0, 40))}; supported: ${SUPPORTED_SOURCES.join(', ')}`);
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) throw validationFailed([{ path: '(body)', message: 'no alerts' }]);
  if (items.length > MAX_ALERTS_PER_REQUEST) throw tooMany();
  const into: Normalized = { alerts: [], issues: [] };
  items.forEach((item, index) => {
    const path = Array.isArray(body) ? [index] : [];
    if (source) normalizeVendor(source, item, path, receivedAt, options, into);
    else normalizeGeneric(item, path, options.redact ?? DEFAULT_REDACTED_FIELDS, into);
  });
  if (into.issues.length > 0) throw validationFailed(into.issues);
  if (into.alerts.length === 0) throw validationFailed([{ path: '(body)', message: 'no alerts' }]);
  if (into.alerts.length > MAX_ALERTS_PER_REQUEST) throw tooMany();
  return into.alerts;
}

const tooMany = () => new HttpError(413, 'too_many_alerts', `at most ${MAX_ALERTS_PER_REQUEST} alerts per request`);
