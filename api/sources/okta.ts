import { z } from 'zod';
import { ipAddressField } from '../../domain/addressFields.ts';
import { canonicalUser } from '../../domain/entity.ts';
import { alertSource } from './source.ts';
import { description, usable } from './vendorShapes.ts';

/** Okta's LogEvent severities on Riposte's 1–10 scale, INFO as the other sources' informational, WARN as medium. */
const OKTA_SEVERITY = { DEBUG: 1, INFO: 2, WARN: 5, ERROR: 8 } as const;

// An actor or a target of a LogEvent: a user, an app, a client, Okta itself.
const principalSchema = z.looseObject({
  id: z.string().max(200).nullish(),
  type: z.string().max(100).nullish(),
  alternateId: z.string().max(512).nullish(),
  displayName: z.string().max(512).nullish(),
});

/** One System Log LogEvent, as `data.events[]` carries it; the fields Riposte reads, the rest kept in `raw`. */
const logEventSchema = z.looseObject({
  uuid: z.string().min(1).max(200),
  published: z.iso.datetime({ offset: true }),
  eventType: z.string().min(1).max(200),
  displayMessage: z.string().max(2000).nullish(),
  severity: z.enum(Object.keys(OKTA_SEVERITY) as [keyof typeof OKTA_SEVERITY]).nullish(),
  actor: principalSchema.nullish(),
  // System events (a scheduled job, an import) carry no client address: null.
  client: z.looseObject({ ipAddress: ipAddressField.nullish() }).nullish(),
  outcome: z.looseObject({ result: z.string().min(1).max(50), reason: z.string().max(500).nullish() }).nullish(),
  target: z.array(principalSchema).nullish(),
});
type LogEvent = z.output<typeof logEventSchema>;

/** An Event Hook delivery: the CloudEvents envelope around `data.events`. */
const oktaHookSchema = z.looseObject({
  eventType: z.literal('com.okta.event_hook'),
  eventTypeVersion: z.string().max(20).optional(),
  cloudEventsVersion: z.string().max(20).optional(),
  source: z.string().max(2048).optional(),
  eventId: z.string().max(200).optional(),
  data: z.looseObject({ events: z.array(logEventSchema).min(1) }),
});

// Okta's challenges are URL-safe base64; anything else is no challenge of Okta's, and nothing is echoed back.
const CHALLENGE = /^[A-Za-z0-9_\-+/=]{8,256}$/;

/**
 * The account an event is about: a target user (an administrator deactivating someone's factor acts on that someone),
 * else the actor when it is a user (who signed in, whose account locked).
 */
function accountOf(event: LogEvent): string | undefined {
  const target = event.target?.find((t) => t.type === 'User' && usable(canonicalUser, t.alternateId) !== undefined);
  if (target) return target.alternateId!;
  return event.actor?.type === 'User' ? usable(canonicalUser, event.actor.alternateId) : undefined;
}

export const okta = alertSource({
  name: 'okta',
  body: oktaHookSchema,
  stockTypes: {
    'event:user.session.start:SUCCESS': 'auth.success',
    'event:user.session.start:FAILURE': 'auth.failure',
    // ThreatInsight flags the address of a password spray or credential stuffing aimed at the org: its event is about
    // that address, whoever's account it tried, which is what the brute-force playbook blocks.
    'event:security.threat.detected': 'auth.failure',
    // The account's own owner says a sign-in or a push was not theirs.
    'event:user.account.report_suspicious_activity_by_enduser': 'account.compromise',
  },
  alerts: (body, { typeFor }) => body.data.events.map((event, index) => {
    const result = event.outcome?.result;
    const keys = [...(result ? [`event:${event.eventType}:${result}`] : []), `event:${event.eventType}`];
    const sourceIp = event.client?.ipAddress ?? undefined;
    const user = accountOf(event);
    const outcome = result ? ` (${result}${event.outcome?.reason ? `: ${event.outcome.reason}` : ''})` : '';
    return {
      alert: {
        id: event.uuid,
        type: typeFor(keys, event.eventType),
        ...(event.severity ? { severity: OKTA_SEVERITY[event.severity] } : {}),
        description: description(`${event.displayMessage ?? event.eventType}${outcome}`),
        ...(sourceIp !== undefined ? { sourceIp } : {}),
        ...(user !== undefined ? { user } : {}),
        occurredAt: event.published,
      },
      original: event,
      path: ['data', 'events', index],
    };
  }),
  verification: (header) => {
    const challenge = header('x-okta-verification-challenge');
    return challenge !== undefined && CHALLENGE.test(challenge) ? { verification: challenge } : undefined;
  },
});
