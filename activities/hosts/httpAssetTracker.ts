import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { vendorRequest } from '../vendorHttp.ts';
import type { AssetTracker, HostActionResult } from './hostContainment.ts';
import { endpoint, hostRefused, queryableHost } from './hostNames.ts';

const LABEL = 'asset tracker';
// Tags sit in a URL path segment: a plain word such as `riposte:risky`, never `..` or a slash.
const TAG = /^[a-z0-9][a-z0-9:._-]{0,99}$/i;

export interface HttpAssetTrackerOptions {
  /** The receiver's base URL; may carry a path prefix. */
  url: string;
  /** Sent as `Authorization: Bearer …` when set: a secret, never logged. */
  token?: string;
  timeoutMs?: number;
}

/**
 * Tags hosts in an asset inventory through a small HTTP contract, so any inventory (or a shim in front of Snipe-IT,
 * NetBox, a CMDB) can receive them:
 *
 * - `PUT {url}/assets/{host}/tags/{tag}` tags the host; `DELETE` on the same path removes the tag. `host` is the
 *   canonical lower-case host name and `tag` a word like `riposte:risky`, each percent-encoded as one path segment.
 * - Both carry `Content-Type: application/json` and the body `{"comment": "<why, from the incident>"}`, and
 *   `Authorization: Bearer <RIPOSTE_ASSET_TOKEN>` when a token is configured.
 * - Both are idempotent: tagging a tagged host or untagging an untagged one answers 2xx as usual. A `DELETE` answered
 *   404 counts as already untagged. A `PUT` answered 404 means the inventory does not know the host: final.
 * - The answer may be empty, or JSON `{"id": "<the inventory's own id of the asset>"}`, which is kept as the reference.
 * - Any other 4xx is final; 5xx, 408 and 429 are retried, honouring `Retry-After`.
 */
export function createHttpAssetTracker(opts: HttpAssetTrackerOptions): AssetTracker {
  async function send(method: 'PUT' | 'DELETE', host: string, tag: string, comment: string): Promise<{ status: number; ref?: string }> {
    const name = queryableHost(LABEL, host);
    if (!TAG.test(tag)) throw hostRefused(`${LABEL}: '${tag.slice(0, 80)}' is not a tag it can set`);
    const res = await vendorRequest<{ id?: unknown }>({
      label: LABEL,
      method,
      url: endpoint(opts.url, `/assets/${encodeURIComponent(name)}/tags/${encodeURIComponent(tag)}`),
      headers: opts.token ? { authorization: `Bearer ${opts.token}` } : {},
      body: { comment },
      timeoutMs: opts.timeoutMs,
      accept: method === 'DELETE' ? [404] : [],
    });
    const id = res.body?.id;
    return { status: res.status, ref: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined };
  }

  return {
    name: 'asset-tracker',
    async tag(host, tag, comment): Promise<HostActionResult> {
      const { ref } = await send('PUT', host, tag, comment);
      return { detail: `tagged ${host} ${tag} in the asset tracker`, ref };
    },
    async untag(host, tag, comment): Promise<HostActionResult> {
      const { status, ref } = await send('DELETE', host, tag, comment);
      return { detail: status === 404 ? `${host} was not tagged ${tag} in the asset tracker` : `removed tag ${tag} from ${host} in the asset tracker`, ref };
    },
  };
}

export const httpAssetTrackerSettings = z.object({
  RIPOSTE_ASSET_URL: z.url(),
  RIPOSTE_ASSET_TOKEN: z.string().min(1).optional().meta({ secret: true }),
});

export const httpAssetTracker: AdapterDefinition<AssetTracker, typeof httpAssetTrackerSettings> = {
  name: 'asset-tracker',
  description: 'Asset tags over HTTP: PUT/DELETE {RIPOSTE_ASSET_URL}/assets/{host}/tags/{tag}',
  requires: ['RIPOSTE_ASSET_URL'],
  settings: httpAssetTrackerSettings,
  create: (s) => createHttpAssetTracker({ url: s.RIPOSTE_ASSET_URL, token: s.RIPOSTE_ASSET_TOKEN }),
};
