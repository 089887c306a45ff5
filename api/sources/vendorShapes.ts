import { z } from 'zod';

export const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * A schema that reads one of a vendor's shapes, chosen from the value itself (LogScale's action JSON or the seed
 * template, Sentinel's trigger wrapper or the bare incident, an entity by its `kind`). zod's union would answer "no
 * member matched" at the root; this names every field at fault in the chosen shape's own paths.
 */
export function oneOfShapes<T>(pick: (value: unknown) => z.ZodType<T>): z.ZodType<T> {
  return z.unknown().transform((value, ctx) => {
    const parsed = pick(value).safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });
}

/**
 * The text when its canonicaliser (domain/entity.ts) accepts it. A user or host name a vendor fills with something
 * that names no entity (a display name, an address) is left out, rather than costing the alert the block of its address.
 */
export function usable(canonicalize: (text: string) => string, text: string | null | undefined): string | undefined {
  if (text === null || text === undefined) return undefined;
  try {
    canonicalize(text);
    return text;
  } catch {
    return undefined;
  }
}

/** A vendor's free text cut to what an alert's description holds. */
export const description = (text: string): string => text.slice(0, 2000);
