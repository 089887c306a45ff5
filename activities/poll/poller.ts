import type { z } from 'zod';

/** Where a run goes on from, between two reads of one run (Elastic: the point in time and `search_after`). JSON. */
export type PageToken = Record<string, unknown>;

export interface PageRequest {
  /** The durable cursor: the newest item already sent, or undefined before the first run. */
  cursor?: string;
  /** Undefined on a run's first read. */
  page?: PageToken;
  /** The auth header, its value read from the environment: never in a workflow's input or history. */
  headers: Record<string, string>;
  /** Names the poller in errors, since URLs and headers may carry secrets. */
  label: string;
}

export interface PolledPage {
  /** The bodies the poller's alert source normalises, one per item. */
  items: unknown[];
  /** The cursor once these items are sent; undefined when the page did not move it. */
  cursor?: string;
  /** What the next read of this run needs, and what the run releases when it ends. */
  next?: PageToken;
  /** More items may follow in this run. */
  more: boolean;
}

/**
 * A kind of poller: its fields in the pollers file and how it reads one page. One file in activities/poll/ and one
 * line in activities/poll/registry.ts.
 */
export interface PollerKind<S extends z.ZodObject = z.ZodObject> {
  readonly kind: string;
  /** The alert source (api/sources/) that reads the items when the pollers file names none. */
  readonly defaultSource: string;
  /** The kind's own fields in the pollers file. */
  readonly settings: S;
  read(settings: z.output<S>, request: PageRequest): Promise<PolledPage>;
  /** Ends a run: frees what `next` holds on the vendor's side. */
  release?(settings: z.output<S>, request: { page: PageToken; headers: Record<string, string>; label: string }): Promise<void>;
}

/** Typed at the definition, stored without its settings type. */
export const pollerKind = <S extends z.ZodObject>(kind: PollerKind<S>): PollerKind => kind as unknown as PollerKind;

/** A poller from the pollers file (runtime/pollers.ts), as this worker process holds it. */
export interface ConfiguredPoller {
  name: string;
  kind: string;
  everyMs: number;
  source: string;
  /** Keys of sent alerts kept to skip re-read ones. */
  remember: number;
  maxPages: number;
  /** The kind's fields, validated by its schema. */
  settings: Record<string, unknown>;
  headers: Record<string, string>;
}
