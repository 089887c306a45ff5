import { z } from 'zod';
import { canonicalHost, canonicalUrl, canonicalUser } from '../../domain/entity.ts';
import { alertSource } from './source.ts';
import { description, usable } from './vendorShapes.ts';
import { countOf, digestOf, firstUsable, instant, oneOrMany, present, severityNamed, usableIp, valuesOf } from './vendorValues.ts';

/**
 * The result fields Riposte reads, by what they name, most telling first. A search names its fields as it likes
 * (`src`, `src_ip`, `clientip`…); the CIM names come first. A field that holds no usable value (`src` holding a host
 * name) gives way to the next one.
 */
export const SPLUNK_FIELDS = {
  sourceIp: ['src_ip', 'src', 'clientip', 'client_ip', 'source_ip', 'ip'],
  user: ['user', 'src_user', 'user_name', 'username'],
  host: ['dest', 'dest_host', 'dest_nt_host', 'host'],
  url: ['url'],
  // `count` from `stats count`; `failure` from Splunk ES's brute-force correlation searches.
  count: ['count', 'failure'],
  time: ['_time'],
  severity: ['urgency', 'severity'],
  rule: ['rule_name'],
  signature: ['signature'],
} as const;

const readFields = [...new Set(Object.values(SPLUNK_FIELDS).flat())];

/**
 * The webhook alert action's body: the search's id and name, its app and owner, a link to its results, and the first
 * result row, every value text (a multivalue field a list of texts).
 */
const splunkBodySchema = z.looseObject({
  sid: z.string().min(1).max(1000),
  // null in Splunk's own example, for a search run without a saved name.
  search_name: z.string().nullish(),
  app: z.string().nullish(),
  owner: z.string().nullish(),
  results_link: z.string().nullish(),
  result: z.looseObject(Object.fromEntries(readFields.map((field) => [field, oneOrMany.optional()]))),
});
type SplunkBody = z.output<typeof splunkBodySchema>;
type Result = Record<string, string | string[] | undefined>;

const AUTH_FAILURE = 'auth.failure';

/** Every value the named fields hold, in the order the fields are named. */
const valuesIn = (result: Result, fields: readonly string[]): string[] => fields.flatMap((field) => valuesOf(result[field]));

const first = (result: Result, fields: readonly string[]): string | undefined => valuesIn(result, fields)[0];

export const splunk = alertSource({
  name: 'splunk',
  body: splunkBodySchema,
  // Splunk Enterprise Security's correlation searches (the Access domain, renamed Authentication in later releases).
  stockTypes: {
    'search:Access - Brute Force Access Behavior Detected - Rule': AUTH_FAILURE,
    'search:Access - Brute Force Access Behavior Detected Over One Day - Rule': AUTH_FAILURE,
    'search:Access - Excessive Failed Logins - Rule': AUTH_FAILURE,
    'search:Authentication - Brute Force Access Behavior Detected - Rule': AUTH_FAILURE,
    'search:Authentication - Excessive Failed Logins - Rule': AUTH_FAILURE,
  },
  alerts: (body: SplunkBody, { receivedAt, typeFor }) => {
    const result = body.result as Result;
    const name = body.search_name ?? undefined;
    const rule = first(result, SPLUNK_FIELDS.rule);
    const keys = [...(name ? [`search:${name}`] : []), ...(rule ? [`rule:${rule}`] : [])];
    const signature = first(result, SPLUNK_FIELDS.signature);
    const time = first(result, SPLUNK_FIELDS.time);
    const severity = severityNamed(first(result, SPLUNK_FIELDS.severity));
    return [{
      alert: {
        // The search's job id, and the row: a search that triggers once per result sends one body per row, one sid.
        id: `${body.sid.slice(0, 150)}:${digestOf(result).slice(0, 16)}`,
        type: typeFor(keys, name ?? rule ?? ''),
        ...(severity !== undefined ? { severity } : {}),
        description: description(`${name ?? 'Splunk search'}${signature ? `: ${signature}` : ''}`),
        ...present({
          sourceIp: firstUsable(usableIp, valuesIn(result, SPLUNK_FIELDS.sourceIp)),
          user: firstUsable((text) => usable(canonicalUser, text), valuesIn(result, SPLUNK_FIELDS.user)),
          host: firstUsable((text) => usable(canonicalHost, text), valuesIn(result, SPLUNK_FIELDS.host)),
          url: firstUsable((text) => usable(canonicalUrl, text), valuesIn(result, SPLUNK_FIELDS.url)),
          count: valuesIn(result, SPLUNK_FIELDS.count).map(countOf).find((n) => n !== undefined),
        }),
        // A search may drop or reformat `_time`; the alert then happened when it arrived.
        occurredAt: (time !== undefined ? instant(time) : undefined) ?? receivedAt.toISOString(),
      },
      original: body,
      path: [],
    }];
  },
});
