/**
 * The keys of the last `limit` alerts a poller sent, oldest first: what it skips when a page is read again. Bounded,
 * so a poller's state (carried across continue-as-new) stays small however long it runs.
 */
export class RecentKeys {
  private readonly order: string[];
  private readonly known: Set<string>;

  constructor(private limit: number, keys: readonly string[] = []) {
    this.order = [];
    this.known = new Set();
    this.add(keys);
  }

  has(key: string): boolean {
    return this.known.has(key);
  }

  /** Remembers new keys; past the limit the oldest are forgotten. */
  add(keys: readonly string[]): void {
    for (const key of keys) {
      if (this.known.has(key)) continue;
      this.known.add(key);
      this.order.push(key);
    }
    this.trim();
  }

  /** A smaller limit forgets the oldest at once; a larger one keeps what is there and grows into it. */
  resize(limit: number): void {
    this.limit = limit;
    this.trim();
  }

  get size(): number {
    return this.order.length;
  }

  list(): string[] {
    return [...this.order];
  }

  private trim(): void {
    const excess = this.order.length - this.limit;
    if (excess <= 0) return;
    for (const key of this.order.splice(0, excess)) this.known.delete(key);
  }
}
