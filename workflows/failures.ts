/** The innermost message of a Temporal failure chain (ActivityFailure → ApplicationFailure → ...), which is the one a person can act on. */
export function rootCauseMessage(err: unknown): string {
  let current = err as { message?: string; cause?: unknown } | undefined;
  while (current?.cause) current = current.cause as typeof current;
  return current?.message ?? String(err);
}
