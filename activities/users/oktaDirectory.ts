import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { lifecycleDirectory, type Account } from './accountLifecycle.ts';
import { directoryApi, expectBody } from './directoryApi.ts';
import type { UserDirectory } from './userDirectory.ts';

export interface OktaDirectoryOptions {
  /** `https://acme.okta.com`. */
  orgUrl: string;
  /** An API token (SSWS): a secret, sent only in the Authorization header. */
  apiToken: string;
}

/** The fields of Okta's user object (`GET /api/v1/users/{id}`) the adapter reads. */
const oktaUser = z.object({ id: z.string().min(1), status: z.string() });

/**
 * Okta's Users API. Disable suspends and revokes sessions and OAuth tokens; enable unsuspends. Okta suspends only an
 * ACTIVE user and refuses the others (LOCKED_OUT, PASSWORD_EXPIRED…) with 400 E0000001, a final VendorRejected that the
 * incident records. A DEPROVISIONED user cannot sign in already and is left alone: reactivating one is an
 * administrator's decision, not an undo.
 */
export function createOktaDirectory(opts: OktaDirectoryOptions): UserDirectory {
  const okta = directoryApi({ label: 'okta', baseUrl: opts.orgUrl, headers: { authorization: `SSWS ${opts.apiToken}` } });
  const user = (id: string) => `/api/v1/users/${encodeURIComponent(id)}`;
  return lifecycleDirectory('okta', {
    provider: 'Okta',
    disabledWord: 'suspended',
    enabledWord: 'unsuspended',
    async find(login): Promise<Account> {
      // Okta looks a user up by id or login alike; the login must be URL-encoded (`+`, `@`).
      const { id, status } = expectBody('okta', oktaUser, (await okta('GET', user(login))).body);
      return { ref: id, disabled: status === 'SUSPENDED', inert: status === 'DEPROVISIONED' ? status : undefined };
    },
    block: async ({ ref }) => { await okta('POST', `${user(ref)}/lifecycle/suspend`); },
    endSessions: async ({ ref }) => { await okta('DELETE', `${user(ref)}/sessions?oauthTokens=true`); },
    unblock: async ({ ref }) => { await okta('POST', `${user(ref)}/lifecycle/unsuspend`); },
  });
}

const settings = z.object({
  OKTA_ORG_URL: z.url({ protocol: /^https$/ }),
  OKTA_API_TOKEN: z.string().min(10).meta({ secret: true }),
});

export const okta: AdapterDefinition<UserDirectory, typeof settings> = {
  name: 'okta',
  description: 'Okta: suspends the user and revokes their sessions and OAuth tokens; unsuspends to re-enable',
  requires: ['OKTA_ORG_URL', 'OKTA_API_TOKEN'],
  settings,
  create: (s) => createOktaDirectory({ orgUrl: s.OKTA_ORG_URL, apiToken: s.OKTA_API_TOKEN }),
};
