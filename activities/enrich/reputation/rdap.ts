import { z } from 'zod';
import type { RdapOwnership } from '../../../domain/reputation.ts';
import { expectBody } from '../../users/directoryApi.ts';
import { addressSegment, endpoint, known, lookupGet, type ReputationDefinition, type ReputationProvider, shortText } from './provider.ts';

/** A jCard (RFC 7095): `["vcard", [[name, parameters, type, value…], …]]`. */
const vcard = z.tuple([z.literal('vcard'), z.array(z.array(z.unknown()))]);
const entity = z.object({
  roles: z.array(z.string()).default([]),
  vcardArray: vcard.optional(),
});
const cidr = z.object({ v4prefix: z.string().optional(), v6prefix: z.string().optional(), length: z.number().int().min(0).max(128) });
/** An RDAP IP network object (RFC 9083 §5.4), with the NRO's cidr0 extension for its prefixes. */
const networkBody = z.object({
  handle: z.string().nullish(),
  name: z.string().nullish(),
  country: z.string().nullish(),
  startAddress: z.string().nullish(),
  endAddress: z.string().nullish(),
  cidr0_cidrs: z.array(cidr).default([]),
  entities: z.array(entity).default([]),
});
type Entity = z.output<typeof entity>;

export function parseRdapNetwork(body: unknown): RdapOwnership {
  const network = expectBody('rdap', networkBody, body);
  const prefixes = network.cidr0_cidrs.flatMap((c) => {
    const prefix = c.v4prefix ?? c.v6prefix;
    return prefix ? [`${prefix}/${c.length}`] : [];
  });
  const range = prefixes.length > 0 ? prefixes.slice(0, 3).join(', ')
    : network.startAddress && network.endAddress ? `${network.startAddress} - ${network.endAddress}` : undefined;
  return known({
    name: shortText(network.name),
    handle: shortText(network.handle),
    country: shortText(network.country, 2),
    org: shortText(organisation(network.entities)),
    range: shortText(range),
  });
}

/** Who holds the network: the registrant's organisation (its vCard `org`, else its `fn`), else any entity's. */
function organisation(entities: readonly Entity[]): string | undefined {
  const holder = entities.find((e) => e.roles.includes('registrant') && e.vcardArray) ?? entities.find((e) => e.vcardArray);
  const properties = holder?.vcardArray?.[1] ?? [];
  const value = (name: string) => {
    const found = properties.find((p) => p[0] === name)?.[3];
    const first = Array.isArray(found) ? found[0] : found;
    return typeof first === 'string' && first.trim() !== '' ? first : undefined;
  };
  return value('org') ?? value('fn');
}

/** RDAP through a bootstrap service (rdap.org redirects to the registry that holds the address). No key. */
export function createRdap({ baseUrl }: { baseUrl: string }): ReputationProvider {
  return {
    name: 'rdap',
    ttlMs: 24 * 60 * 60_000,
    async lookup(address) {
      const url = endpoint(baseUrl, `/ip/${addressSegment(address)}`);
      const { status, body } = await lookupGet({ label: 'rdap', url, headers: { accept: 'application/rdap+json, application/json' }, accept: [404] });
      // No registry holds the address: nothing to say of its owner.
      return status === 404 ? {} : { rdap: parseRdapNetwork(body) };
    },
  };
}

const settings = z.object({
  RIPOSTE_RDAP: z.enum(['on', 'off']).default('on'),
  RIPOSTE_RDAP_URL: z.url({ protocol: /^https?$/ }).default('https://rdap.org'),
});

export const rdap: ReputationDefinition<typeof settings> = {
  name: 'rdap',
  description: 'RDAP: who holds the address (network name, organisation, country, range); no key needed',
  requires: [],
  settings,
  off: (s) => (s.RIPOSTE_RDAP === 'off' ? 'RIPOSTE_RDAP=off' : undefined),
  create: (s) => createRdap({ baseUrl: s.RIPOSTE_RDAP_URL }),
};
