import { ApplicationFailure } from '@temporalio/common';
import { describeFetchError } from './fetchErrors.ts';
import {
  DEFAULT_VENDOR_TIMEOUT_MS, VENDOR_REJECTED, VENDOR_UNAVAILABLE, retryAfterSeconds, vendorRequest, type VendorRequest, type VendorResponse,
} from './vendorHttp.ts';

/**
 * An OAuth2 client-credentials grant. Token endpoints take a form-encoded body (RFC 6749 §4.4), which vendorRequest
 * does not send, so the token call lives here; its failures map exactly as vendorRequest's do.
 */
export interface ClientCredentialsGrant {
  label: string;
  tokenUrl: URL;
  /** The form fields: `client_id`, `client_secret` (a secret, never logged) and whatever the vendor adds. */
  form: Record<string, string>;
  timeoutMs?: number;
}

/** A vendor API behind a bearer token that is fetched once and reused until shortly before it expires. */
export interface BearerSession {
  request<T = unknown>(request: VendorRequest): Promise<VendorResponse<T>>;
}

// Renewed this early so that a token checked as valid cannot expire on its way to the vendor.
const EXPIRY_MARGIN_MS = 60_000;
// RFC 6749 only recommends `expires_in`; without it the token is kept briefly rather than forever.
const UNSTATED_LIFETIME_S = 300;

export function createBearerSession(grant: ClientCredentialsGrant, now: () => number = Date.now): BearerSession {
  let cached: { token: string; renewAt: number } | undefined;
  let inFlight: Promise<string> | undefined;

  const token = (): Promise<string> => {
    if (cached && now() < cached.renewAt) return Promise.resolve(cached.token);
    // Concurrent activities share one token request instead of each asking for its own.
    inFlight ??= requestToken(grant)
      .then(({ token: fresh, lifetimeS }) => {
        cached = { token: fresh, renewAt: now() + Math.max(0, lifetimeS * 1000 - EXPIRY_MARGIN_MS) };
        return fresh;
      })
      .finally(() => { inFlight = undefined; });
    return inFlight;
  };
  const send = async <T>(request: VendorRequest) => vendorRequest<T>({ ...request, headers: { ...request.headers, authorization: `Bearer ${await token()}` } });

  return {
    async request<T>(request: VendorRequest) {
      try {
        return await send<T>(request);
      } catch (err) {
        // A token revoked or expired before its stated lifetime is refused with 401: one fresh token, one more try.
        if (!isUnauthorized(err)) throw err;
        cached = undefined;
        return send<T>(request);
      }
    },
  };
}

async function requestToken(grant: ClientCredentialsGrant): Promise<{ token: string; lifetimeS: number }> {
  const timeoutMs = grant.timeoutMs ?? DEFAULT_VENDOR_TIMEOUT_MS;
  let res: Response;
  try {
    res = await fetch(grant.tokenUrl, {
      method: 'POST',
      headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(grant.form),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw ApplicationFailure.create({ message: `${grant.label} token request failed: ${describeFetchError(err, timeoutMs)}`, type: VENDOR_UNAVAILABLE });
  }
  const body = parseObject(await res.text().catch(() => ''));
  if (!res.ok) throw tokenRefusal(grant.label, res, body);
  const token = body?.access_token;
  if (typeof token !== 'string' || !token) {
    throw ApplicationFailure.create({ message: `${grant.label} answered ${res.status} to the token request without an access token`, type: VENDOR_REJECTED, nonRetryable: true });
  }
  const lifetimeS = Number(body?.expires_in);
  return { token, lifetimeS: lifetimeS > 0 ? lifetimeS : UNSTATED_LIFETIME_S };
}

/** As vendorRequest: a 4xx other than 408/429 is final, the rest retryable with the vendor's Retry-After. */
function tokenRefusal(label: string, res: Response, body: Record<string, unknown> | undefined): ApplicationFailure {
  // RFC 6749 §5.2 puts a fixed code in `error`; `error_description` is free text that may quote the request.
  const code = typeof body?.error === 'string' && /^[\w.:-]{1,80}$/.test(body.error) ? ` (${body.error})` : '';
  const message = `${label} answered ${res.status} to the token request${code}`;
  if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) {
    return ApplicationFailure.create({ message, type: VENDOR_REJECTED, nonRetryable: true, details: [{ status: res.status }] });
  }
  const delay = retryAfterSeconds(res.headers.get('retry-after'));
  return ApplicationFailure.create({ message: delay === undefined ? message : `${message} (retry after ${delay}s)`, type: VENDOR_UNAVAILABLE, nextRetryDelay: delay === undefined ? undefined : `${delay}s` });
}

function isUnauthorized(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === VENDOR_REJECTED && (err.details?.[0] as { status?: number } | undefined)?.status === 401;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
