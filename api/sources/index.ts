import { type Alert, alertSchema } from '../../domain/alert.ts';
import { HttpError, type Issue, validationFailed, zodIssues } from '../errors.ts';
import { humioBodySchema, normalizeHumio } from './humio.ts';

export const MAX_ALERTS_PER_REQUEST = 1000;

type Normalizer = (item: unknown, receivedAt: Date, path: (string | number)[]) => { alert?: Alert; issues: Issue[] };

function validateAlert(candidate: unknown, path: (string | number)[]) {
  const parsed = alertSchema.safeParse(candidate);
  return parsed.success ? { alert: parsed.data, issues: [] } : { issues: zodIssues(parsed.error, path) };
}

const normalizers = new Map<string, Normalizer>(Object.entries({
  generic: (item, _receivedAt, path) => validateAlert(item, path),
  humio: (item, receivedAt, path) => {
    const body = humioBodySchema.safeParse(item);
    if (!body.success) return { issues: zodIssues(body.error, path) };
    return validateAlert(normalizeHumio(body.data, receivedAt), path);
  },
} satisfies Record<string, Normalizer>));

export const SUPPORTED_SOURCES = [...normalizers.keys()];

/** One alert or an array of them, all valid, or an HttpError naming every field at fault. */
export function normalizeAlerts(source: string, body: unknown, receivedAt: Date): Alert[] {
  const normalize = normalizers.get(source);
  if (!normalize) throw new HttpError(404, 'unknown_source', `unknown alert source ${JSON.stringify(source.slice(0, 40))}; supported: ${SUPPORTED_SOURCES.join(', ')}`);
  const items = Array.isArray(body) ? body : [body];
  if (items.length === 0) throw validationFailed([{ path: '(body)', message: 'no alerts' }]);
  if (items.length > MAX_ALERTS_PER_REQUEST) throw new HttpError(413, 'too_many_alerts', `at most ${MAX_ALERTS_PER_REQUEST} alerts per request`);
  const alerts: Alert[] = [];
  const issues: Issue[] = [];
  items.forEach((item, index) => {
    const result = normalize(item, receivedAt, Array.isArray(body) ? [index] : []);
    if (result.alert) alerts.push(result.alert);
    issues.push(...result.issues);
  });
  if (issues.length > 0) throw validationFailed(issues);
  return alerts;
}
