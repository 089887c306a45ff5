import { ApplicationFailure } from '@temporalio/common';
import type { z } from 'zod';
import { VENDOR_UNAVAILABLE, vendorRequest, type VendorRequest, type VendorResponse } from '../vendorHttp.ts';

export type Send = <T>(request: VendorRequest) => Promise<VendorResponse<T>>;

export interface DirectoryApiOptions {
  label: string;
  baseUrl: string;
  /** Sent with every call: the credential, for a provider with a static one. */
  headers?: Record<string, string>;
  /** vendorRequest, or a session's that adds a renewable token. */
  send?: Send;
}

/** One identity provider's REST API: paths below a base URL, failures mapped by vendorRequest. */
export function directoryApi({ label, baseUrl, headers, send = vendorRequest }: DirectoryApiOptions) {
  const base = baseUrl.replace(/\/+$/, '');
  return <T = unknown>(method: VendorRequest['method'], path: string, body?: unknown) =>
    send<T>({ label, method, url: new URL(`${base}${path}`), headers, body });
}

/**
 * The part of an answer the adapter relies on. A 2xx whose body is not what the API documents (a proxy's sign-in page,
 * an API change) is a retryable `VendorUnavailable`: nothing was refused, and the body is never echoed.
 */
export function expectBody<S extends z.ZodType>(label: string, schema: S, body: unknown): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw ApplicationFailure.create({ message: `${label} answered with an unexpected body`, type: VENDOR_UNAVAILABLE });
}
