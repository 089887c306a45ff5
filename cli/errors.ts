/** An expected failure: printed as `error: <message>` and its detail lines, never with a stack trace. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode: 1 | 2 = 1, readonly details: string[] = []) {
    super(message);
    this.name = 'CliError';
  }
}

/** A mistake in the command line: exit 2, with the help of the command it was meant for. */
export class UsageError extends CliError {
  constructor(message: string, readonly command?: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/**
 * Text from the API (alert fields, comments, reasons) may carry terminal escape sequences; control characters are shown
 * escaped so nothing an attacker put in an alert can rewrite the operator's screen.
 */
export function clean(value: unknown): string {
  // eslint-disable-next-line no-control-regex
  return String(value ?? '').replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
