import { ApplicationFailure } from '@temporalio/common';
import type { CanonicalCidr } from '../../domain/ip.ts';
import { signAwsRequest } from '../awsSigV4.ts';
import { retryAfterSeconds, VENDOR_REJECTED, VENDOR_UNAVAILABLE, vendorRequest } from '../vendorHttp.ts';
import { type HttpFirewallTemplate, HttpFirewallTemplateError, type TemplateRequest } from './httpFirewallTemplate.ts';
import { renderBody, renderHeader, renderPath, renderRaw, type Values, valueAt } from './placeholders.ts';

/** A 4xx the template names as a conflict (another writer changed the set): read again and redo, at once. */
export const VENDOR_CONFLICT = 'VendorConflict';

/** Every 4xx but 408 and 429, which vendorRequest itself retries: the template's `errors` decides what they mean. */
const CLIENT_ERRORS = Array.from({ length: 100 }, (_, i) => 400 + i).filter((status) => status !== 408 && status !== 429);

export interface TemplateAnswer {
  status: number;
  body: unknown;
  /** One of the request's `absent` statuses: what was asked for is already so. */
  absent: boolean;
}

/** `riposte block <target> until`: how Riposte's rules say whose they are; the expiry follows it in `{{note}}`. */
export const markerOf = (target: string) => `riposte block ${target} until`;
const NOTE = /^riposte block (\S+) until (\S+)$/;

/** The target and expiry a rule's note names, when Riposte wrote it. */
export function readNote(note: unknown): { target: string; expiresAt: number } | undefined {
  const match = typeof note === 'string' ? note.match(NOTE) : null;
  const expiresAt = match ? Date.parse(match[2]!) : Number.NaN;
  return match && Number.isFinite(expiresAt) ? { target: match[1]!, expiresAt } : undefined;
}

/** The placeholders of one target, for apply, find and remove, and of a set's element. */
export function targetValues(template: HttpFirewallTemplate, target: CanonicalCidr, expiresAt?: number): Record<string, unknown> {
  const range = target.prefix !== (target.family === 4 ? 32 : 128);
  const kinds = template.mode === 'rules' ? template.kinds : undefined;
  const iso = expiresAt === undefined ? undefined : new Date(expiresAt).toISOString();
  return {
    address: target.text,
    cidr: `${target.network}/${target.prefix}`,
    network: target.network,
    prefix: target.prefix,
    family: target.family,
    kind: kinds?.[target.family === 4 ? (range ? 'ipv4Range' : 'ipv4') : (range ? 'ipv6Range' : 'ipv6')],
    marker: markerOf(target.text),
    expiresAt: iso,
    note: iso === undefined ? undefined : `${markerOf(target.text)} ${iso}`,
  };
}

/** The template's variables: each required one set, each optional one set or its default (which may name required ones). */
function resolveVariables(template: HttpFirewallTemplate, variable: (name: string) => string | undefined): Map<string, string> {
  const { required, optional } = template.variables;
  const missing = required.filter((name) => !variable(name));
  if (missing.length > 0) throw new HttpFirewallTemplateError(`the HTTP firewall template ${template.name} needs ${missing.map((name) => `${name} (or ${name}_FILE)`).join(', ')}`);
  const values = new Map(required.map((name) => [name, variable(name)!]));
  const fromRequired: Values = (name) => values.get(name.slice(4));
  for (const [name, fallback] of Object.entries(optional)) values.set(name, variable(name) ?? renderRaw(fallback, fromRequired));
  return values;
}

export type TemplateClient = ReturnType<typeof createTemplateClient>;

/**
 * Sends a template's requests: the base URL and the variables resolved once, each placeholder escaped where it lands,
 * AWS SigV4 when the template asks for it, and every answer read through vendorRequest (5xx, 408 and 429 retried with
 * `Retry-After`) and the template's `errors`. No message carries a URL, a header or a body.
 */
