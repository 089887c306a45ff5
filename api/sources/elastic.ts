import { z } from 'zod';
import { canonicalDomain, canonicalHost, canonicalUrl, canonicalUser } from '../../domain/entity.ts';
import { alertSource, type SourceAlert, type SourceContext } from './source.ts';
import { description, isRecord, oneOfShapes, usable } from './vendorShapes.ts';
import { countOf, digestId, firstUsable, instant, instantField, oneOrMany, present, severityNamed, usableIp, valuesOf } from './vendorValues.ts';

function setOwn(into: Record<string, unknown>, key: string, value: unknown): void {
  // A plain assignment to `__proto__` would replace the object's prototype rather than add a field.
  Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Two spellings of one field folded into one: objects field by field. A value met where the other spelling has
 * sub-fields is kept over them, so the contradiction is refused as the wrong type at that path rather than vanishing.
 */
function merged(first: unknown, second: unknown): unknown {
  if (first === undefined || first === null) return second;
  if (!isRecord(first)) return first;
  if (!isRecord(second)) return second;
  const into = { ...first };
  for (const [key, value] of Object.entries(second)) setOwn(into, key, merged(into[key], value));
  return into;
}

/**
 * A document with its dotted keys (`"kibana.alert.rule.name"`) folded into nested objects, as Elasticsearch reads
 * them: an alert document holds Kibana's fields dotted and the source event's fields nested (`source: { ip }`), and
 * both spellings name one field.
 */
export function nested(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(nested);
  if (!isRecord(value)) return value;
  let out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const folded = key.split('.').reduceRight<unknown>((inner, part) => {
      const wrapper = {};
      setOwn(wrapper, part, inner);
      return wrapper;
    }, nested(child));
    out = merged(out, folded) as Record<string, unknown>;
  }
  return out;
}

const text = z.string().nullish();
const values = oneOrMany.nullish();
const eventFields = z.looseObject({ action: values, category: values, outcome: values });

/** An Elastic Security alert document: the fields Riposte reads, each where Elasticsearch would find it. */
const documentSchema = z.preprocess(nested, z.looseObject({
  '@timestamp': instantField.nullish(),
  kibana: z.looseObject({
    alert: z.looseObject({
      uuid: z.string().min(1).max(200).nullish(),
      severity: text,
      risk_score: z.number().min(0).max(100).nullish(),
      reason: text,
      original_time: instantField.nullish(),
      rule: z.looseObject({
        name: z.string().min(1),
        uuid: text,
        // The prebuilt rule's id, the same in every deployment (`uuid` is this deployment's copy).
        rule_id: text,
      }),
      threshold_result: z.looseObject({ count: z.number().int().min(0).nullish() }).nullish(),
      original_event: eventFields.nullish(),
    }),
  }),
  source: z.looseObject({ ip: values }).nullish(),
  user: z.looseObject({ name: values }).nullish(),
  host: z.looseObject({ name: values, hostname: values }).nullish(),
  url: z.looseObject({ full: values, domain: values }).nullish(),
  event: eventFields.nullish(),
}));
type AlertDocument = z.output<typeof documentSchema>;

interface Located {
  document: AlertDocument;
  /** The search hit's `_id`, when the document came wrapped in one. */
  hitId?: string;
  path: (string | number)[];
}

// A document found by a search comes as a hit, `{ _index, _id, _source }`.
const hitShape = z.looseObject({ _id: z.string().min(1).max(200).optional(), _source: documentSchema })
  .transform((hit): Located => ({ document: hit._source, ...(hit._id !== undefined ? { hitId: hit._id } : {}), path: ['_source'] }));
const documentShape = documentSchema.transform((document): Located => ({ document, path: [] }));
const entry = oneOfShapes<Located>((value) => (isRecord(value) && Object.hasOwn(value, '_source') ? hitShape : documentShape));

// A rule action's body template `{ "alerts": {{{context.alerts}}} }`; a top-level array is split by the registry.
const listShape = z.looseObject({ alerts: z.array(entry).min(1, 'no alerts') })
  .transform((body) => body.alerts.map((located, index) => ({ ...located, path: ['alerts', index, ...located.path] })));
const elasticBody = oneOfShapes<Located[]>((value) => (isRecord(value) && Object.hasOwn(value, 'alerts') ? listShape : entry.transform((located) => [located])));

const AUTH_FAILURE = 'auth.failure';

/**
 * The document with the source event's fields first and the rule's definition (its parameters and investigation guide,
 * often tens of KiB) last: `raw` keeps the first 8 KiB of it.
 */
function eventFirst(document: AlertDocument): Record<string, unknown> {
  const { kibana, ...event } = document;
  const { alert, ...kibanaRest } = kibana;
  const { rule, ...alertRest } = alert;
  return { ...event, kibana: { ...kibanaRest, alert: { ...alertRest, rule } } };
}

