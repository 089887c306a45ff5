/** One entry of the domain feed: a canonical domain (`evil.example`) or URL (domain/entity.ts), with its expiry. */
export interface DomainFeedEntry {
  entry: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/**
 * The list that proxies and DNS firewalls pull (`GET /v1/feeds/domains.txt`). `add` never shortens an entry's expiry;
 * `remove` of an absent entry succeeds; `list` returns unexpired entries only.
 */
export interface DomainFeed {
  add(entry: string, expiresAt: number): Promise<void>;
  remove(entry: string): Promise<void>;
  list(now?: number): Promise<DomainFeedEntry[]>;
}
