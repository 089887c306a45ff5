import { setHandler, workflowInfo } from '@temporalio/workflow';
import {
  type BlockEntry, dropExpiredLeases, entryState, expireIfDue, finished, grant, type LeaseRequest, lift, withdraw,
} from '../../domain/blockLedger.ts';
import {
  type BlockView, leaseRequestsSignal, liftBlockUpdate, shardBlockQuery, shardBlocksQuery, shardIntentQuery, withdrawLeaseUpdate,
} from '../messages.ts';

export interface BlockShardInput {
  shard: number;
  /** The queue the enforcement workers poll. */
  enforcementTaskQueue: string;
  /** Carried across continue-as-new. */
  entries?: BlockEntry[];
  /** Requests for addresses whose block was coming down when they arrived: granted afresh once it is down. */
  queued?: LeaseRequest[];
}

/** What the shard must tell an incident: its block ended, or stopped (or started again) being held anywhere. */
export type IncidentNews =
  | { incidentId: string; address: string; kind: 'ended'; how: 'expired' | 'lifted'; by?: string }
  | { incidentId: string; address: string; kind: 'health'; state: 'active' | 'failed'; errors: Record<string, string> };

/** A shard's blocks and the handlers that change them; workflows/blockShard.ts runs the loop, lanes.ts the points. */
export class BlockShard {
  readonly entries = new Map<string, BlockEntry>();
  private queued: LeaseRequest[];
  /** Bumped on every change, so the loop and the lanes wake for it. */
  version = 0;
  /** Addresses with a call under way, by point: never finished while one is. */
  readonly busy = new Map<string, Set<string>>();
  readonly news: IncidentNews[] = [];
  /** Expired blocks, for the repeat-offender ladder. */
  readonly offences: { address: string; endedAt: number; durationMs: number }[] = [];
  closing = false;

  constructor(readonly input: BlockShardInput) {
    for (const entry of input.entries ?? []) this.entries.set(entry.address, entry);
    this.queued = input.queued ?? [];
  }

  listen(): void {
    setHandler(leaseRequestsSignal, (requests) => {
      for (const request of requests) this.request(request);
      this.changed();
    });
    setHandler(liftBlockUpdate, ({ address, by, reason }) => {
      const entry = this.entries.get(address);
      if (!entry || entry.ending) return 'not_blocked';
      lift(entry, by, reason, Date.now());
      this.changed();
      return 'lifting';
    });
    setHandler(withdrawLeaseUpdate, ({ address, requester, leaseId, by, reason }) => {
      const entry = this.entries.get(address);
      const result = entry ? withdraw(entry, requester, leaseId, by, reason, Date.now()) : 'already_ended';
      this.changed();
      return result;
    });
    setHandler(shardBlockQuery, (address) => {
      const entry = this.entries.get(address);
      return entry ? this.view(entry) : null;
    });
    setHandler(shardBlocksQuery, ({ after, limit }) => {
      const addresses = [...this.entries.keys()].filter((address) => after === undefined || address > after).sort();
      return { blocks: addresses.slice(0, limit).map((address) => this.view(this.entries.get(address)!)), more: addresses.length > limit };
    });
    setHandler(shardIntentQuery, () => [...this.entries.values()].filter((entry) => !entry.ending).map(({ address, expiresAt, points, holds }) => ({
      address, expiresAt, held: points.filter((point) => holds[point]?.state === 'applied' && holds[point]?.expiresAt === expiresAt),
    })));
  }

  changed(): void {
    this.version += 1;
  }

  /** Marks blocks whose time is up, and closes those removed everywhere: their incidents and the ladder are told. */
  settle(now: number): void {
    for (const entry of this.entries.values()) {
      if (expireIfDue(entry, now)) this.changed();
      if (!finished(entry) || this.isBusy(entry.address)) continue;
      this.entries.delete(entry.address);
      this.ended(entry);
      this.changed();
      const again = this.queued.filter((request) => request.address === entry.address);
      if (again.length === 0) continue;
      this.queued = this.queued.filter((request) => request.address !== entry.address);
      for (const request of again) this.request(request);
    }
  }

  /** Health news for every incident holding a lease on the entry. */
  healthChanged(entry: BlockEntry, state: 'active' | 'failed'): void {
    const errors = Object.fromEntries(Object.entries(entry.holds).filter(([, hold]) => hold.error).map(([point, hold]) => [point, hold.error!]));
    for (const [requester, lease] of Object.entries(entry.leases)) {
      if (lease.incident) this.news.push({ incidentId: requester, address: entry.address, kind: 'health', state, errors });
    }
  }

  isBusy(address: string): boolean {
    for (const addresses of this.busy.values()) if (addresses.has(address)) return true;
    return false;
  }

  get carry(): BlockShardInput {
    return { ...this.input, entries: [...this.entries.values()], queued: this.queued };
  }

  private request(request: LeaseRequest): void {
    const entry = this.entries.get(request.address);
    if (entry?.ending) {
      this.queued.push(request);
      return;
    }
    const now = Date.now();
    for (const incidentId of entry ? dropExpiredLeases(entry, now) : []) this.news.push({ incidentId, address: request.address, kind: 'ended', how: 'expired' });
    this.entries.set(request.address, grant(entry, request, now));
  }

  private ended(entry: BlockEntry): void {
    const { address, ending } = entry;
    if (ending?.how === 'expired') {
      this.offences.push({ address, endedAt: ending.at, durationMs: entry.trigger.durationMs });
      for (const [requester, lease] of Object.entries(entry.leases)) {
        if (lease.incident) this.news.push({ incidentId: requester, address, kind: 'ended', how: 'expired' });
      }
    }
    for (const incidentId of entry.liftedIncidents ?? []) this.news.push({ incidentId, address, kind: 'ended', how: 'lifted', by: ending?.by });
  }

  private view(entry: BlockEntry): BlockView {
    const iso = (ms: number) => new Date(ms).toISOString();
    return {
      address: entry.address,
      workflowId: workflowInfo().workflowId,
      state: entryState(entry),
      expiresAt: entry.ending ? null : iso(entry.expiresAt),
      since: iso(entry.since),
      points: Object.fromEntries(entry.points.map((point) => {
        const hold = entry.holds[point];
        return [point, hold
          ? { state: hold.state, ...(hold.expiresAt ? { expiresAt: iso(hold.expiresAt) } : {}), ...(hold.error ? { error: hold.error } : {}), at: iso(hold.at), ...(hold.recovered ? { recovered: true } : {}) }
          : { state: 'applying' as const }];
      })),
      leases: Object.entries(entry.leases).map(([requester, lease]) => ({ requester, until: iso(lease.until), incident: lease.incident })),
      requests: entry.requests,
      reason: entry.trigger.reason,
      requestedBy: entry.trigger.requestedBy,
    };
  }
}
