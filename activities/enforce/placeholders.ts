/**
 * `{{name}}` placeholders in an HTTP firewall template (httpFirewallTemplate.ts), each value escaped for where it
 * lands: URL-encoded in a path, JSON-encoded in a body, refused in a header when it could end the header. A value never
 * becomes template text, so an address or an environment value cannot add a query parameter, a header or a JSON key.
 */

const PLACEHOLDER = /\{\{\s*([A-Za-z][\w.-]*)\s*\}\}/g;
const WHOLE = /^\{\{\s*([A-Za-z][\w.-]*)\s*\}\}$/;

/** The value of a placeholder; undefined when it has none (an absent field of a response). */
export type Values = (name: string) => unknown;

/** The names used in a text, in order. */
export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1]!);
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function substitute(text: string, values: Values, escape: (value: string) => string): string {
  return text.replace(PLACEHOLDER, (_, name: string) => escape(textOf(values(name))));
}

/** RFC 3986: everything but unreserved characters is encoded, `!'()*` included. */
const encodeComponent = (value: string) => encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A path with its query: each value is one encoded component, whatever it contains (`/`, `?`, `&`, `#`). */
export function renderPath(text: string, values: Values): string {
  return substitute(text, values, encodeComponent);
}

/** A header value: a value with a line break or another control character would smuggle in a header of its own. */
export function renderHeader(text: string, values: Values): string {
  return substitute(text, values, (value) => {
    if ([...value].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new Error('a header value would contain a control character');
    return value;
  });
}

/** As written, for the base URL and the set's elements, whose result is checked by the caller. */
export function renderRaw(text: string, values: Values): string {
  return substitute(text, values, (value) => value);
}

/**
 * A JSON body: the template's own structure, with each string rendered. A string that is one placeholder alone takes
 * the value with its JSON type (the full address list of a set, a number), and a key whose value is absent is left out.
 */
export function renderBody(body: unknown, values: Values): unknown {
  if (typeof body === 'string') {
    const whole = body.match(WHOLE);
    return whole ? values(whole[1]!) : substitute(body, values, (value) => value);
  }
  if (Array.isArray(body)) return body.map((item) => renderBody(item, values)).filter((item) => item !== undefined);
  if (body !== null && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, renderBody(value, values)] as const).filter(([, value]) => value !== undefined));
  }
  return body;
}

/** Every string in a body or any YAML value, with its path below `path`, for checking placeholders. */
export function stringsIn(value: unknown, path: (string | number)[] = []): { path: (string | number)[]; text: string }[] {
  if (typeof value === 'string') return [{ path, text: value }];
  if (Array.isArray(value)) return value.flatMap((item, i) => stringsIn(item, [...path, i]));
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([key, item]) => stringsIn(item, [...path, key]));
  return [];
}

/** A dotted path into a JSON answer: `result_info.total_pages`, `result.0.id`. */
export function valueAt(document: unknown, path: string): unknown {
  let current = document;
  for (const part of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = Array.isArray(current) ? current[Number(part)] : (current as Record<string, unknown>)[part];
  }
  return current;
}
