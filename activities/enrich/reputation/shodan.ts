import { z } from 'zod';
import type { ShodanReputation } from '../../../domain/reputation.ts';
import { expectBody } from '../../users/directoryApi.ts';
import { addressSegment, endpoint, known, lookupGet, type ReputationDefinition, type ReputationProvider, shortText } from './provider.ts';

// A busy host lists hundreds of CVEs and hostnames; the incident keeps a bounded few.
const MAX_PORTS = 20;
const MAX_VULNS = 20;
const MAX_HOSTNAMES = 5;

/** `GET /shodan/host/{ip}`: the host's open ports, inferred CVEs, hostnames and organisation. */
const hostBody = z.object({
  ports: z.array(z.number().int().min(0).max(65_535)).default([]),
  vulns: z.array(z.string()).default([]),
  hostnames: z.array(z.string()).default([]),
  org: z.string().nullish(),
});

export function parseShodanHost(body: unknown): ShodanReputation {
  const host = expectBody('shodan', hostBody, body);
  return known({
    indexed: true,
    ports: [...new Set(host.ports)].sort((a, b) => a - b).slice(0, MAX_PORTS),
    vulns: host.vulns.map((v) => v.slice(0, 40)).sort().slice(0, MAX_VULNS),
    hostnames: host.hostnames.slice(0, MAX_HOSTNAMES).map((h) => h.slice(0, 253)),
    org: shortText(host.org),
  });
}

/** Shodan's 404 ("No information available for that IP."): an answer, not a failure. */
function notIndexed(): ShodanReputation {
  return { indexed: false, ports: [], vulns: [], hostnames: [] };
}

export function createShodan({ apiKey, baseUrl }: { apiKey: string; baseUrl: string }): ReputationProvider {
  return {
    name: 'shodan',
    ttlMs: 6 * 60 * 60_000,
    async lookup(address) {
      // Shodan takes its key in the query only; vendorRequest never puts a URL in an error.
      const url = endpoint(baseUrl, `/shodan/host/${addressSegment(address)}`, { key: apiKey, minify: 'true' });
      const { status, body } = await lookupGet({ label: 'shodan', url, accept: [404] });
      return { shodan: status === 404 ? notIndexed() : parseShodanHost(body) };
    },
  };
}

const settings = z.object({
  SHODAN_API_KEY: z.string().min(10).meta({ secret: true }),
  SHODAN_URL: z.url({ protocol: /^https?$/ }).default('https://api.shodan.io'),
});

export const shodan: ReputationDefinition<typeof settings> = {
  name: 'shodan',
  description: 'Shodan: open ports, inferred CVEs, hostnames and organisation of the address',
  requires: ['SHODAN_API_KEY'],
  settings,
  create: (s) => createShodan({ apiKey: s.SHODAN_API_KEY, baseUrl: s.SHODAN_URL }),
};
