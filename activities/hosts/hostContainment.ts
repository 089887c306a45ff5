/** What an EDR or asset tracker did, for the incident's record and the audit trail. */
export interface HostActionResult {
  detail: string;
  /** The vendor's own id of the device or asset. */
  ref?: string;
  /** The host already was as asked: nothing was changed, so a revert must leave it as it is too. */
  unchanged?: true;
}

/**
 * An EDR that can cut a host off the network and let it back. `host` is canonical (domain/entity.ts canonicalHost:
 * a lower-case name). Idempotent: isolating an isolated host succeeds. Refusals throw via activities/vendorHttp.ts.
 */
export interface HostContainment {
  readonly name: string;
  isolate(host: string, comment: string): Promise<HostActionResult>;
  release(host: string, comment: string): Promise<HostActionResult>;
}

/** An asset inventory that can mark a host, e.g. `riposte:risky`. Idempotent both ways. */
export interface AssetTracker {
  readonly name: string;
  tag(host: string, tag: string, comment: string): Promise<HostActionResult>;
  untag(host: string, tag: string, comment: string): Promise<HostActionResult>;
}
