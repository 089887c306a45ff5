import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalIp } from '../../domain/ip.ts';
import { usable } from './vendorShapes.ts';

/**
 * An address a SIEM decoded from a log line, when domain/ip.ts reads it as one. Decoders fill their address fields
 * with whatever the line held (`-` for a local Windows logon, a host name where sshd resolves names), and such a
 * value costs the alert its address, not the alert itself.
 */
export const usableIp = (text: string | null | undefined): string | undefined => usable((value) => canonicalIp(value).address, text);

/** The first of `texts` that `pick` (usableIp, or usable with a canonicaliser) accepts. */
export function firstUsable(pick: (text: string) => string | undefined, texts: readonly (string | null | undefined)[]): string | undefined {
  for (const text of texts) {
    const value = text === null || text === undefined ? undefined : pick(text);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A field that documents hold as one value or as a list (ECS fields, Splunk's multivalue fields). */
export const oneOrMany = z.union([z.string(), z.array(z.string())], { error: 'a text or a list of texts' });

export const valuesOf = (value: string | readonly string[] | null | undefined): readonly string[] => {
  if (value === null || value === undefined) return [];
  return typeof value === 'string' ? [value] : value;
};

// ISO 8601 with an offset (`Z`, `+00:00`, Wazuh's `+0000`); a time without one would be read in the server's zone.
const ISO_WITH_OFFSET = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})$/;
// Seconds since the epoch, as Splunk's `_time` holds them.
const EPOCH_SECONDS = /^\d{1,11}(?:\.\d{1,9})?$/;

/** The instant a vendor's time text names, as ISO 8601 in UTC, or undefined when it is no such time. */
export function instant(text: string): string | undefined {
  const iso = ISO_WITH_OFFSET.exec(text.toUpperCase());
  let ms: number;
  if (iso) {
    const [, dateTime, fraction = '0', zone] = iso;
    const offset = zone === 'Z' ? 'Z' : `${zone!.slice(0, 3)}:${zone!.slice(-2)}`;
    ms = Date.parse(`${dateTime}.${fraction.padEnd(3, '0').slice(0, 3)}${offset}`);
  } else if (EPOCH_SECONDS.test(text)) {
    ms = Math.round(Number(text) * 1000);
  } else {
    return undefined;
  }
  return Number.isFinite(ms) && ms >= 0 && ms <= 253_402_300_799_999 ? new Date(ms).toISOString() : undefined;
}

/** A time field a vendor always writes in one format: checked, and kept as sent, so `raw` holds the vendor's text. */
export const instantField = z.string().refine((text) => instant(text) !== undefined, 'an ISO 8601 time with an offset (2024-05-01T12:00:00Z), or seconds since the epoch');

/** Severity names the SIEMs share (Elastic's kibana.alert.severity, Splunk ES urgency) on Riposte's 1–10 scale. */
export const SEVERITY_BY_NAME: Readonly<Record<string, number>> = { informational: 2, low: 3, medium: 5, high: 8, critical: 10 };

export const severityNamed = (name: string | null | undefined): number | undefined =>
  name ? SEVERITY_BY_NAME[name.toLowerCase()] : undefined;

const MAX_COUNT = 1_000_000;

/** A SIEM's count of correlated events (a number, or digits in text), held to the alert's 1..1,000,000. */
export function countOf(value: number | string | null | undefined): number | undefined {
  const n = typeof value === 'string' ? (/^\d{1,15}(?:\.0+)?$/.test(value) ? Number(value) : Number.NaN) : value ?? Number.NaN;
  if (!Number.isFinite(n) || !Number.isInteger(n)) return undefined;
  return Math.min(Math.max(n, 1), MAX_COUNT);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** A digest of a value's JSON with its keys sorted: the same fields give the same digest, whatever their order. */
export const digestOf = (value: unknown): string => createHash('sha256').update(canonicalJson(value)).digest('hex');

/** An id for an event its SIEM gave none, from its fields, so a redelivery names the same event and another event another id. */
export const digestId = (prefix: string, event: unknown): string => `${prefix}:${digestOf(event).slice(0, 32)}`;

/** The entity fields that have a value: an alert names only what its event held. */
export function present<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as Partial<T>;
}
