import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { ConfiguredPoller } from '../activities/poll/poller.ts';
import { pollerKinds } from '../activities/poll/registry.ts';
import { alertSourceNamed, SUPPORTED_SOURCES } from '../api/sources/index.ts';
import { DURATION_PATTERN, parseDuration } from '../domain/duration.ts';
import { secretFromEnv } from './secrets.ts';
import { fieldPath } from '../domain/fieldPath.ts';

/**
 * The pollers file (`RIPOSTE_POLLERS_FILE`, default `config/pollers.yaml` when it exists), for SIEMs that cannot
 * call out: each poller reads its SIEM every `every` on a Temporal schedule (runtime/pollerSchedules.ts). Secrets are
 * never in the file: an auth header's value is read from the environment variable `valueFrom` names (or its `_FILE`).
 *
 *   pollers:
 *     - name: elastic-security       # lower-case letters, digits and -; names the schedule and the cursor
 *       kind: elastic                # elastic | http (activities/poll/registry.ts)
 *       every: 30s
 *       auth: { header: Authorization, prefix: 'ApiKey ', valueFrom: ELASTIC_API_KEY }
 *       ...                          # the kind's own fields (docs/integrations/polling.md)
 */
export const DEFAULT_POLLERS_FILE = 'config/pollers.yaml';

export const POLLER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Past this, a poller's state would near Temporal's 2 MB payload limit when it continues as new. */
export const MAX_REMEMBER = 50_000;

const every = z.string().regex(DURATION_PATTERN, 'a whole number followed by s, m, h or d, e.g. 30s').transform(parseDuration)
  .refine((ms) => ms >= 5_000, 'at least 5s');

const auth = z.object({
  header: z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'an HTTP header name such as Authorization'),
  /** Put before the variable's value: `ApiKey `, `Bearer `. */
  prefix: z.string().max(50).optional(),
  valueFrom: z.string().regex(/^[A-Z_][A-Z0-9_]{0,99}$/, 'the name of an environment variable holding the value, e.g. ELASTIC_API_KEY'),
}).strict();

const common = {
  name: z.string().regex(POLLER_NAME, 'lower-case letters, digits and -, at most 63 characters'),
  every,
  /** The alert source (api/sources/) whose normaliser reads each item; the kind's default otherwise. */
  source: z.string().min(1).max(40).optional(),
  remember: z.number().int().min(1).max(MAX_REMEMBER).default(10_000),
  maxPages: z.number().int().min(1).max(1_000).default(10),
  auth: auth.optional(),
};

const pollerSchema = z.discriminatedUnion('kind', pollerKinds.map((kind) => kind.settings.extend({ kind: z.literal(kind.kind), ...common })) as unknown as [z.ZodObject, ...z.ZodObject[]]);

const fileSchema = z.object({ pollers: z.array(pollerSchema).default([]) }).strict();

/** An entry as the schema gives it: the common fields, and the kind's own. */
interface PollerEntry {
  name: string;
  kind: string;
  every: number;
  source?: string;
  remember: number;
  maxPages: number;
  auth?: z.output<typeof auth>;
  [field: string]: unknown;
}

export class PollersError extends Error {
  override readonly name = 'ConfigError';
}


/** The pollers of a pollers file's text, each auth header read from the environment; every field at fault named. */
export function parsePollers(text: string, source: string, env: NodeJS.ProcessEnv): ConfiguredPoller[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    throw new PollersError(`pollers file ${source}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = fileSchema.safeParse(document ?? {});
  const issues = parsed.success ? [] : parsed.error.issues.map((issue) => `  ${fieldPath(issue.path)}: ${issue.message}`);
  const entries = (parsed.success ? parsed.data.pollers : []) as PollerEntry[];
  const names = new Map<string, number>();
  const pollers = entries.map((entry, index) => {
    const at = `pollers[${index}]`;
    const earlier = names.get(entry.name);
    if (earlier !== undefined) issues.push(`  ${at}.name: ${entry.name} is already the name of pollers[${earlier}]`);
    names.set(entry.name, index);
    const kind = pollerKinds.find((k) => k.kind === entry.kind)!;
    const alertSource = entry.source ?? kind.defaultSource;
    if (alertSource !== 'generic' && !alertSourceNamed(alertSource)) issues.push(`  ${at}.source: unknown alert source ${alertSource}; known: ${SUPPORTED_SOURCES.join(', ')}`);
    let headers: Record<string, string> = {};
    if (entry.auth) {
      let value: string | undefined;
      try {
        value = secretFromEnv(env, entry.auth.valueFrom);
      } catch (err) {
        issues.push(`  ${at}.auth.valueFrom: ${(err as Error).message}`);
      }
      if (value === undefined) issues.push(`  ${at}.auth.valueFrom: set ${entry.auth.valueFrom} (or ${entry.auth.valueFrom}_FILE) to the ${entry.auth.header} header's value`);
      else headers = { [entry.auth.header]: `${entry.auth.prefix ?? ''}${value}` };
    }
    const settings = Object.fromEntries(Object.entries(entry).filter(([field]) => field !== 'kind' && !Object.hasOwn(common, field)));
    return { name: entry.name, kind: entry.kind, everyMs: entry.every, source: alertSource, remember: entry.remember, maxPages: entry.maxPages, settings, headers };
  });
  if (issues.length > 0) throw new PollersError(`pollers file ${source} is invalid:\n${issues.join('\n')}`);
  return pollers;
}

/** The pollers file's path: RIPOSTE_POLLERS_FILE, or the default file when it exists; undefined for no pollers. */
export function pollersFilePath(env: NodeJS.ProcessEnv): string | undefined {
  if (env.RIPOSTE_POLLERS_FILE) return resolve(env.RIPOSTE_POLLERS_FILE);
  return existsSync(DEFAULT_POLLERS_FILE) ? resolve(DEFAULT_POLLERS_FILE) : undefined;
}

export function loadPollers(env: NodeJS.ProcessEnv = process.env): { file?: string; pollers: ConfiguredPoller[] } {
  const file = pollersFilePath(env);
  if (!file) return { pollers: [] };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PollersError(`RIPOSTE_POLLERS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code})`);
  }
  return { file, pollers: parsePollers(text, file, env) };
}
