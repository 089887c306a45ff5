/**
 * Names and bounds the API's schemas enforce and the CLI's help states. Plain constants with no schema library, so the
 * CLI starts without loading one.
 */

/** Every SIEM format an alert may arrive in; each has a normalizer in api/sources/. */
export const ALERT_SOURCES = ['generic', 'humio', 'elastic', 'splunk', 'wazuh', 'graylog', 'okta', 'sentinel'] as const;

/** What an exception may name: an address or range (an allowlist entry), or a user, host or domain (a protect entry). */
export const EXCEPTION_KINDS = ['address', 'user', 'host', 'domain'] as const;
export type ExceptionKind = (typeof EXCEPTION_KINDS)[number];

/** An exception is a stopgap: anything meant to last longer belongs in the policy file. */
export const MAX_EXCEPTION_DAYS = 90;

/** A threat list imported at once (`POST /v1/blocks` with an array, `riposte block --file`): at most this many a request. */
export const MAX_BLOCKS_PER_REQUEST = 10_000;
