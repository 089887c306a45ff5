/** One place where a block takes effect: a kernel firewall, a pulled feed, a dry-run log. */
export interface BlockTarget {
  /**
   * What is blocked, canonical (domain/ip.ts canonicalBlockTarget): an address, or a range as `network/prefix`. Never a
   * raw string from an alert.
   */
  address: string;
  /** Epoch milliseconds when the block ends; points that can expire entries themselves use it. */
  expiresAt: number;
}

export interface EnforcementPoint {
  readonly name: string;
  /** Adds or refreshes the block. Calling it twice, or with a later expiresAt, must be safe. */
  apply(target: BlockTarget): Promise<void>;
  /** Removes the block of exactly this target. Removing one that is not blocked must succeed. */
  remove(address: string): Promise<void>;
  /** Targets currently blocked at this point, canonical. */
  list(): Promise<BlockTarget[]>;
}
