import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { placeholdersIn, stringsIn } from './placeholders.ts';
import { fieldPath } from '../../domain/fieldPath.ts';

/**
 * The template of an HTTP firewall (docs/integrations/http-firewall.md): how to block, find, unblock and list targets
 * at a firewall's API, in YAML, so a team can add its own firewall without code. Two shapes:
 * - `rules`: one rule per target (Cloudflare IP Access Rules). Applying creates it, or rewrites its expiry when it is
 *   there; removing finds it (`find`, or the list) and deletes it by id. Riposte keeps no state of its own: the rule's
 *   note says it is Riposte's, for which target, until when.
 * - `set`: one list of addresses written whole (AWS WAF IP sets): read it, change it, write it back with the token the
 *   read gave, again from the read when another writer got there first.
 */

const BUILT_IN = ['cloudflare', 'aws-waf'] as const;
const BUILT_IN_DIR = fileURLToPath(new URL('./httpFirewalls/', import.meta.url));

const variableName = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'an environment variable name: capitals, digits and _');
const dottedPath = z.string().regex(/^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/, 'a dotted path into the JSON answer, such as result.id');
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name');
const pattern = z.string().min(1).refine((text) => {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}, 'a regular expression, such as ThrottlingException|WAFInternalErrorException');

const requestSchema = z.object({
  method: z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']),
  /** Below baseUrl; placeholder values in it are URL-encoded. */
  path: z.string().startsWith('/', 'a path below baseUrl, starting with /'),
  headers: z.record(headerName, z.string()).default({}),
  /** Sent as JSON; placeholder values in it are JSON-encoded. */
  body: z.unknown().optional(),
  /** Answers that mean "already so" (a 404 on delete), taken as success. */
  absent: z.array(z.number().int().min(400).max(499)).default([]),
}).strict();
export type TemplateRequest = z.output<typeof requestSchema>;

const commonSchema = {
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'lower-case letters, digits and -'),
  description: z.string().max(200).optional(),
  /** The only environment variables the template can read; values never come from the file itself. */
  variables: z.object({
    required: z.array(variableName).default([]),
    /** Each with the value used when it is unset; the value may name required variables. */
    optional: z.record(variableName, z.string()).default({}),
  }).strict().default({ required: [], optional: {} }),
  /** Where every request's path is appended; the one place a value is used as written. Must be http(s). */
  baseUrl: z.string().min(1),
  /** Sent with every request, under each request's own. */
  headers: z.record(headerName, z.string()).default({}),
  /** AWS Signature Version 4 over every request. */
  sign: z.object({
    aws: z.object({ service: z.string().min(1), region: z.string().min(1), accessKeyId: z.string().min(1), secretAccessKey: z.string().min(1), sessionToken: z.string().optional() }).strict(),
  }).strict().optional(),
  /** How the API names its errors in a 4xx body: which are a conflict to redo, which mean "try later". */
  errors: z.object({
    field: dottedPath,
    conflict: pattern.optional(),
    retryLater: pattern.optional(),
  }).strict().optional(),
};

const itemsSchema = {
  /** Where the array of rules is in the answer. */
  items: dottedPath,
  /** Where a rule's address or range is, in any spelling. */
  address: dottedPath,
  id: dottedPath,
};

const rulesSchema = z.object({
  ...commonSchema,
  mode: z.literal('rules'),
  /** `{{kind}}`: the firewall's name for each kind of target. */
  kinds: z.object({ ipv4: z.string(), ipv6: z.string(), ipv4Range: z.string(), ipv6Range: z.string() }).strict().optional(),
  apply: requestSchema,
  /** Rewrites an existing rule's expiry (its note); absent: an existing rule is left as it is. */
  extend: requestSchema.optional(),
  /** Finds one target's rule; absent: the list is searched. */
  find: z.object({ request: requestSchema, ...itemsSchema }).strict().optional(),
  remove: requestSchema,
  list: z.object({
    request: requestSchema,
    ...itemsSchema,
    /** Where the `{{note}}` Riposte wrote is: a rule without it is someone else's, and reconcile leaves it alone. */
    note: dottedPath.optional(),
    /** The number of the last page, for a paged list; `{{page}}` counts from 1. */
    pages: z.object({ last: dottedPath }).strict().optional(),
  }).strict(),
}).strict();

const setSchema = z.object({
  ...commonSchema,
  mode: z.literal('set'),
  /** How one target is written in the set. */
  element: z.string().default('{{cidr}}'),
  sets: z.array(z.object({
    family: z.union([z.literal(4), z.literal(6)]),
    /** The set is used only when this variable is set (not empty): an optional second set for the other family. */
    enabledBy: variableName.optional(),
    read: requestSchema,
    /** Where the set's entries are in the read's answer. */
    addresses: dottedPath,
    /** `{{addresses}}` is the whole new list; `{{read.<path>}}` a value of the read's answer (its lock token). */
    write: requestSchema,
  }).strict()).min(1),
}).strict();

