import { z } from 'zod';
import type { VirusTotalReputation } from '../../../domain/reputation.ts';
import { expectBody } from '../../users/directoryApi.ts';
import { addressSegment, endpoint, lookupGet, type ReputationDefinition, type ReputationProvider } from './provider.ts';

const count = z.number().int().min(0);
/** `GET /api/v3/ip_addresses/{ip}`: the IP address object's last analysis and community reputation. */
const ipAddressBody = z.object({
  data: z.object({
    attributes: z.object({
      last_analysis_stats: z.object({ malicious: count, suspicious: count, harmless: count }),
      reputation: z.number().int(),
    }),
  }),
});

export function parseVirusTotalIp(body: unknown): VirusTotalReputation {
  const { last_analysis_stats: stats, reputation } = expectBody('virustotal', ipAddressBody, body).data.attributes;
  return { malicious: stats.malicious, suspicious: stats.suspicious, harmless: stats.harmless, reputation };
}

export function createVirusTotal({ apiKey, baseUrl }: { apiKey: string; baseUrl: string }): ReputationProvider {
  return {
    name: 'virustotal',
    ttlMs: 60 * 60_000,
    async lookup(address) {
      const url = endpoint(baseUrl, `/api/v3/ip_addresses/${addressSegment(address)}`);
      const { body } = await lookupGet({ label: 'virustotal', url, headers: { 'x-apikey': apiKey } });
      return { virustotal: parseVirusTotalIp(body) };
    },
  };
}

const settings = z.object({
  VIRUSTOTAL_API_KEY: z.string().min(10).meta({ secret: true }),
  VIRUSTOTAL_URL: z.url({ protocol: /^https?$/ }).default('https://www.virustotal.com'),
});

export const virusTotal: ReputationDefinition<typeof settings> = {
  name: 'virustotal',
  description: 'VirusTotal: engines calling the address malicious or suspicious, and its community reputation',
  requires: ['VIRUSTOTAL_API_KEY'],
  settings,
  create: (s) => createVirusTotal({ apiKey: s.VIRUSTOTAL_API_KEY, baseUrl: s.VIRUSTOTAL_URL }),
};
