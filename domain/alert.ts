import { z } from 'zod';
import { ALERT_SOURCES } from './acceptedValues.ts';
import { domainField, hostField, ipAddressField, urlField, userField } from './addressFields.ts';
import { alertTypeField } from './sourceMapping.ts';

/** A SIEM alert after normalisation: the one shape every playbook reads. */
export const alertSchema = z.object({
  id: z.string().min(1).max(200),
  source: z.enum(ALERT_SOURCES),
  type: alertTypeField,
  severity: z.number().int().min(1).max(10).default(5),
  description: z.string().max(2000).default(''),
  sourceIp: ipAddressField.optional(),
  user: userField.optional(),
  host: hostField.optional(),
  url: urlField.optional(),
  domain: domainField.optional(),
  count: z.number().int().min(1).max(1_000_000).default(1),
  occurredAt: z.iso.datetime({ offset: true }).optional(),
  raw: z.record(z.string(), z.unknown()).optional(),
}).strict();

export type Alert = z.output<typeof alertSchema>;
export type AlertInput = z.input<typeof alertSchema>;

/** What an incident keeps of each alert: enough to audit, small enough to keep histories bounded. */
export interface AlertSummary {
  id: string;
  source: Alert['source'];
  type: string;
  severity: number;
  count: number;
  occurredAt?: string;
  receivedAt: string;
  /** The entities the alert names, canonical: what a plan acts on besides the incident's own entity. */
  sourceIp?: string;
  user?: string;
  host?: string;
  url?: string;
  domain?: string;
  /** What made the alert, when Riposte made it itself (e.g. the two sign-ins of an impossible journey). */
  detail?: string;
  /** The SIEM's own body for the event: at most 8 KiB, redacted fields stripped (domain/sourceMapping.ts boundedRaw). */
  raw?: Record<string, unknown>;
}

export function summarizeAlert(alert: Alert, receivedAt: string): AlertSummary {
  return {
    id: alert.id,
    source: alert.source,
    type: alert.type,
    severity: alert.severity,
    count: alert.count,
    occurredAt: alert.occurredAt,
    receivedAt,
    ...(alert.sourceIp !== undefined ? { sourceIp: alert.sourceIp } : {}),
    ...(alert.user !== undefined ? { user: alert.user } : {}),
    ...(alert.host !== undefined ? { host: alert.host } : {}),
    ...(alert.url !== undefined ? { url: alert.url } : {}),
    ...(alert.domain !== undefined ? { domain: alert.domain } : {}),
    ...(alert.raw !== undefined ? { raw: alert.raw } : {}),
  };
}

/** How many alert summaries an incident keeps: the first ones and the latest, never all of them. */
export const MAX_SAMPLES = 5;

/**
 * The `alerts` signal's payload: counts and a few samples, so a storm of alerts for one incident costs one small
 * signal rather than a payload and a history that grow with the storm.
 */
export interface AlertBatch {
  /** Alerts received. */
  alerts: number;
  /** Sum of their `count` fields: failures the SIEM correlated. */
  count: number;
  maxSeverity: number;
  samples: AlertSummary[];
}

export const EMPTY_BATCH: AlertBatch = { alerts: 0, count: 0, maxSeverity: 0, samples: [] };

/** Adds alerts to a batch, keeping the first MAX_SAMPLES - 1 summaries and the latest one. */
export function addToBatch(batch: AlertBatch, more: AlertBatch | readonly AlertSummary[]): AlertBatch {
  const incoming: AlertBatch = Array.isArray(more)
    ? { alerts: more.length, count: more.reduce((n, a) => n + a.count, 0), maxSeverity: Math.max(0, ...more.map((a) => a.severity)), samples: [...more] }
    : more as AlertBatch;
  const all = [...batch.samples, ...incoming.samples];
  return {
    alerts: batch.alerts + incoming.alerts,
    count: batch.count + incoming.count,
    maxSeverity: Math.max(batch.maxSeverity, incoming.maxSeverity),
    samples: all.length <= MAX_SAMPLES ? all : [...all.slice(0, MAX_SAMPLES - 1), all[all.length - 1]!],
  };
}
