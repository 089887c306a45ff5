import { z } from 'zod';
import { canonicalBlockTarget, canonicalCidr, canonicalIp } from './ip.ts';

/** zod fields over domain/ip.ts: canonicalised on the way in, refused with the parser's reason when ambiguous. */
function canonicalField(canonicalize: (value: string) => string) {
  return z.string().max(64).transform((value, ctx) => {
    try {
      return canonicalize(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
}

export const ipAddressField = canonicalField((value) => canonicalIp(value).address);
export const cidrField = canonicalField((value) => canonicalCidr(value).text);
export const blockTargetField = canonicalField((value) => canonicalBlockTarget(value).text);
