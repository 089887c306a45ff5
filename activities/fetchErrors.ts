/**
 * What a failed fetch to an outside receiver may say about itself: a timeout or the socket error code, never the
 * message, which can carry the (secret) URL.
 */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; cause?: { code?: unknown } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs}ms`;
  const code = e?.cause?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'network error';
}
