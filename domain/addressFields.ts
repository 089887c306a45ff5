import { z } from 'zod';
import { canonicalDomain, canonicalHost, canonicalUrl, canonicalUser } from './entity.ts';
import { canonicalBlockTarget, canonicalCidr, canonicalIp } from './ip.ts';

/**
 * zod fields over the canonicalisers of domain/ip.ts and domain/entity.ts: canonicalised on the way in, refused with
 * the canonicaliser's reason when ambiguous.
 */
export function canonicalStringField(max: number, canonicalize: (value: string) => string) {
  return z.string().max(max).transform((value, ctx) => {
    try {
      return canonicalize(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
}

export const ipAddressField = canonicalStringField(64, (value) => canonicalIp(value).address);
export const cidrField = canonicalStringField(64, (value) => canonicalCidr(value).text);
export const blockTargetField = canonicalStringField(64, (value) => canonicalBlockTarget(value).text);
export const userField = canonicalStringField(256, canonicalUser);
export const hostField = canonicalStringField(253, canonicalHost);
export const domainField = canonicalStringField(253, canonicalDomain);
export const urlField = canonicalStringField(2048, canonicalUrl);
