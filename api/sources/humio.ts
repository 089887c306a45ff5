import { z } from 'zod';
import { ipAddressField } from '../../domain/addressFields.ts';
import { canonicalHost } from '../../domain/entity.ts';
import { alertSource } from './source.ts';

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

export const humio = alertSource({
  name: 'humio',
  body: humioBodySchema,
  stockTypes: {},
  alerts: (body, { receivedAt }) => [{ alert: normalizeHumio(body, receivedAt), original: body, path: [] }],
});

export function normalizeHumio(body: z.output<typeof humioBodySchema>, receivedAt: Date) {
  return {
    // The seed's body carries no event id; address and arrival time name the event without borrowing the hostname's length.
    id: body.id ?? `humio:${body.ip}:${receivedAt.getTime()}`,
    type: 'auth.failure',
    severity: body.severity ?? 5,
    description: body.description ?? `Failed logins on ${body.hostname}`,
    sourceIp: body.ip,
    // The seed's hostname is the attacked machine, told for context: a name that is no valid host (an address, a
    // 256-character label) stays in the description rather than costing the block of the attacker.
    ...(validHost(body.hostname) ? { host: body.hostname } : {}),
    count: body.count ?? 1,
    occurredAt: receivedAt.toISOString(),
  };
}

function validHost(name: string): boolean {
  try {
    canonicalHost(name);
    return true;
  } catch {
    return false;
  }
}
