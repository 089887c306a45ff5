import { z } from 'zod';
import type { AbuseIpdbReputation } from '../../../domain/reputation.ts';
import { expectBody } from '../../users/directoryApi.ts';
import { endpoint, known, lookupGet, type ReputationDefinition, type ReputationProvider, shortText } from './provider.ts';

/** The fields of `GET /api/v2/check`'s `data` that the summary keeps; the nullable ones are null for unknown addresses. */
const checkBody = z.object({
  data: z.object({
    abuseConfidenceScore: z.number().int().min(0).max(100),
    totalReports: z.number().int().min(0),
    countryCode: z.string().nullish(),
    usageType: z.string().nullish(),
    isp: z.string().nullish(),
    isWhitelisted: z.boolean().nullish(),
  }),
});

export function parseAbuseIpdbCheck(body: unknown): AbuseIpdbReputation {
  const { data } = expectBody('abuseipdb', checkBody, body);
  return known({
    confidence: data.abuseConfidenceScore,
    reports: data.totalReports,
    country: shortText(data.countryCode, 2),
    usageType: shortText(data.usageType),
    isp: shortText(data.isp),
    whitelisted: data.isWhitelisted ?? undefined,
  });
}

export interface AbuseIpdbOptions {
  apiKey: string;
  baseUrl: string;
  maxAgeInDays: number;
}

/** AbuseIPDB's CHECK endpoint: the confidence that an address is abusive, from reports within maxAgeInDays. */
export function createAbuseIpdb({ apiKey, baseUrl, maxAgeInDays }: AbuseIpdbOptions): ReputationProvider {
  return {
    name: 'abuseipdb',
    ttlMs: 60 * 60_000,
    async lookup(address) {
      const url = endpoint(baseUrl, '/api/v2/check', { ipAddress: address, maxAgeInDays: String(maxAgeInDays) });
      const { body } = await lookupGet({ label: 'abuseipdb', url, headers: { key: apiKey } });
      return { abuseipdb: parseAbuseIpdbCheck(body) };
    },
  };
}

const settings = z.object({
  ABUSEIPDB_API_KEY: z.string().min(10).meta({ secret: true }),
  ABUSEIPDB_URL: z.url({ protocol: /^https?$/ }).default('https://api.abuseipdb.com'),
  ABUSEIPDB_MAX_AGE_DAYS: z.coerce.number().int().min(1).max(365).default(90),
});

export const abuseIpdb: ReputationDefinition<typeof settings> = {
  name: 'abuseipdb',
  description: 'AbuseIPDB: abuse confidence score and report count of the address',
  requires: ['ABUSEIPDB_API_KEY'],
  settings,
  create: (s) => createAbuseIpdb({ apiKey: s.ABUSEIPDB_API_KEY, baseUrl: s.ABUSEIPDB_URL, maxAgeInDays: s.ABUSEIPDB_MAX_AGE_DAYS }),
};
