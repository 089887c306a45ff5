/** A message to the operators about a point rather than an incident (a feed held back), as notifyOperators sends it. */
export interface OperatorNotice {
  /** What it is about, named as the notification's entity: `the blocklist feed`. */
  about: string;
  title: string;
  message: string;
  status: string;
}

/**
 * What runtime/wiring.ts hands a point besides its files and the allowlist: points that learn only at run time which
 * variables they read (the HTTP firewall's template names its own), and points that must tell people something.
 */
export interface PointServices {
  /** An environment variable, or the file its `NAME_FILE` names; undefined when unset. */
  variable(name: string): string | undefined;
  /** Sends the notice to the policy's `enforcement.notify` routes. */
  notifyOperators(notice: OperatorNotice): Promise<void>;
}
