import { ApplicationFailure } from '@temporalio/common';
import { ExpiringFile } from '../enforce/edlFile.ts';
import type { DomainFeed, DomainFeedEntry } from './domainFeed.ts';

/**
 * The domain feed on a durable JSON file, written by the worker that runs `blocklist_domain` and read by the API's
 * `GET /v1/feeds/domains.txt`: the same atomic replace and group commit as the IP feed's file.
 */
export class DomainFeedFile extends ExpiringFile implements DomainFeed {
  /** The feed is one entry a line, so an entry with whitespace in it would put lines on the feed nobody asked for. */
  override async add(entry: string, expiresAt: number): Promise<void> {
    if (entry === '' || /[\s\p{Cc}]/u.test(entry)) throw ApplicationFailure.nonRetryable(`not a feed entry: ${JSON.stringify(entry)}`, 'InvalidFeedEntry');
    if (!Number.isFinite(expiresAt)) throw ApplicationFailure.nonRetryable('expiresAt must be a finite epoch time', 'InvalidExpiry');
    return super.add(entry, expiresAt);
  }

  async list(now = Date.now()): Promise<DomainFeedEntry[]> {
    return [...(await this.entries(now))].map(([entry, expiresAt]) => ({ entry, expiresAt }));
  }
}
