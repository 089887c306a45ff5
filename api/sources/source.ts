import type { z } from 'zod';
import type { AlertInput } from '../../domain/alert.ts';

/** What a source's normaliser is given besides the body. */
export interface SourceContext {
  receivedAt: Date;
  /**
   * The alert type for an event: the first of `keys` (most specific first, e.g. `rule:5710`, `group:sshd`) that the
   * policy's `sources.<name>.types` or the source's stock mapping maps; otherwise `<source>.<rule>`.
   */
  typeFor(keys: readonly string[], rule: string): string;
}

/** One alert a body carries, with the part of the body it came from (kept, bounded, as the alert's `raw`). */
export interface SourceAlert {
  alert: Omit<AlertInput, 'raw' | 'source'>;
  original: unknown;
  /** Where in the body the event sits (`[2]`, `events[0]`), so an issue with the alert names the vendor's path. */
  path: (string | number)[];
}

/**
 * A SIEM's own request body, normalised: one file in api/sources/ and one line in api/sources/index.ts. The schema
 * names every field at fault in the vendor's terms; `alerts` turns a valid body into one alert per event.
 */
export interface AlertSource<Body = unknown> {
  readonly name: string;
  readonly body: z.ZodType<Body>;
  /** Rule keys of the SIEM's stock rules (SSH/RDP brute force, Windows logon failure…) to alert types. */
  readonly stockTypes: Readonly<Record<string, string>>;
  alerts(body: Body, context: SourceContext): SourceAlert[];
  /**
   * A SIEM's one-time check of the URL (Okta's `x-okta-verification-challenge`): the JSON to answer a GET with, or
   * undefined when the request is no such check.
   */
  verification?(header: (name: string) => string | undefined): Record<string, unknown> | undefined;
}

/** Typed at the definition, stored without its body type. */
export const alertSource = <Body>(source: AlertSource<Body>): AlertSource => source as AlertSource;
