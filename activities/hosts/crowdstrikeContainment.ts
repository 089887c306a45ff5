import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import type { HostActionResult, HostContainment } from './hostContainment.ts';
import { endpoint, onlyDevice, queryableHost } from './hostNames.ts';
import { createBearerSession } from '../oauthToken.ts';

const LABEL = 'crowdstrike';

export interface CrowdstrikeContainmentOptions {
  /** The cloud's API host: `https://api.crowdstrike.com` (US-1), `https://api.eu-1.crowdstrike.com`, … */
  baseUrl: string;
  clientId: string;
  /** A secret: sent to the token endpoint only, never logged. */
  clientSecret: string;
  timeoutMs?: number;
}

/** A host's containment `status` in the Hosts API. */
type FalconStatus = 'normal' | 'containment_pending' | 'contained' | 'lift_containment_pending';
interface FalconDevice { device_id: string; hostname?: string; status?: FalconStatus }
interface FalconReply<T> { resources?: T[] }

// Either state already on its way counts as reached: asking again would only queue a duplicate action.
const REACHED: Record<'contain' | 'lift_containment', readonly FalconStatus[]> = {
  contain: ['contained', 'containment_pending'],
  lift_containment: ['normal', 'lift_containment_pending'],
};
// The device query matches names loosely (prefixes, case), so candidates are read and compared exactly here.
const CANDIDATES = 100;

/**
 * CrowdStrike Falcon network containment through the Hosts API (scope Hosts: read and write). The host name is
 * resolved with `GET /devices/queries/devices/v1?filter=hostname:'<host>'`, the candidates' records are read with
 * `GET /devices/entities/devices/v2?ids=…`, and the one whose `hostname` equals the host (ignoring case) is contained
 * or released with `POST /devices/entities/devices-actions/v2?action_name=contain|lift_containment`, unless its
 * `status` shows it already is. Falcon's containment action takes no comment, so the comment stays in Riposte's record.
 */
export function createCrowdstrikeContainment(opts: CrowdstrikeContainmentOptions): HostContainment {
  const session = createBearerSession({
    label: LABEL,
    tokenUrl: endpoint(opts.baseUrl, '/oauth2/token'),
    form: { client_id: opts.clientId, client_secret: opts.clientSecret },
    timeoutMs: opts.timeoutMs,
  });
  const call = <T>(method: 'GET' | 'POST', path: string, query: Record<string, string | readonly string[]>, body?: unknown) =>
    session.request<FalconReply<T>>({ label: LABEL, method, url: endpoint(opts.baseUrl, path, query), body, timeoutMs: opts.timeoutMs });

  async function findDevice(host: string): Promise<FalconDevice> {
    const name = queryableHost(LABEL, host);
    const ids = (await call<string>('GET', '/devices/queries/devices/v1', { filter: `hostname:'${name}'`, limit: String(CANDIDATES) })).body?.resources ?? [];
    const records = ids.length === 0 ? [] : (await call<FalconDevice>('GET', '/devices/entities/devices/v2', { ids })).body?.resources ?? [];
    return onlyDevice(LABEL, name, records.filter((d) => d.hostname?.toLowerCase() === name));
  }

  async function act(host: string, action: 'contain' | 'lift_containment'): Promise<HostActionResult> {
    const device = await findDevice(host);
    if (device.status && REACHED[action].includes(device.status)) {
      return { detail: `${host} is already ${device.status} in CrowdStrike Falcon (${device.device_id})`, ref: device.device_id, unchanged: true };
    }
    await call('POST', '/devices/entities/devices-actions/v2', { action_name: action }, { ids: [device.device_id] });
    const verb = action === 'contain' ? 'containment' : 'lifting containment';
    return { detail: `requested ${verb} of ${host} in CrowdStrike Falcon (${device.device_id})`, ref: device.device_id };
  }

  return {
    name: 'crowdstrike',
    isolate: (host) => act(host, 'contain'),
    release: (host) => act(host, 'lift_containment'),
  };
}

export const crowdstrikeSettings = z.object({
  FALCON_BASE_URL: z.url().default('https://api.crowdstrike.com'),
  FALCON_CLIENT_ID: z.string().min(1),
  FALCON_CLIENT_SECRET: z.string().min(1).meta({ secret: true }),
});

export const crowdstrikeContainment: AdapterDefinition<HostContainment, typeof crowdstrikeSettings> = {
  name: 'crowdstrike',
  description: 'CrowdStrike Falcon network containment (API client with Hosts read and write)',
  requires: ['FALCON_CLIENT_ID', 'FALCON_CLIENT_SECRET'],
  settings: crowdstrikeSettings,
  create: (s) => createCrowdstrikeContainment({ baseUrl: s.FALCON_BASE_URL, clientId: s.FALCON_CLIENT_ID, clientSecret: s.FALCON_CLIENT_SECRET }),
};
