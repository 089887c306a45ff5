import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.ts';

/**
 * Signed webhooks: `X-Riposte-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, the scheme
 * Stripe and Slack use. The timestamp bounds how long a captured request stays usable; the set of signatures seen
 * within that window refuses the rest.
 */
export const SIGNATURE_HEADER = 'X-Riposte-Signature';
export const SIGNATURE_WINDOW_SECONDS = 300;
/** Signatures remembered per process for replay detection; beyond this many live ones, signed requests get 503. */
export const DEFAULT_REPLAY_CAPACITY = 100_000;

export interface WebhookSecret {
  /** The principal is `webhook:<name>`; several secrets may share a name while one is rotated. */
  name: string;
  secret: string;
}

/** A signature header that is well-formed and inside the window, not yet checked against the body. */
export interface PendingSignature {
  timestamp: string;
  signatures: Buffer[];
}

const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': 'Bearer' });

/** The HMAC of `<t>.<body>`: what a sender computes, and what the tests and `signedHeader` use. */
export function signatureOf(secret: string, timestamp: string, body: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/** The header value for `body` signed with `secret` at `unixSeconds`. */
export function signedHeader(secret: string, body: Buffer | string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${unixSeconds},v1=${signatureOf(secret, String(unixSeconds), body).toString('hex')}`;
}

export function createSignatureVerifier({ secrets, now = Date.now, replayCapacity = DEFAULT_REPLAY_CAPACITY }: {
  secrets: readonly WebhookSecret[];
  now?: () => number;
  replayCapacity?: number;
}) {
  /** Signature → the time (ms) after which its timestamp is outside the window anyway, so it can be forgotten. */
  const seen = new Map<string, number>();

  function sweep(at: number): void {
    for (const [signature, until] of seen) if (until < at) seen.delete(signature);
  }

  return {
    /** Checks the header's form and timestamp before the body is read, so stale or malformed requests cost nothing. */
    check(header: string): PendingSignature {
      if (secrets.length === 0) throw unauthorized('signed webhooks are not configured (RIPOSTE_WEBHOOK_SECRETS)');
      let timestamp: string | undefined;
      const signatures: Buffer[] = [];
      for (const part of header.split(',')) {
        const [key, value, extra] = part.trim().split('=');
        if (extra !== undefined || value === undefined) throw unauthorized(`malformed ${SIGNATURE_HEADER}: expected t=<unix seconds>,v1=<hex>`);
        if (key === 't' && timestamp === undefined && /^\d{1,12}$/.test(value)) timestamp = value;
        else if (key === 'v1' && /^[0-9a-fA-F]{64}$/.test(value) && signatures.length < 4) signatures.push(Buffer.from(value, 'hex'));
        else if (key === 't' || key === 'v1') throw unauthorized(`malformed ${SIGNATURE_HEADER}: expected t=<unix seconds>,v1=<hex>`);
      }
      if (timestamp === undefined || signatures.length === 0) throw unauthorized(`malformed ${SIGNATURE_HEADER}: expected t=<unix seconds>,v1=<hex>`);
      const age = now() / 1000 - Number(timestamp);
      if (age > SIGNATURE_WINDOW_SECONDS) throw unauthorized(`signature expired: signed more than ${SIGNATURE_WINDOW_SECONDS} s ago`);
      if (age < -SIGNATURE_WINDOW_SECONDS) throw unauthorized(`signature timestamp is more than ${SIGNATURE_WINDOW_SECONDS} s in the future; check the sender's clock`);
      return { timestamp, signatures };
    },

    /**
     * Verifies the raw body against every configured secret in constant time, then refuses a signature seen before.
     * Returns the webhook's name and a function that forgets the signature again (for a request that failed on the
     * server's side, so the sender's retry of the same signed request is not taken for a replay).
     */
    verify(pending: PendingSignature, body: Buffer): { name: string; forget: () => void } {
      let name: string | undefined;
      let matched: Buffer | undefined;
      for (const { name: candidate, secret } of secrets) {
        const expected = signatureOf(secret, pending.timestamp, body);
        for (const presented of pending.signatures) {
          if (timingSafeEqual(expected, presented) && name === undefined) {
            name = candidate;
            matched = presented;
          }
        }
      }
      if (name === undefined || matched === undefined) throw unauthorized('signature does not match the body');
      const at = now();
      const id = `${pending.timestamp}:${matched.toString('hex')}`;
      const until = seen.get(id);
      if (until !== undefined && until >= at) throw unauthorized('signature already used: sign every request afresh');
      if (seen.size >= replayCapacity) sweep(at);
      if (seen.size >= replayCapacity) {
        throw new HttpError(503, 'replay_cache_full', 'too many signed requests within the signature window; retry later', undefined, { 'Retry-After': '5' });
      }
      seen.set(id, (Number(pending.timestamp) + SIGNATURE_WINDOW_SECONDS) * 1000 + 1000);
      return { name, forget: () => seen.delete(id) };
    },
  };
}
export type SignatureVerifier = ReturnType<typeof createSignatureVerifier>;