export function createTemplateClient(template: HttpFirewallTemplate, variable: (name: string) => string | undefined) {
  const variables = resolveVariables(template, variable);
  const env: Values = (name) => variables.get(name.slice(4));
  const base = renderRaw(template.baseUrl, env).replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]/.test(base) || !URL.canParse(base)) throw new HttpFirewallTemplateError(`the HTTP firewall template ${template.name}: baseUrl is not an http(s) URL once its variables are filled in`);
  const aws = template.sign?.aws;
  const signing = aws && {
    scope: { service: renderRaw(aws.service, env), region: renderRaw(aws.region, env) },
    credentials: { accessKeyId: renderRaw(aws.accessKeyId, env), secretAccessKey: renderRaw(aws.secretAccessKey, env), sessionToken: aws.sessionToken && renderRaw(aws.sessionToken, env) },
  };
  const errors = template.errors;
  const conflict = errors?.conflict ? new RegExp(errors.conflict) : undefined;
  const retryLater = errors?.retryLater ? new RegExp(errors.retryLater) : undefined;
  const label = `the ${template.name} firewall`;

  /** A placeholder's value: `env.X` from the variables, the rest from `values`. */
  const lookup = (values: Record<string, unknown>, read?: unknown): Values => (name) => {
    if (name.startsWith('env.')) return env(name);
    if (name.startsWith('read.')) return valueAt(read, name.slice(5));
    return values[name];
  };

  function failure(status: number, method: string, body: unknown, retryAfter: string | null): ApplicationFailure {
    const type = errors ? valueAt(body, errors.field) : undefined;
    const code = (typeof type === 'string' || typeof type === 'number') && /^[\w.:#-]{1,80}$/.test(String(type)) ? String(type) : undefined;
    const message = `${label} answered ${status} to ${method}${code ? ` (${code})` : ''}`;
    if (code !== undefined && conflict?.test(code)) return ApplicationFailure.create({ message, type: VENDOR_CONFLICT });
    if (code !== undefined && retryLater?.test(code)) {
      const delay = retryAfterSeconds(retryAfter);
      return ApplicationFailure.create({ message, type: VENDOR_UNAVAILABLE, nextRetryDelay: delay === undefined ? undefined : `${delay}s` });
    }
    return ApplicationFailure.create({ message, type: VENDOR_REJECTED, nonRetryable: true, details: [{ status }] });
  }

  return {
    async send(request: TemplateRequest, values: Record<string, unknown> = {}, read?: unknown): Promise<TemplateAnswer> {
      const resolve = lookup(values, read);
      const url = new URL(`${base}${renderPath(request.path, resolve)}`);
      const headers: Record<string, string> = {};
      try {
        for (const [name, text] of Object.entries({ ...template.headers, ...request.headers })) headers[name.toLowerCase()] = renderHeader(text, resolve);
      } catch (err) {
        throw ApplicationFailure.nonRetryable(`${label}: ${(err as Error).message}`, 'InvalidTemplateValue');
      }
      const body = request.body === undefined ? undefined : renderBody(request.body, resolve);
      const signed = signing ? signAwsRequest({ method: request.method, url, headers, body: body === undefined ? '' : JSON.stringify(body) }, signing.scope, signing.credentials) : {};
      const answer = await vendorRequest({ label, method: request.method, url, headers: { ...headers, ...signed }, body, accept: CLIENT_ERRORS });
      if (answer.status < 400) return { status: answer.status, body: answer.body, absent: false };
      if (request.absent.includes(answer.status)) return { status: answer.status, body: answer.body, absent: true };
      throw failure(answer.status, request.method, answer.body, answer.headers.get('retry-after'));
    },

    /** An array in an answer, or a failure naming the template field that pointed at something else. */
    arrayAt(body: unknown, path: string, field: string): unknown[] {
      const found = valueAt(body, path);
      if (!Array.isArray(found)) throw ApplicationFailure.nonRetryable(`${label}: the answer has no array at ${path} (${field})`, 'UnexpectedAnswer');
      return found;
    },

    label,
  };
}
