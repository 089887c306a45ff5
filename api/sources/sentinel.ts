import { z } from 'zod';
import { ipAddressField } from '../../domain/addressFields.ts';
import { canonicalDomain, canonicalHost, canonicalUrl, canonicalUser } from '../../domain/entity.ts';
import { alertSource } from './source.ts';
import { description, isRecord, oneOfShapes, usable } from './vendorShapes.ts';
import { severityNamed } from './vendorValues.ts';

const name = (max: number) => z.string().max(max).optional();

type EntityFields = { sourceIp?: string; user?: string; host?: string; url?: string; domain?: string };

/** `accountName@upnSuffix`, `NTDOMAIN\accountName`, the bare name, or the Entra object id when no name is given. */
function accountOf(properties: { accountName?: string; upnSuffix?: string; ntDomain?: string; aadUserId?: string }): string | undefined {
  const { accountName, upnSuffix, ntDomain, aadUserId } = properties;
  if (!accountName) return aadUserId || undefined;
  if (upnSuffix) return `${accountName}@${upnSuffix}`;
  return ntDomain ? `${ntDomain}\\${accountName}` : accountName;
}

const withProperties = <T extends z.ZodRawShape>(shape: T) => z.looseObject({ properties: z.looseObject(shape) });

// The entity kinds Riposte reads, each with the properties it reads and the alert field it fills; any other kind
// (File, Process, Malware…) is kept in `raw` only.
const entityReaders: Record<string, z.ZodType<EntityFields>> = {
  Ip: withProperties({ address: ipAddressField }).transform((e) => ({ sourceIp: e.properties.address })),
  Account: withProperties({ accountName: name(256), upnSuffix: name(253), ntDomain: name(253), aadUserId: name(64) })
    .transform((e) => ({ user: usable(canonicalUser, accountOf(e.properties)) })),
  Host: withProperties({ hostName: name(256) }).transform((e) => ({ host: usable(canonicalHost, e.properties.hostName) })),
  Url: withProperties({ url: name(4096) }).transform((e) => ({ url: usable(canonicalUrl, e.properties.url) })),
  DnsResolution: withProperties({ domainName: name(256) }).transform((e) => ({ domain: usable(canonicalDomain, e.properties.domainName) })),
};
const unread = z.unknown().transform((): EntityFields => ({}));

const readerFor = (entity: { kind: string }) => (Object.hasOwn(entityReaders, entity.kind) ? entityReaders[entity.kind]! : unread);

// Checked by its kind's reader, and kept as Sentinel sent it, for `raw`.
const entitySchema = z.looseObject({ kind: z.string().min(1).max(100) }).superRefine((entity, ctx) => {
  const read = readerFor(entity).safeParse(entity);
  if (!read.success) for (const issue of read.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});

/** A Microsoft.SecurityInsights/Incidents resource: what the incident trigger's `object` is. */
const incidentSchema = z.looseObject({
  id: z.string().max(1000).optional(),
  name: z.string().min(1).max(200),
  properties: z.looseObject({
    title: z.string().min(1).max(1000),
    description: z.string().max(20_000).nullish(),
    severity: z.enum(['Informational', 'Low', 'Medium', 'High']),
    status: z.enum(['New', 'Active', 'Closed']).optional(),
    incidentNumber: z.number().int().min(0).optional(),
    createdTimeUtc: z.iso.datetime({ offset: true }).optional(),
    additionalData: z.looseObject({
      alertProductNames: z.array(z.string().max(200)).optional(),
      tactics: z.array(z.string().max(100)).optional(),
    }).nullish(),
    relatedEntities: z.array(entitySchema).optional(),
  }),
});
type Incident = z.output<typeof incidentSchema>;

/**
 * What the Logic App's HTTP action posts: the incident trigger's whole body (`@{triggerBody()}`, the incident in
 * `object`), or the incident alone (`@{triggerBody()?['object']}`), told apart by `object`.
 */
const triggerShape = z.looseObject({ object: incidentSchema }).transform((trigger) => ({ incident: trigger.object, at: ['object'] }));
const incidentShape = incidentSchema.transform((incident) => ({ incident, at: [] as string[] }));
const sentinelBodySchema = oneOfShapes<{ incident: Incident; at: string[] }>((value) => (isRecord(value) && Object.hasOwn(value, 'object') ? triggerShape : incidentShape));

/**
 * Of each kind the incident names, the first usable entity: the playbook the type selects picks its own (the address
 * for brute force, the account for a compromise, the host for lateral movement), and the others ride along.
 */
function entitiesOf(entities: readonly { kind: string }[]): EntityFields {
  const read = entities.map((entity) => readerFor(entity).parse(entity));
  const fields: EntityFields = {};
  for (const key of ['sourceIp', 'user', 'host', 'url', 'domain'] as const) {
    const value = read.find((r) => r[key] !== undefined)?.[key];
    if (value !== undefined) fields[key] = value;
  }
  return fields;
}

export const sentinel = alertSource({
  name: 'sentinel',
  body: sentinelBodySchema,
  stockTypes: {
    'title:Brute force attack against Azure Portal': 'auth.failure',
    'title:SSH - Potential Brute Force': 'auth.failure',
    // Defender for Cloud's alert (VM_SshBruteForceFailed), raised as an incident of its own title.
    'title:Failed SSH brute force attack': 'auth.failure',
  },
  alerts: ({ incident, at }, { typeFor }) => {
    const { properties } = incident;
    const products = properties.additionalData?.alertProductNames ?? [];
    const tactics = properties.additionalData?.tactics ?? [];
    const keys = [`title:${properties.title}`, ...products.map((p) => `product:${p}`), ...tactics.map((t) => `tactic:${t}`)];
    const number = properties.incidentNumber !== undefined ? ` ${properties.incidentNumber}` : '';
    return [{
      alert: {
        id: incident.name,
        // A closed incident is recorded and matches no playbook: the automation rule that posted it runs on updates,
        // and acting on what the SOC has just closed would undo its decision.
        type: properties.status === 'Closed' ? typeFor([], 'closed') : typeFor(keys, properties.title),
        severity: severityNamed(properties.severity),
        description: description(`Sentinel incident${number}: ${properties.title}${properties.description ? `. ${properties.description}` : ''}`),
        ...entitiesOf(properties.relatedEntities ?? []),
        ...(properties.createdTimeUtc !== undefined ? { occurredAt: new Date(properties.createdTimeUtc).toISOString() } : {}),
      },
      original: incident,
      path: at,
    }];
  },
});
