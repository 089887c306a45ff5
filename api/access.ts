/**
 * Who may call what: one table of method and path → role, applied by the guard in front of every router, so the
 * routers themselves know nothing of roles. A route missing from the table is admin-only: forgetting to list a new
 * route over-restricts it, never opens it.
 */
export const ROLES = ['ingest', 'viewer', 'responder', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What each role may do. Ingest only sends alerts; a responder also views; an admin does everything. */
export const ROLE_GRANTS: Readonly<Record<Role, readonly Role[]>> = {
  ingest: ['ingest'],
  viewer: ['viewer'],
  responder: ['viewer', 'responder'],
  admin: ['ingest', 'viewer', 'responder', 'admin'],
};

export const roleGrants = (role: Role, needed: Role): boolean => ROLE_GRANTS[role].includes(needed);

/**
 * `public`: no credential; `feed`: the feed token or any API key; `slack`: Slack's request signature, which only the
 * route can check (it covers the raw body), so no API key is asked for; `metrics`: the scrape token or an API key
 * whose role grants viewer; a role: an API key whose role grants it.
 */
export type Access = Role | 'public' | 'feed' | 'slack' | 'metrics';

export interface AccessRule {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Express-style: literal segments and `:param` segments. */
  path: string;
  access: Access;
}

export const ACCESS_RULES: readonly AccessRule[] = [
  { method: 'GET', path: '/healthz', access: 'public' },
  { method: 'GET', path: '/readyz', access: 'public' },
  { method: 'GET', path: '/metrics', access: 'metrics' },
  { method: 'GET', path: '/openapi.json', access: 'public' },
  { method: 'GET', path: '/v1/feeds/blocklist.txt', access: 'feed' },
  { method: 'GET', path: '/v1/feeds/domains.txt', access: 'feed' },
  { method: 'GET', path: '/v1/feeds/status', access: 'viewer' },
  { method: 'POST', path: '/v1/feeds/blocklist/release', access: 'admin' },
  { method: 'POST', path: '/v1/alerts', access: 'ingest' },
  { method: 'POST', path: '/v1/alerts/:source', access: 'ingest' },
  { method: 'GET', path: '/v1/alerts/:source', access: 'ingest' },
  { method: 'GET', path: '/v1/incidents', access: 'viewer' },
  { method: 'GET', path: '/v1/incidents/:id', access: 'viewer' },
  { method: 'POST', path: '/v1/incidents/:id/approve', access: 'responder' },
  { method: 'POST', path: '/v1/incidents/:id/reject', access: 'responder' },
  { method: 'POST', path: '/v1/incidents/:id/pause', access: 'responder' },
  { method: 'POST', path: '/v1/incidents/:id/resume', access: 'responder' },
  { method: 'POST', path: '/v1/incidents/:id/verdict', access: 'responder' },
  { method: 'GET', path: '/v1/verdicts', access: 'viewer' },
  { method: 'GET', path: '/v1/blocks', access: 'viewer' },
  { method: 'GET', path: '/v1/blocks/:ip', access: 'viewer' },
  { method: 'POST', path: '/v1/blocks', access: 'responder' },
  { method: 'DELETE', path: '/v1/blocks/:ip', access: 'responder' },
  { method: 'GET', path: '/v1/audit', access: 'viewer' },
  { method: 'GET', path: '/v1/events', access: 'viewer' },
  { method: 'GET', path: '/v1/reports/summary', access: 'viewer' },
  { method: 'GET', path: '/v1/containments', access: 'viewer' },
  { method: 'GET', path: '/v1/control', access: 'viewer' },
  { method: 'GET', path: '/v1/exceptions', access: 'viewer' },
  { method: 'POST', path: '/v1/exceptions', access: 'responder' },
  { method: 'DELETE', path: '/v1/exceptions/:id', access: 'responder' },
  { method: 'GET', path: '/v1/explain/:entity', access: 'viewer' },
  { method: 'POST', path: '/v1/control/pause', access: 'admin' },
  { method: 'POST', path: '/v1/control/resume', access: 'admin' },
  { method: 'POST', path: '/v1/control/breaker/reset', access: 'admin' },
  { method: 'POST', path: '/v1/simulate', access: 'admin' },
  { method: 'POST', path: '/v1/slack/actions', access: 'slack' },
];

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Matches as Express does by default (case-insensitive, an optional trailing slash, on the still percent-encoded
 * path), so no spelling reaches a router under a weaker rule than the table gives it.
 */
const compiled = ACCESS_RULES.map((rule) => ({
  rule,
  pattern: new RegExp(`^${rule.path.split('/').map((segment) => (segment.startsWith(':') ? '[^/]+' : escape(segment))).join('/')}/?$`, 'i'),
}));

/** The rule for a request; an unlisted method and path needs admin. HEAD is read as GET, as Express routes it. */
export function accessFor(method: string, path: string): { access: Access; route: string } {
  const asRouted = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const found = compiled.find(({ rule, pattern }) => rule.method === asRouted && pattern.test(path));
  return found ? { access: found.rule.access, route: `${found.rule.method} ${found.rule.path}` } : { access: 'admin', route: `${asRouted} ${path}` };
}

/** "viewer (or responder, admin)": the role a route needs, and the roles that include it. */
export function describeNeeded(needed: Role): string {
  const others = ROLES.filter((role) => role !== needed && roleGrants(role, needed));
  return others.length > 0 ? `${needed} (or ${others.join(', ')})` : needed;
}

/** The role an API key needs for a route the guard checks keys on; undefined: any key will do (the feeds). */
export function keyRoleFor(access: Exclude<Access, 'public' | 'slack'>): Role | undefined {
  if (access === 'feed') return undefined;
  return access === 'metrics' ? 'viewer' : access;
}

/** What a refusal tells the caller a route needs. */
export function describeAccess(access: Exclude<Access, 'public' | 'slack'>): string {
  if (access === 'feed') return 'the feed token or an API key';
  if (access === 'metrics') return `the metrics scrape token or role ${describeNeeded('viewer')}`;
  return `role ${describeNeeded(access)}`;
}
