import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { vendorRequest } from '../vendorHttp.ts';
import type { UserDirectory } from './userDirectory.ts';

export interface HttpUserDirectoryOptions {
  /** The receiver; it may carry a secret in its query, so it never reaches an error. */
  url: string;
  /** Sent as `Authorization: Bearer …` when set: a secret. */
  token?: string;
}

export type UserWebhookAction = 'disable_user' | 'enable_user';

/**
 * An in-house identity provider behind a webhook: `POST {"action": "disable_user" | "enable_user", "user": "..."}`,
 * any 2xx meaning done. The same request may arrive more than once (activity retries, a repeated incident), so the
 * receiver must treat it as "make it so", not "toggle". 4xx other than 408/429 is final; 5xx, 408 and 429 (with
 * `Retry-After`) are retried.
 */
export function createHttpUserDirectory(opts: HttpUserDirectoryOptions): UserDirectory {
  const url = new URL(opts.url);
  const send = async (action: UserWebhookAction, user: string) => {
    const res = await vendorRequest({
      label: 'user webhook',
      method: 'POST',
      url,
      headers: opts.token ? { authorization: `Bearer ${opts.token}` } : undefined,
      body: { action, user },
    });
    return { detail: `${action} accepted by the user webhook (${res.status})` };
  };
  return {
    name: 'user-webhook',
    disable: (user) => send('disable_user', user),
    enable: (user) => send('enable_user', user),
  };
}

const settings = z.object({
  RIPOSTE_USER_WEBHOOK_URL: z.url({ protocol: /^https?$/ }),
  RIPOSTE_USER_WEBHOOK_TOKEN: z.string().min(1).optional().meta({ secret: true }),
});

export const httpUsers: AdapterDefinition<UserDirectory, typeof settings> = {
  name: 'user-webhook',
  description: 'In-house identity provider: POSTs {action: disable_user | enable_user, user} to a webhook',
  requires: ['RIPOSTE_USER_WEBHOOK_URL'],
  settings,
  create: (s) => createHttpUserDirectory({ url: s.RIPOSTE_USER_WEBHOOK_URL, token: s.RIPOSTE_USER_WEBHOOK_TOKEN }),
};
