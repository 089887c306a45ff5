import { z } from 'zod';
import { canonicalHost, canonicalUrl, canonicalUser } from '../../domain/entity.ts';
import { alertSource } from './source.ts';
import { description, usable } from './vendorShapes.ts';
import { countOf, firstUsable, instant, instantField, present, usableIp } from './vendorValues.ts';

/**
 * The field names Riposte reads an entity from, most telling first. They are looked up in the event's group-by
 * fields, then its event fields, then the first backlog message's fields: an event definition that groups by
 * `source_ip` names the address the whole event is about.
 */
export const GRAYLOG_FIELDS = {
  sourceIp: ['source_ip', 'src_ip', 'srcip', 'client_ip', 'ip_address', 'ip'],
  user: ['user_name', 'user', 'username', 'target_user_name', 'account'],
  host: ['host_hostname', 'hostname', 'host', 'dest_host'],
  url: ['url', 'http_url'],
  count: ['count'],
} as const;

/** Graylog's event priorities (1 low, 2 normal, 3 high; 4 critical in later releases) on Riposte's 1–10 scale. */
export const GRAYLOG_SEVERITY: Readonly<Record<number, number>> = { 1: 3, 2: 5, 3: 8, 4: 10 };

const fieldMap = z.record(z.string(), z.string().nullable());

// A backlog entry is a message summary: id, index, source, message, timestamp, stream_ids, and the other fields.
const backlogMessageSchema = z.looseObject({
  id: z.string().nullish(),
  source: z.string().nullish(),
  message: z.string().nullish(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

/** The HTTP Notification's body: the event definition, the event, and the backlog of messages that made it. */
const graylogBodySchema = z.looseObject({
  event_definition_id: z.string().max(200).optional(),
  event_definition_type: z.string().optional(),
  event_definition_title: z.string().min(1),
  event_definition_description: z.string().nullish(),
  event: z.looseObject({
    id: z.string().min(1).max(200),
    timestamp: instantField,
    message: z.string().nullish(),
    priority: z.number().int().min(0).max(10).optional(),
    fields: fieldMap.optional(),
    group_by_fields: fieldMap.optional(),
  }),
  backlog: z.array(backlogMessageSchema).optional(),
});
type GraylogBody = z.output<typeof graylogBodySchema>;

const textValues = (fields: Record<string, unknown> | undefined, names: readonly string[]): string[] =>
  fields === undefined ? [] : names.flatMap((name) => (typeof fields[name] === 'string' ? [fields[name] as string] : []));

export const graylog = alertSource({
  name: 'graylog',
  body: graylogBodySchema,
  // Graylog ships no event definitions of its own: each team writes its own, and maps its title in the policy.
  stockTypes: {},
  alerts: (body: GraylogBody, { typeFor }) => {
    const { event } = body;
    const message = body.backlog?.[0];
    const maps = [event.group_by_fields, event.fields, message?.fields];
    const read = (names: readonly string[]) => maps.flatMap((fields) => textValues(fields, names));
    const title = body.event_definition_title;
    const keys = [...(body.event_definition_id ? [`definition:${body.event_definition_id}`] : []), `title:${title}`];
    const severity = event.priority !== undefined ? GRAYLOG_SEVERITY[Math.min(Math.max(event.priority, 1), 4)] : undefined;
    // An aggregation's message is its title and the series that fired it: `SSH brute force: count()=12.0`.
    const told = event.message && !event.message.startsWith(title) ? `${title}: ${event.message}` : event.message || title;
    const counted = event.message ? /\bcount\(\)=(\d+)(?:\.0+)?(?![\d.])/.exec(event.message)?.[1] : undefined;
    return [{
      alert: {
        id: event.id,
        type: typeFor(keys, title),
        ...(severity !== undefined ? { severity } : {}),
        description: description(told),
        ...present({
          sourceIp: firstUsable(usableIp, read(GRAYLOG_FIELDS.sourceIp)),
          user: firstUsable((text) => usable(canonicalUser, text), read(GRAYLOG_FIELDS.user)),
          // A backlog message's `source` is the machine that logged it.
          host: firstUsable((text) => usable(canonicalHost, text), [...read(GRAYLOG_FIELDS.host), message?.source]),
          url: firstUsable((text) => usable(canonicalUrl, text), read(GRAYLOG_FIELDS.url)),
          count: [...read(GRAYLOG_FIELDS.count), counted].map(countOf).find((n) => n !== undefined),
        }),
        occurredAt: instant(event.timestamp)!,
      },
      original: body,
      path: [],
    }];
  },
});
