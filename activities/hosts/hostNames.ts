import { ApplicationFailure } from '@temporalio/common';
import { VENDOR_REJECTED } from '../vendorHttp.ts';

// Host names go inside quoted literals of vendor query languages (FQL, OData) and into URL paths. A DNS-style name
// needs no escaping in any of them; anything else (quotes, wildcards, `..`) is refused rather than escaped.
const HOST_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,251}[a-z0-9])?$/;

/** A refusal that no retry can change: an unknown or ambiguous host, a name the vendor cannot be asked about. */
export function hostRefused(message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type: VENDOR_REJECTED, nonRetryable: true });
}

/** The canonical host, checked to be safe to quote in a vendor query. */
export function queryableHost(label: string, host: string): string {
  if (!HOST_NAME.test(host)) throw hostRefused(`${label}: '${host.slice(0, 80)}' is not a host name it can be asked about`);
  return host;
}

/**
 * The one device the vendor knows by this name. None, or several (a re-imaged machine often leaves a stale record
 * under the same name), is refused: containing the wrong machine, or several, is worse than containing none.
 */
export function onlyDevice<T>(label: string, host: string, devices: readonly T[]): T {
  const [device, ...others] = devices;
  if (device === undefined) throw hostRefused(`${label} knows no device named ${host}`);
  if (others.length > 0) throw hostRefused(`${label} knows ${devices.length} devices named ${host}; refusing to pick one`);
  return device;
}

/** `path` below the configured base URL, which may carry a path prefix of its own (a proxy, a shim). */
export function endpoint(base: string, path: string, query: Record<string, string | readonly string[]> = {}): URL {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  for (const [name, value] of Object.entries(query)) {
    for (const v of typeof value === 'string' ? [value] : value) url.searchParams.append(name, v);
  }
  return url;
}
