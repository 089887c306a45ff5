import { createHash } from 'node:crypto';
import { type RequestHandler, Router } from 'express';
import { parse } from 'yaml';
import { z } from 'zod';
import { fieldPath } from '../../domain/fieldPath.ts';
import { type PolicySnapshot, policySchema } from '../../domain/policy.ts';
import { type Normalizer, startReplay } from '../../domain/simulation/replay.ts';
import { HttpError, type Issue, validationFailed, zodIssues } from '../errors.ts';
import { unregisteredNames } from '../policyNames.ts';
import { normalizeAlerts, SUPPORTED_SOURCES } from '../sources/index.ts';

/** The simulation shares the API process with ingest; larger exports go to `riposte simulate`. */
export const MAX_SIMULATED_BODIES = 10_000;
export const SIMULATE_MAX_BODY_BYTES = 16 * 1024 * 1024;
const YIELD_AFTER_MS = 20;

const policyValue = z.union([z.string().max(1024 * 1024), z.record(z.string(), z.unknown())], { error: 'a policy as YAML text, or as an object' });

export const simulateBody = z.object({
  source: z.string().refine((name) => SUPPORTED_SOURCES.includes(name), { message: `an alert source: ${SUPPORTED_SOURCES.join(', ')}` }).default('generic'),
  // Each one SIEM body as the SIEM posts it to /v1/alerts/<source>, in the order they came.
  alerts: z.array(z.unknown()).min(1, 'at least one SIEM body').max(MAX_SIMULATED_BODIES, `at most ${MAX_SIMULATED_BODIES} bodies`),
  policy: policyValue.optional(),
  against: policyValue.optional(),
  previousIncidents: z.number().int().min(0).max(1000).default(0),
  priorOffences: z.number().int().min(0).max(1000).default(0),
}).strict();

/** The ingest API's normaliser for a source, under each simulated policy's own source mapping (api/routes/alerts.ts). */
export function normalizerFor(source: string, receivedAt: Date): Normalizer {
  return (body, policy) => normalizeAlerts(source, body, receivedAt, { sources: policy.sources, redact: policy.redactFields });
}

/**
 * A policy given in the request, checked as runtime/policyFile.ts checks the file: the schema, then the names it
 * gives against the registries. Its version is the hash of the text, as a file's is of its bytes.
 */
function policyFrom(value: string | Record<string, unknown>, field: 'policy' | 'against'): PolicySnapshot {
  const refused = (issues: Issue[]) => new HttpError(400, 'validation_failed', `${field} is not a valid policy`, issues);
  let document: unknown = value;
  if (typeof value === 'string') {
    try {
      document = parse(value) ?? {};
    } catch (err) {
      throw refused([{ path: field, message: `not valid YAML: ${(err as Error).message.split('\n')[0]}` }]);
    }
  }
  const parsed = policySchema.safeParse(document);
  if (!parsed.success) throw refused(zodIssues(parsed.error, [field]));
  const issues: Issue[] = unregisteredNames(parsed.data).map(({ path, message }) => ({ path: fieldPath([field, ...path]), message }));
  if (issues.length > 0) throw refused(issues);
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return { ...parsed.data, version: `sha256:${createHash('sha256').update(text).digest('hex').slice(0, 16)}` };
}

/**
 * `POST /v1/simulate` (admin): what the running policy, or the one given, would decide for exported SIEM bodies, and
 * how that differs from `against` (the running policy when `policy` is given). Nothing is started and nothing acts.
 * A body the source's normaliser refuses is listed with its fields, and the rest are simulated.
 */
export function simulateRouter({ policy, jsonBody }: { policy: () => PolicySnapshot; jsonBody: (limit: number) => RequestHandler[] }): Router {
  const router = Router();
  router.post('/v1/simulate', ...jsonBody(SIMULATE_MAX_BODY_BYTES), async (req, res) => {
    const body = simulateBody.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(zodIssues(body.error));
    const { source, alerts, previousIncidents, priorOffences } = body.data;
    const proposed = body.data.policy === undefined ? policy() : policyFrom(body.data.policy, 'policy');
    const against = body.data.against !== undefined ? policyFrom(body.data.against, 'against') : body.data.policy !== undefined ? policy() : undefined;
    const now = Date.now();
    const run = startReplay(normalizerFor(source, new Date(now)), proposed, against, { now, previousIncidents, priorOffences });
    // The process also takes SIEM alerts: hand the event loop back every few milliseconds of simulating.
    let since = performance.now();
    for (const [index, alert] of alerts.entries()) {
      run.add([{ at: `alerts[${index}]`, body: alert }]);
      if (performance.now() - since < YIELD_AFTER_MS) continue;
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
    res.json(run.report());
  });
  return router;
}
