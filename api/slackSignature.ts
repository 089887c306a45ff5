import { createHmac, timingSafeEqual } from 'node:crypto';
import { HttpError } from './errors.ts';

/**
 * Slack's request signing, version v0: `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<timestamp>:<raw
 * body>")>`. Slack sends no nonce, so the timestamp window is what bounds a captured request's useful life.
 */
export const SLACK_TIMESTAMP_HEADER = 'X-Slack-Request-Timestamp';
export const SLACK_SIGNATURE_HEADER = 'X-Slack-Signature';
export const SLACK_SIGNATURE_WINDOW_SECONDS = 300;

export interface SlackSignedRequest {
  /** The header values as received; absent headers are refused. */
  timestamp: string | undefined;
  signature: string | undefined;
  /** The exact bytes Slack sent. */
  body: Buffer;
}

const unauthorized = (message: string) => new HttpError(401, 'unauthorized', message);

/** The header value Slack would send for `body` at `timestamp`: what the verifier expects, and what tests sign with. */
export function slackSignature(secret: string, timestamp: string, body: Buffer | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

/** Throws a 401 HttpError unless Slack signed these bytes with `secret` within the window around `nowMs`. */
export function verifySlackSignature(secret: string, request: SlackSignedRequest, nowMs: number): void {
  const { timestamp, signature, body } = request;
  if (timestamp === undefined || signature === undefined) throw unauthorized(`send ${SLACK_TIMESTAMP_HEADER} and ${SLACK_SIGNATURE_HEADER} (Slack's signed request)`);
  if (!/^\d{1,12}$/.test(timestamp)) throw unauthorized(`malformed ${SLACK_TIMESTAMP_HEADER}: expected unix seconds`);
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > SLACK_SIGNATURE_WINDOW_SECONDS) {
    throw unauthorized(`${SLACK_TIMESTAMP_HEADER} is more than ${SLACK_SIGNATURE_WINDOW_SECONDS} s from now: a replayed request, or a clock out of sync`);
  }
  const expected = Buffer.from(slackSignature(secret, timestamp, body), 'utf8');
  const presented = Buffer.from(signature, 'utf8');
  if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw unauthorized(`${SLACK_SIGNATURE_HEADER} does not match the body`);
}