export const httpFirewallTemplateSchema = z.discriminatedUnion('mode', [rulesSchema, setSchema]);
export type HttpFirewallTemplate = z.output<typeof httpFirewallTemplateSchema>;
export type RulesTemplate = z.output<typeof rulesSchema>;
export type SetTemplate = z.output<typeof setSchema>;

export class HttpFirewallTemplateError extends Error {
  override readonly name = 'ConfigError';
}

type Path = (string | number)[];
const TARGET = ['address', 'cidr', 'network', 'prefix', 'family', 'marker'];
const EXPIRY = ['expiresAt', 'note'];

/** Which placeholders each part of a template may use, besides `env.<declared variable>`. */
function allowedIn(template: HttpFirewallTemplate, path: Path): { names: string[]; read?: boolean } {
  const target = template.mode === 'rules' && template.kinds ? [...TARGET, 'kind'] : TARGET;
  const [section, second, third] = path;
  if (template.mode === 'rules') {
    if (section === 'apply') return { names: [...target, ...EXPIRY] };
    if (section === 'extend') return { names: [...target, ...EXPIRY, 'ruleId'] };
    if (section === 'find') return { names: target };
    if (section === 'remove') return { names: [...target, 'ruleId'] };
    if (section === 'list') return { names: ['page'] };
  } else {
    if (section === 'element') return { names: target };
    if (section === 'sets' && third === 'write') return { names: ['addresses'], read: true };
    if (section === 'sets' && second !== undefined) return { names: [] };
  }
  return { names: [] };
}

/** Every placeholder checked where it stands, so a typo is refused at start with its path rather than sent. */
function checkPlaceholders(template: HttpFirewallTemplate): { path: Path; message: string }[] {
  const { required, optional } = template.variables;
  const declared = new Set([...required, ...Object.keys(optional)]);
  const issues: { path: Path; message: string }[] = [];
  for (const [name, text] of Object.entries(optional)) {
    for (const used of placeholdersIn(text)) {
      if (!used.startsWith('env.') || !required.includes(used.slice(4))) issues.push({ path: ['variables', 'optional', name], message: `{{${used}}}: a default may name required variables only` });
    }
  }
  // The defaults were checked above, against the required variables alone.
  for (const { path, text } of stringsIn(template).filter(({ path }) => path[0] !== 'variables')) {
    const { names, read } = allowedIn(template, path);
    for (const used of placeholdersIn(text)) {
      if (used.startsWith('env.')) {
        if (!declared.has(used.slice(4))) issues.push({ path, message: `{{${used}}}: ${used.slice(4)} is not declared under variables` });
      } else if (!names.includes(used) && !(read && used.startsWith('read.'))) {
        const allowed = [...names.map((n) => `{{${n}}}`), ...(read ? ['{{read.<path>}}'] : []), '{{env.<variable>}}'];
        issues.push({ path, message: `{{${used}}} is not available here; use ${allowed.join(', ')}` });
      }
    }
  }
  return issues;
}


/** A template's text checked whole: every fault named with its field path, none sent to a firewall. */
export function parseHttpFirewallTemplate(text: string, source: string): HttpFirewallTemplate {
  let document: unknown;
  try {
    document = parse(text);
  } catch (err) {
    throw new HttpFirewallTemplateError(`HTTP firewall template ${source}: not valid YAML: ${(err as Error).message}`);
  }
  const parsed = httpFirewallTemplateSchema.safeParse(document ?? {});
  const issues = parsed.success ? checkPlaceholders(parsed.data) : parsed.error.issues;
  if (!parsed.success || issues.length > 0) {
    throw new HttpFirewallTemplateError(`HTTP firewall template ${source} is invalid:\n${issues.map((issue) => `  ${fieldPath(issue.path)}: ${issue.message}`).join('\n')}`);
  }
  return parsed.data;
}

/** `cloudflare`, `aws-waf`, or the path of a team's own YAML file. */
export function loadHttpFirewallTemplate(nameOrPath: string): HttpFirewallTemplate {
  const path = (BUILT_IN as readonly string[]).includes(nameOrPath) ? `${BUILT_IN_DIR}${nameOrPath}.yaml` : nameOrPath;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HttpFirewallTemplateError(`RIPOSTE_HTTP_FIREWALL_TEMPLATE: ${nameOrPath} is neither ${BUILT_IN.join(' nor ')} nor a readable file (${(err as NodeJS.ErrnoException).code})`);
  }
  return parseHttpFirewallTemplate(text, nameOrPath);
}
