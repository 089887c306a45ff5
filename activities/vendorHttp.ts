import { ApplicationFailure } from '@temporalio/common';
import { describeFetchError } from './fetchErrors.ts';

/** Temporal failure types an adapter's call ends with; the incident's retry policy lists VENDOR_REJECTED as final. */
export const VENDOR_REJECTED = 'VendorRejected';
export const VENDOR_UNAVAILABLE = 'VendorUnavailable';

export interface VendorRequest {
  /** Names the vendor in errors and audit records, since URLs and headers may carry secrets. */
  label: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: URL;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
  timeoutMs?: number;
  /** Statuses that are an answer, not a failure (e.g. 404 when looking something up). */
  accept?: readonly number[];
}

export interface VendorResponse<T = unknown> {
  status: number;
  /** Parsed JSON, or undefined for an empty or non-JSON body. */
  body: T | undefined;
  headers: Headers;
}

export const DEFAULT_VENDOR_TIMEOUT_MS = 15_000;
const MAX_RETRY_AFTER_S = 3600;

/**
 * One call to a vendor API. A 4xx other than 408/429 is final (non-retryable `VendorRejected`): retrying a refused
 * request only repeats the refusal. A 5xx, 408, 429 or network failure is retryable (`VendorUnavailable`), and a
 * `Retry-After` header becomes the next retry's delay, so the vendor's own back-off is honoured.
 * No error message carries the URL, a header or the response body beyond a short token.
 */
export async function vendorRequest<T = unknown>(request: VendorRequest): Promise<VendorResponse<T>> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_VENDOR_TIMEOUT_MS;
  let res: Response;
  try {
    res = await fetch(request.url, {
      method: request.method,
      headers: { accept: 'application/json', ...(request.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...request.headers },
      body: request.body !== undefined ? JSON.stringify(request.body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw ApplicationFailure.create({ message: `${request.label} request failed: ${describeFetchError(err, timeoutMs)}`, type: VENDOR_UNAVAILABLE });
  }
  const text = await res.text().catch(() => '');
  if (res.ok || request.accept?.includes(res.status)) return { status: res.status, body: parseJson<T>(text), headers: res.headers };
  const message = `${request.label} answered ${res.status} to ${request.method}${shortDetail(text)}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
    throw ApplicationFailure.create({ message, type: VENDOR_REJECTED, nonRetryable: true, details: [{ status: res.status }] });
  }
  const delay = retryAfterSeconds(res.headers.get('retry-after')) ?? rateLimitResetSeconds(res.headers.get('x-rate-limit-reset'));
  throw ApplicationFailure.create({ message: delay === undefined ? message : `${message} (retry after ${delay}s)`, type: VENDOR_UNAVAILABLE, nextRetryDelay: delay === undefined ? undefined : `${delay}s` });
}

/** `Retry-After` as seconds (delta or HTTP date), bounded; undefined when absent or unreadable. */
export function retryAfterSeconds(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d{1,7}$/.test(trimmed)) return Math.min(Number(trimmed), MAX_RETRY_AFTER_S);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.min(Math.max(0, Math.ceil((at - now) / 1000)), MAX_RETRY_AFTER_S);
}

/** Okta sends no Retry-After on a 429, but `X-Rate-Limit-Reset`: the epoch second its window resets, bounded too. */
export function rateLimitResetSeconds(header: string | null, now = Date.now()): number | undefined {
  if (!header || !/^\d{9,11}$/.test(header.trim())) return undefined;
  return Math.min(Math.max(0, Math.ceil(Number(header.trim()) - now / 1000)), MAX_RETRY_AFTER_S);
}

function parseJson<T>(text: string): T | undefined {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Vendors put error codes in JSON bodies (`errorCode`, `error.code`); keep such a code, never free text. */
function shortDetail(text: string): string {
  const body = parseJson<Record<string, unknown>>(text);
  const candidates = [body?.errorCode, body?.code, (body?.error as Record<string, unknown> | undefined)?.code, body?.type, typeof body?.error === 'string' ? body.error : undefined];
  const code = candidates.find((c): c is string => typeof c === 'string' && /^[\w.:-]{1,80}$/.test(c));
  return code ? ` (${code})` : '';
}