/** One alert from one document. */
function alertOf({ document, hitId, path }: Located, { receivedAt, typeFor }: SourceContext): SourceAlert {
  const alert = document.kibana.alert;
  const { rule } = alert;
  // An alert keeps its source event's `event.*` fields under kibana.alert.original_event as well.
  const action = document.event?.action ?? alert.original_event?.action;
  const category = document.event?.category ?? alert.original_event?.category;
  const outcome = valuesOf(document.event?.outcome ?? alert.original_event?.outcome)[0];
  const keys = [
    ...[rule.rule_id, rule.uuid].flatMap((id) => (id ? [`ruleid:${id}`] : [])),
    `rule:${rule.name}`,
    ...valuesOf(action).map((value) => `action:${value}`),
    ...valuesOf(category).flatMap((value) => [...(outcome ? [`category:${value}:${outcome}`] : []), `category:${value}`]),
  ];
  const severity = alert.risk_score !== undefined && alert.risk_score !== null ? Math.min(10, Math.max(1, Math.ceil(alert.risk_score / 10))) : severityNamed(alert.severity);
  const at = alert.original_time ?? document['@timestamp'];
  return {
    alert: {
      id: alert.uuid ?? hitId ?? digestId('elastic', document),
      type: typeFor(keys, rule.name),
      ...(severity !== undefined ? { severity } : {}),
      description: description(alert.reason ?? rule.name),
      ...present({
        sourceIp: firstUsable(usableIp, valuesOf(document.source?.ip)),
        user: firstUsable((name) => usable(canonicalUser, name), valuesOf(document.user?.name)),
        host: firstUsable((name) => usable(canonicalHost, name), [...valuesOf(document.host?.name), ...valuesOf(document.host?.hostname)]),
        url: firstUsable((url) => usable(canonicalUrl, url), valuesOf(document.url?.full)),
        domain: firstUsable((name) => usable(canonicalDomain, name), valuesOf(document.url?.domain)),
        count: countOf(alert.threshold_result?.count),
      }),
      occurredAt: (at ? instant(at) : undefined) ?? receivedAt.toISOString(),
    },
    original: eventFirst(document),
    path,
  };
}

export const elastic = alertSource({
  name: 'elastic',
  body: elasticBody,
  // Elastic's prebuilt detection rules (elastic/detection-rules) by their rule_id, and by name for a rule copied or
  // re-created under its own id. Risk scores in Elastic's defaults: low 21, medium 47, high 73, critical 99.
  stockTypes: {
    'ruleid:fa210b61-b627-4e5e-86f4-17e8270656ab': AUTH_FAILURE,
    'rule:Potential External Linux SSH Brute Force Detected': AUTH_FAILURE,
    'ruleid:1c27fa22-7727-4dd3-81c0-de6da5555feb': AUTH_FAILURE,
    'rule:Potential Internal Linux SSH Brute Force Detected': AUTH_FAILURE,
    'ruleid:8cb84371-d053-4f4f-bce0-c74990e28f28': AUTH_FAILURE,
    'rule:Potential Successful SSH Brute Force Attack': AUTH_FAILURE,
    'ruleid:a5f0d057-d540-44f5-924d-c6a2ae92f045': AUTH_FAILURE,
    'rule:Potential SSH Brute Force Detected on Privileged Account': AUTH_FAILURE,
    'ruleid:9e81b1fd-e9fb-49a7-8ebe-0d1a14090142': AUTH_FAILURE,
    'rule:Potential Password Spraying Attack via SSH': AUTH_FAILURE,
    'ruleid:ace1e989-a541-44df-93a8-a8b0591b63c0': AUTH_FAILURE,
    'rule:Potential macOS SSH Brute Force Detected': AUTH_FAILURE,
    // The macOS rule's name in earlier releases.
    'rule:Potential SSH Brute Force Detected': AUTH_FAILURE,
    // Windows event 4625 (network logons, RDP included), by source address.
    'ruleid:48b6edfc-079d-4907-b43c-baffa243270d': AUTH_FAILURE,
    'rule:Multiple Logon Failure from the same Source Address': AUTH_FAILURE,
    'ruleid:4e85dc8a-3e41-40d8-bc28-91af7ac6cf60': AUTH_FAILURE,
    'rule:Multiple Logon Failure Followed by Logon Success': AUTH_FAILURE,
    'ruleid:f9790abf-bd0c-45f9-8b5f-d0b74015e029': AUTH_FAILURE,
    'rule:Privileged Accounts Brute Force': AUTH_FAILURE,
  },
  alerts: (body, context) => body.map((located) => alertOf(located, context)),
});
