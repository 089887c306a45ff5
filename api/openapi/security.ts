import { type Access, describeAccess, keyRoleFor } from '../access.ts';
import { SIGNATURE_HEADER } from '../signature.ts';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER } from '../slackSignature.ts';

/** Scheme name → the role names the scheme's credential must carry (OpenAPI 3.1 lets non-OAuth schemes list roles). */
export type SecurityRequirement = Record<string, string[]>;

/** How the guard (api/auth.ts) reads a credential, one scheme per place it looks. */
export const SECURITY_SCHEMES = {
  apiKey: { type: 'http', scheme: 'bearer', description: 'An API key, `Authorization: Bearer <key>`. The key\'s role (ingest, viewer, responder, admin) decides which routes it reaches.' },
  apiKeyHeader: { type: 'apiKey', in: 'header', name: 'X-API-Key', description: 'An API key in `X-API-Key`.' },
  apiKeyBasic: { type: 'http', scheme: 'basic', description: 'An API key as the HTTP Basic password; the user name is not read (Graylog\'s and Wazuh\'s senders).' },
  ingestKeyInQuery: { type: 'apiKey', in: 'query', name: 'key', description: 'A key with role ingest in the URL, for SIEMs whose webhooks set no header (Splunk). Any other key presented there gets 403.' },
  webhookSignature: { type: 'apiKey', in: 'header', name: SIGNATURE_HEADER, description: '`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`: a signed webhook, acting as `webhook:<name>` with role ingest. Each signature is accepted once, within 5 minutes of its `t`.' },
  feedToken: { type: 'apiKey', in: 'query', name: 'token', description: 'A feed token (the principals file\'s `feeds:`, or RIPOSTE_FEED_TOKEN), for firewalls that pull the feeds.' },
  feedTokenBasic: { type: 'http', scheme: 'basic', description: 'A feed token as the HTTP Basic password.' },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'The metrics scrape token (RIPOSTE_METRICS_TOKEN), as Prometheus sends a bearer token.' },
  slackSignature: { type: 'apiKey', in: 'header', name: SLACK_SIGNATURE_HEADER, description: `Slack's request signature (v0) over the raw body, with \`${SLACK_TIMESTAMP_HEADER}\`, made with SLACK_SIGNING_SECRET.` },
} as const;

type SchemeName = keyof typeof SECURITY_SCHEMES;
const KEY_SCHEMES: readonly SchemeName[] = ['apiKey', 'apiKeyHeader', 'apiKeyBasic'];

const anyKeyWith = (roles: string[]): SecurityRequirement[] => KEY_SCHEMES.map((scheme) => ({ [scheme]: roles }));

/** The credentials a route's access rule (api/access.ts) accepts: any one of the requirements. */
export function securityFor(access: Access): SecurityRequirement[] {
  switch (access) {
    case 'public':
      return [];
    case 'slack':
      return [{ slackSignature: [] }];
    case 'feed':
      return [{ feedToken: [] }, { feedTokenBasic: [] }, ...anyKeyWith([])];
    case 'ingest':
      return [...anyKeyWith(['ingest']), { ingestKeyInQuery: ['ingest'] }, { webhookSignature: [] }];
    case 'metrics':
      return [{ metricsToken: [] }, ...anyKeyWith([keyRoleFor(access)!])];
    default:
      return anyKeyWith([access]);
  }
}

/** One sentence for the operation's description: who may call it. */
export function accessSentence(access: Access): string {
  switch (access) {
    case 'public':
      return 'No credential.';
    case 'slack':
      return 'Slack\'s request signature, no API key; the clicking Slack user\'s principal must have role responder or admin.';
    default:
      return `Needs ${describeAccess(access)}.`;
  }
}
