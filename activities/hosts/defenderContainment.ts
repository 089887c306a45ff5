import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { AdapterDefinition } from '../adapters.ts';
import { VENDOR_REJECTED, VENDOR_UNAVAILABLE } from '../vendorHttp.ts';
import type { HostActionResult, HostContainment } from './hostContainment.ts';
import { endpoint, onlyDevice, queryableHost } from './hostNames.ts';
import { createBearerSession } from '../oauthToken.ts';

const LABEL = 'defender';
export const DEFENDER_API_URL = 'https://api.securitycenter.microsoft.com';
export const DEFENDER_AUTHORITY_URL = 'https://login.microsoftonline.com';
// Tokens are issued for the securitycenter resource whichever regional API host (api.security.microsoft.com, us.…)
// is called.
const SCOPE = 'https://api.securitycenter.microsoft.com/.default';

export interface DefenderContainmentOptions {
  tenantId: string;
  clientId: string;
  /** A secret: sent to the token endpoint only, never logged. */
  clientSecret: string;
  apiUrl?: string;
  authorityUrl?: string;
  timeoutMs?: number;
}

type ActionType = 'Isolate' | 'Unisolate';
interface Machine { id: string; computerDnsName?: string }
interface MachineAction { id: string; type: string; status: string; creationDateTimeUtc: string }
interface ODataList<T> { value?: T[] }
interface DefenderError { error?: { code?: unknown } }

// Failed, TimeOut and Cancelled actions changed nothing, so the isolation state is the newest action that did not.
const EFFECTIVE = new Set(['Pending', 'InProgress', 'Succeeded']);

/**
 * Microsoft Defender for Endpoint isolation (application permissions Machine.Read.All and Machine.Isolate). The
 * machine is found by `GET /api/machines?$filter=computerDnsName eq '<host>'`. Machines carry no isolation flag, so
 * the state is read from the newest Isolate or Unisolate machine action that has not failed; when that is already the
 * one wanted nothing is sent. A second isolate on an isolated machine is not harmless in Defender: it can sit pending
 * and complete after a later release, isolating the machine again. Otherwise `POST /api/machines/{id}/isolate`
 * (`{Comment, IsolationType: "Full"}`) or `/unisolate` (`{Comment}`). Defender answers 400 `ActiveRequestAlreadyExists`
 * while an action is pending: success when the pending action is the one wanted, retryable when it is the opposite.
 */
