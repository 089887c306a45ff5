import { z } from 'zod';
import { ipAddressField } from '../../domain/addressFields.ts';
import { canonicalHost, canonicalUser } from '../../domain/entity.ts';
import { type SourceAlert, alertSource, type SourceContext } from './source.ts';
import { description, isRecord, oneOfShapes, usable } from './vendorShapes.ts';
import { digestId, instant } from './vendorValues.ts';

// LogScale templates render every placeholder as text, so numbers may arrive as strings.
const wholeNumber = z.union([z.number(), z.string().regex(/^\d{1,7}$/).transform(Number)]);

/** The LogScale/Humio webhook action body from the seed article, plus optional extras. */
export const humioBodySchema = z.looseObject({
  hostname: z.string().min(1).max(256),
  ip: ipAddressField,
  count: wholeNumber.optional(),
  severity: wholeNumber.optional(),
  id: z.string().min(1).max(200).optional(),
  description: z.string().max(2000).optional(),
});

const optionalText = (max: number) => z.string().max(max).optional();

/**
 * One row of the trigger's result as `{events}` renders it: the event's fields, flat, dotted names kept as they are
 * (`source.ip`). An aggregate query's rows (`groupBy(src_ip)`) carry neither `@id` nor `@timestamp`.
 */
const logscaleEventSchema = z.looseObject({
  '@id': z.string().min(1).max(200).optional(),
  // Milliseconds since the epoch, up to the end of year 9999 (what an ISO timestamp can say).
  '@timestamp': z.union([z.number(), z.string().regex(/^\d{1,15}$/).transform(Number)]).pipe(z.number().int().min(0).max(253_402_300_799_999)).optional(),
  src_ip: ipAddressField.optional(),
  'source.ip': ipAddressField.optional(),
  ip: ipAddressField.optional(),
  user: optionalText(256),
  username: optionalText(256),
  'user.name': optionalText(256),
  host: optionalText(256),
  hostname: optionalText(256),
  'host.name': optionalText(256),
  _count: wholeNumber.pipe(z.number().min(1, 'a count of at least 1')).optional(),
});

/**
 * A webhook action's own JSON: the default message body template (`alert` with `{alert_name}`, `{alert_id}`,
 * `{alert_description}`; `timestamp` from `{alert_triggered_timestamp}`; `events` from `{events}`), or a template
 * that names the placeholders at the top level (`alert_name`, `alert_id`, `alert_description`).
 */
const logscaleActionSchema = z.looseObject({
  timestamp: optionalText(64),
  alert: z.looseObject({
    name: z.string().min(1).max(500),
    id: optionalText(200),
    description: optionalText(2000),
  }).optional(),
  alert_name: z.string().min(1).max(500).optional(),
  alert_id: optionalText(200),
  alert_description: optionalText(2000),
  events: z.array(logscaleEventSchema),
}).refine((body) => body.alert !== undefined || body.alert_name !== undefined, {
  path: ['alert', 'name'],
  message: 'the alert\'s name is required: keep "alert": { "name": "{alert_name}" } in the message body template',
});

type SeedBody = z.output<typeof humioBodySchema>;
type ActionBody = z.output<typeof logscaleActionSchema>;

// The action's JSON is told from the seed template by its `events`, the one field the seed never has.
const seedShape = humioBodySchema.transform((seed) => ({ seed }));
const actionShape = logscaleActionSchema.transform((action) => ({ action }));
const humioBody = oneOfShapes<{ seed: SeedBody } | { action: ActionBody }>((value) => (isRecord(value) && Object.hasOwn(value, 'events') ? actionShape : seedShape));

export const humio = alertSource({
  name: 'humio',
  body: humioBody,
  stockTypes: {},
  alerts: (body, context) => ('action' in body
    ? actionAlerts(body.action, context)
    : [{ alert: normalizeHumio(body.seed, context.receivedAt), original: body.seed, path: [] }]),
});

export function normalizeHumio(body: SeedBody, receivedAt: Date) {
  const host = usable(canonicalHost, body.hostname);
  return {
    // The seed's body carries no event id; address and arrival time name the event without borrowing the hostname's length.
    id: body.id ?? `humio:${body.ip}:${receivedAt.getTime()}`,
    type: 'auth.failure',
    severity: body.severity ?? 5,
    description: body.description ?? `Failed logins on ${body.hostname}`,
    sourceIp: body.ip,
    // The seed's hostname is the attacked machine, told for context: a name that is no valid host (an address, a
    // 256-character label) stays in the description rather than costing the block of the attacker.
    ...(host !== undefined ? { host } : {}),
    count: body.count ?? 1,
    occurredAt: receivedAt.toISOString(),
  };
}

const firstOf = <T>(...values: (T | undefined)[]): T | undefined => values.find((value) => value !== undefined);

/**
 * A row's `severity` when it is one on Riposte's scale (1–10, a number or digits), as a query sets it with
 * `eval(severity=8)`. Raw log events have severity fields of their own (`info`, `err`, syslog's 0–7 read backwards):
 * those are the log's, stay in `raw`, and refuse nothing.
 */
function severityOf(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d{1,2}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 10 ? n : undefined;
}

/**
 * One alert per event, typed by the alert's name (`alert:<name>`), which only the policy maps: LogScale has no stock
 * rules, and an alert about anything else that happens to carry an address must not block it.
 */
function actionAlerts(body: ActionBody, { receivedAt, typeFor }: SourceContext): SourceAlert[] {
  const name = body.alert?.name ?? body.alert_name!;
  const triggerId = body.alert?.id ?? body.alert_id;
  const told = body.alert?.description ?? body.alert_description;
  const type = typeFor([`alert:${name}`], name);
  const triggeredAt = body.timestamp === undefined ? undefined : instant(body.timestamp);
  return body.events.map((event, index) => {
    const sourceIp = firstOf(event.src_ip, event['source.ip'], event.ip);
    const user = usable(canonicalUser, firstOf(event.user, event.username, event['user.name']));
    const host = usable(canonicalHost, firstOf(event.host, event.hostname, event['host.name']));
    const at = event['@timestamp'];
    const severity = severityOf(event.severity);
    return {
      alert: {
        // An aggregate row has no `@id`: the trigger, the firing's time and the row name it, so a redelivered request
        // names the same events and a later firing new ones.
        id: event['@id'] ?? digestId('humio', [triggerId ?? name, body.timestamp ?? '', event]),
        type,
        ...(severity !== undefined ? { severity } : {}),
        description: description(told ? `${name}: ${told}` : name),
        ...(sourceIp !== undefined ? { sourceIp } : {}),
        ...(user !== undefined ? { user } : {}),
        ...(host !== undefined ? { host } : {}),
        ...(event._count !== undefined ? { count: event._count } : {}),
        occurredAt: at !== undefined ? new Date(at).toISOString() : triggeredAt ?? receivedAt.toISOString(),
      },
      original: event,
      path: ['events', index],
    };
  });
}
