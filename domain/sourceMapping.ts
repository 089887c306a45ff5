import { z } from 'zod';

/** The playbooks' alert types and the pass-through types alike: lower-case, dotted. */
export const ALERT_TYPE_PATTERN = /^[a-z0-9_.-]+$/;
export const alertTypeField = z.string().min(1).max(100).regex(ALERT_TYPE_PATTERN, 'lower-case dotted type such as auth.failure');

/**
 * A source's rule key, in the source's own words: `group:authentication_failures`, `rule:5710`, `search:SSH brute force`.
 * The prefix says which field of the vendor's body the rest is compared with, exactly.
 */
export const ruleKeyField = z.string().min(3).max(200).regex(/^[a-z_]+:\S/, 'a rule key such as "group:authentication_failures" or "rule:5710"');

/** Per source, in the policy: rule keys to alert types, over the source's stock mapping. */
export const sourcePolicySchema = z.object({
  types: z.record(ruleKeyField, alertTypeField).default({}),
}).strict();
export type SourcePolicy = z.output<typeof sourcePolicySchema>;

/** Field names whose values never reach an alert's `raw` copy, compared without case and without `-`/`_`. */
export const DEFAULT_REDACTED_FIELDS = ['password', 'passwd', 'secret', 'token', 'apikey', 'authorization', 'cookie', 'setcookie', 'privatekey', 'clientsecret', 'credentials'];

/** The most of a vendor's original body an alert keeps, as UTF-8 JSON. */
export const MAX_RAW_BYTES = 8 * 1024;

/**
 * The alert type for an event: the first of its rule keys (most specific first) that the policy maps, then the first
 * the source's stock mapping maps, else `<source>.<rule>` so an unmapped rule is still told apart and matches no playbook.
 */
export function alertTypeFor(source: string, keys: readonly string[], rule: string, policy: Readonly<Record<string, string>>, stock: Readonly<Record<string, string>>): string {
  for (const mapping of [policy, stock]) {
    const key = keys.find((k) => Object.hasOwn(mapping, k));
    if (key !== undefined) return mapping[key]!;
  }
  return passthroughType(source, rule);
}

/** `<source>.<rule>` folded into the alert-type alphabet: `wazuh.sshd-authentication-failed`. */
export function passthroughType(source: string, rule: string): string {
  const slug = rule.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '').slice(0, 100 - source.length - 1);
  return `${source}.${slug || 'unnamed'}`;
}

const normalizedName = (name: string) => name.toLowerCase().replace(/[-_]/g, '');

/**
 * A copy of a vendor's body that is safe to keep: every value under a redacted field name replaced, and, past
 * MAX_RAW_BYTES, the JSON text cut short and kept as `{ truncated: true, json }`.
 */
export function boundedRaw(original: unknown, redactedFields: readonly string[] = DEFAULT_REDACTED_FIELDS): Record<string, unknown> {
  const redacted = new Set(redactedFields.map(normalizedName));
  const json = JSON.stringify(original, (key, value: unknown) => (key !== '' && redacted.has(normalizedName(key)) ? '[redacted]' : value)) ?? 'null';
  const value = JSON.parse(json) as unknown;
  const record = value !== null && typeof value === 'object' && !Array.isArray(value) ? value as Record<string, unknown> : { value };
  if (Buffer.byteLength(json) <= MAX_RAW_BYTES) return record;
  const bytes = Buffer.from(json);
  // The cut text is escaped again inside the wrapper, so it shrinks until the wrapper itself fits; a character split
  // by the cut is dropped rather than kept half.
  let keep = MAX_RAW_BYTES;
  for (;;) {
    const wrapper = { truncated: true, bytes: bytes.length, json: bytes.subarray(0, keep).toString('utf8').replace(/\uFFFD+$/, '') };
    const over = Buffer.byteLength(JSON.stringify(wrapper)) - MAX_RAW_BYTES;
    if (over <= 0) return wrapper;
    keep -= over;
  }
}