export function createDefenderContainment(opts: DefenderContainmentOptions): HostContainment {
  const apiUrl = opts.apiUrl ?? DEFENDER_API_URL;
  const session = createBearerSession({
    label: LABEL,
    tokenUrl: endpoint(opts.authorityUrl ?? DEFENDER_AUTHORITY_URL, `/${encodeURIComponent(opts.tenantId)}/oauth2/v2.0/token`),
    form: { grant_type: 'client_credentials', client_id: opts.clientId, client_secret: opts.clientSecret, scope: SCOPE },
    timeoutMs: opts.timeoutMs,
  });

  const list = async <T>(path: string, filter: string): Promise<T[]> => {
    const url = endpoint(apiUrl, path);
    // A literal `$filter` name: URLSearchParams would send `%24filter`.
    url.search = `?$filter=${encodeURIComponent(filter)}`;
    return (await session.request<ODataList<T>>({ label: LABEL, method: 'GET', url, timeoutMs: opts.timeoutMs })).body?.value ?? [];
  };

  async function findMachine(host: string): Promise<Machine> {
    const name = queryableHost(LABEL, host);
    return onlyDevice(LABEL, name, await list<Machine>('/api/machines', `computerDnsName eq ${odata(name)}`));
  }

  async function latestIsolation(machineId: string): Promise<MachineAction | undefined> {
    const actions = await list<MachineAction>('/api/machineactions', `machineId eq ${odata(machineId)} and (type eq 'Isolate' or type eq 'Unisolate')`);
    // Sorted here: the API documents no $orderby for machine actions.
    return actions
      .filter((a) => EFFECTIVE.has(a.status))
      .sort((a, b) => Date.parse(b.creationDateTimeUtc) - Date.parse(a.creationDateTimeUtc))[0];
  }

  /** The result when the machine's isolation state already is the wanted one, else undefined. */
  async function reached(host: string, machineId: string, wanted: ActionType): Promise<HostActionResult | undefined> {
    const latest = await latestIsolation(machineId);
    if ((latest?.type ?? 'Unisolate') !== wanted) return undefined;
    const how = latest ? `${latest.status}, action ${latest.id}` : 'never isolated';
    return { detail: `${host} is already ${wanted === 'Isolate' ? 'isolated' : 'released'} in Microsoft Defender (${how})`, ref: machineId, unchanged: true };
  }

  /** A 400: `ActiveRequestAlreadyExists` means another request got there between the read and the post. */
  async function answerConflict(host: string, machineId: string, wanted: ActionType, code: unknown): Promise<HostActionResult> {
    const shown = typeof code === 'string' && /^\w{1,80}$/.test(code) ? ` (${code})` : '';
    if (code !== 'ActiveRequestAlreadyExists') {
      throw ApplicationFailure.create({ message: `${LABEL} answered 400 to POST${shown}`, type: VENDOR_REJECTED, nonRetryable: true, details: [{ status: 400 }] });
    }
    const done = await reached(host, machineId, wanted);
    if (done) return done;
    // The pending action is the opposite one: once it has run, a retry can ask again.
    throw ApplicationFailure.create({ message: `${LABEL}: an opposite isolation action is still pending on ${host}${shown}`, type: VENDOR_UNAVAILABLE });
  }

  async function act(host: string, type: ActionType, comment: string): Promise<HostActionResult> {
    const machine = await findMachine(host);
    const already = await reached(host, machine.id, type);
    if (already) return already;
    const url = endpoint(apiUrl, `/api/machines/${encodeURIComponent(machine.id)}/${type.toLowerCase()}`);
    const body = type === 'Isolate' ? { Comment: comment, IsolationType: 'Full' } : { Comment: comment };
    const res = await session.request<MachineAction & DefenderError>({ label: LABEL, method: 'POST', url, body, timeoutMs: opts.timeoutMs, accept: [400] });
    if (res.status === 400) return answerConflict(host, machine.id, type, res.body?.error?.code);
    return { detail: `requested ${type.toLowerCase()} of ${host} in Microsoft Defender (action ${res.body?.id}, ${res.body?.status})`, ref: machine.id };
  }

  return {
    name: 'defender',
    isolate: (host, comment) => act(host, 'Isolate', comment),
    release: (host, comment) => act(host, 'Unisolate', comment),
  };
}

/** An OData string literal: quotes doubled. */
function odata(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

export const defenderSettings = z.object({
  DEFENDER_TENANT_ID: z.string().min(1),
  DEFENDER_CLIENT_ID: z.string().min(1),
  DEFENDER_CLIENT_SECRET: z.string().min(1).meta({ secret: true }),
  DEFENDER_API_URL: z.url().default(DEFENDER_API_URL),
  DEFENDER_AUTHORITY_URL: z.url().default(DEFENDER_AUTHORITY_URL),
});

export const defenderContainment: AdapterDefinition<HostContainment, typeof defenderSettings> = {
  name: 'defender',
  description: 'Microsoft Defender for Endpoint isolation (app registration with Machine.Read.All and Machine.Isolate)',
  requires: ['DEFENDER_TENANT_ID', 'DEFENDER_CLIENT_ID', 'DEFENDER_CLIENT_SECRET'],
  settings: defenderSettings,
  create: (s) => createDefenderContainment({
    tenantId: s.DEFENDER_TENANT_ID,
    clientId: s.DEFENDER_CLIENT_ID,
    clientSecret: s.DEFENDER_CLIENT_SECRET,
    apiUrl: s.DEFENDER_API_URL,
    authorityUrl: s.DEFENDER_AUTHORITY_URL,
  }),
};
