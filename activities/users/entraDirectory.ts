import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { createBearerSession } from '../oauthToken.ts';
import { lifecycleDirectory, type Account } from './accountLifecycle.ts';
import { directoryApi, expectBody } from './directoryApi.ts';
import type { UserDirectory } from './userDirectory.ts';

export const GRAPH_URL = 'https://graph.microsoft.com';
export const AUTHORITY_URL = 'https://login.microsoftonline.com';

export interface EntraDirectoryOptions {
  /** Directory (tenant) id or a verified domain. */
  tenantId: string;
  clientId: string;
  /** The app registration's client secret: sent only in the token request's form body. */
  clientSecret: string;
  /** Microsoft Graph and the sign-in authority; others only for a proxy or a test server (the token scope stays Graph's). */
  graphUrl?: string;
  authorityUrl?: string;
}

const graphUser = z.object({ id: z.string().min(1), accountEnabled: z.boolean() });

/**
 * Microsoft Entra ID through Graph v1.0. Disable sets `accountEnabled: false` and revokes sign-in sessions (refresh
 * tokens and browser session cookies, within minutes); enable sets it back. `user` is the userPrincipalName.
 */
export function createEntraDirectory(opts: EntraDirectoryOptions): UserDirectory {
  // Client credentials (v2.0 endpoint, form body); the session keeps the token and renews it once on a 401.
  const session = createBearerSession({
    label: 'entra',
    tokenUrl: new URL(`${(opts.authorityUrl ?? AUTHORITY_URL).replace(/\/+$/, '')}/${encodeURIComponent(opts.tenantId)}/oauth2/v2.0/token`),
    form: { grant_type: 'client_credentials', client_id: opts.clientId, client_secret: opts.clientSecret, scope: `${GRAPH_URL}/.default` },
  });
  const graph = directoryApi({ label: 'entra', baseUrl: opts.graphUrl ?? GRAPH_URL, send: session.request });
  const user = (upn: string) => `/v1.0/users/${encodeURIComponent(upn)}`;
  return lifecycleDirectory('entra', {
    provider: 'Entra ID',
    disabledWord: 'disabled',
    enabledWord: 'enabled',
    async find(upn): Promise<Account> {
      const { id, accountEnabled } = expectBody('entra', graphUser, (await graph('GET', `${user(upn)}?$select=id,accountEnabled`)).body);
      return { ref: id, disabled: !accountEnabled };
    },
    block: async ({ ref }) => { await graph('PATCH', user(ref), { accountEnabled: false }); },
    endSessions: async ({ ref }) => { await graph('POST', `${user(ref)}/revokeSignInSessions`); },
    unblock: async ({ ref }) => { await graph('PATCH', user(ref), { accountEnabled: true }); },
  });
}

const settings = z.object({
  ENTRA_TENANT_ID: z.string().regex(/^[\w.-]{1,256}$/, 'a tenant id (GUID) or domain'),
  ENTRA_CLIENT_ID: z.guid(),
  ENTRA_CLIENT_SECRET: z.string().min(10).meta({ secret: true }),
  ENTRA_GRAPH_URL: z.url().default(GRAPH_URL),
  ENTRA_AUTHORITY_URL: z.url().default(AUTHORITY_URL),
});

export const entra: AdapterDefinition<UserDirectory, typeof settings> = {
  name: 'entra',
  description: 'Microsoft Entra ID (Graph): blocks sign-in and revokes sign-in sessions; unblocks to re-enable',
  requires: ['ENTRA_TENANT_ID', 'ENTRA_CLIENT_ID', 'ENTRA_CLIENT_SECRET'],
  settings,
  create: (s) => createEntraDirectory({
    tenantId: s.ENTRA_TENANT_ID,
    clientId: s.ENTRA_CLIENT_ID,
    clientSecret: s.ENTRA_CLIENT_SECRET,
    graphUrl: s.ENTRA_GRAPH_URL,
    authorityUrl: s.ENTRA_AUTHORITY_URL,
  }),
};
