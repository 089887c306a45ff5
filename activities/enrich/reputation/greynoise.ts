import { z } from 'zod';
import type { GreyNoiseReputation } from '../../../domain/reputation.ts';
import { expectBody } from '../../users/directoryApi.ts';
import { addressSegment, endpoint, known, lookupGet, type ReputationDefinition, type ReputationProvider, shortText } from './provider.ts';

/**
 * `GET /v3/community/{ip}`. An address GreyNoise has not seen answers 404 with `noise` and `riot` false and only a
 * message, which is an answer too: not seen scanning, not a known service.
 */
const communityBody = z.object({
  noise: z.boolean(),
  riot: z.boolean(),
  classification: z.string().nullish(),
  name: z.string().nullish(),
  link: z.string().nullish(),
});

export function parseGreyNoiseCommunity(body: unknown): GreyNoiseReputation {
  const answer = expectBody('greynoise', communityBody, body);
  return known({
    noise: answer.noise,
    riot: answer.riot,
    classification: shortText(answer.classification, 20),
    name: shortText(answer.name),
    link: httpsLink(answer.link),
  });
}

/** The link goes into notifications as a link, so only an https URL is kept. */
function httpsLink(raw: string | null | undefined): string | undefined {
  if (!raw) return undefined;
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' ? url.href.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

export function createGreyNoise({ apiKey, baseUrl }: { apiKey: string; baseUrl: string }): ReputationProvider {
  return {
    name: 'greynoise',
    ttlMs: 60 * 60_000,
    async lookup(address) {
      const url = endpoint(baseUrl, `/v3/community/${addressSegment(address)}`);
      const { body } = await lookupGet({ label: 'greynoise', url, headers: { key: apiKey }, accept: [404] });
      return { greynoise: parseGreyNoiseCommunity(body) };
    },
  };
}

const settings = z.object({
  GREYNOISE_API_KEY: z.string().min(10).meta({ secret: true }),
  GREYNOISE_URL: z.url({ protocol: /^https?$/ }).default('https://api.greynoise.io'),
});

export const greyNoise: ReputationDefinition<typeof settings> = {
  name: 'greynoise',
  description: 'GreyNoise Community: internet-wide scanner (noise) or known business service (RIOT), and its classification',
  requires: ['GREYNOISE_API_KEY'],
  settings,
  create: (s) => createGreyNoise({ apiKey: s.GREYNOISE_API_KEY, baseUrl: s.GREYNOISE_URL }),
};
