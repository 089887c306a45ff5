import { getExternalWorkflowHandle, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AuditContext } from '../../activities/audit/record.ts';
import {
  blockEndedSignal, blockHealthSignal, type BlockLeaseState, type BlockRequest, blockRequestSignal, blockStatusQuery, type BlockState, unblockSignal, withdrawSignal,
} from '../messages.ts';

export interface BlockInput {
  address: string;
  points: string[];
  /** The queue the enforcement workers for these points poll. */
  enforcementTaskQueue: string;
  /** Carried across continue-as-new. */
  state?: BlockState;
}

/** One block's state and the handlers that change it; workflows/block.ts runs its lifecycle. */
export class Block {
  readonly state: BlockState;
  readonly leases: Record<string, BlockLeaseState>;
  /** The expiry the enforcement points were last given. */
  appliedUntil: number;
  unblockedBy: string | undefined;
  unblockReason: string | undefined;
  private requestsAtUnblock = 0;
  /** Incidents whose leases an unblock cleared: told once the removal is done. */
  private liftedIncidents: string[] = [];

  constructor(readonly input: BlockInput) {
    this.state = input.state ?? {
      address: input.address, points: input.points, expiresAt: 0, state: 'applying', requests: 0, lastRequestedBy: '', reason: '', pointErrors: {},
    };
    this.leases = (this.state.leases ??= {});
    // Every run of the chain, so a lease granted many continuations ago is still recognised; one per continue-as-new.
    this.state.runs = [...(this.state.runs ?? []), workflowInfo().runId];
    this.appliedUntil = input.state?.expiresAt ?? 0;
  }

  listen(): void {
    setHandler(blockRequestSignal, (request) => this.request(request));
    setHandler(unblockSignal, ({ by, reason }) => this.unblock(by, reason));
    setHandler(withdrawSignal, ({ requester, by, reason }) => this.withdraw(requester, by, reason));
    setHandler(blockStatusQuery, () => this.state);
  }

  get lifted(): boolean {
    return this.unblockedBy !== undefined;
  }

  /**
   * After a removal: true when the block must go on, because a request arrived after the unblock or during removal
   * (a new block, not something to drop), or because its expiry moved out meanwhile.
   */
  again(): boolean {
    if (this.lifted && this.state.requests > this.requestsAtUnblock) {
      this.unblockedBy = undefined;
      return true;
    }
    return !this.lifted && Date.now() < this.state.expiresAt;
  }

  /** Incidents holding a lease show that their block ended. */
  async tellIncidents(): Promise<void> {
    const incidents = Object.entries(this.leases).filter(([, lease]) => lease.incident).map(([id]) => id);
    await Promise.all(incidents.map((id) => this.tell(id, this.lifted ? 'lifted' : 'expired', this.unblockedBy)));
  }

  /** After a removal: incidents whose leases the unblock cleared learn it now, even if a new request goes on. */
  async tellLifted(): Promise<void> {
    const incidents = this.liftedIncidents.splice(0);
    await Promise.all(incidents.map((id) => this.tell(id, 'lifted', this.unblockedBy)));
  }

  /** What the enforcement activities write into their audit records: the request behind the block, and who acts. */
  auditContext(actor: string, reason: string): AuditContext {
    const trigger = this.state.trigger;
    return { incidentId: trigger?.incidentId, alertIds: trigger?.alertIds, policyVersion: trigger?.policyVersion, blockWorkflowId: workflowInfo().workflowId, actor, reason };
  }

  /** Who is behind the current expiry, for the apply's audit records. */
  get requester(): string {
    const request = this.state.trigger;
    if (request?.actor) return request.actor;
    return request?.incidentId || !request?.requestedBy ? 'automation' : request.requestedBy;
  }

  private request(request: BlockRequest): void {
    const { durationMs, reason, requestedBy } = request;
    const state = this.state;
    state.requests += 1;
    if (request.retryFailedEveryMs !== undefined) state.retryFailedEveryMs = request.retryFailedEveryMs;
    state.lastRequestedBy = requestedBy;
    state.reason = reason;
    this.dropExpiredLeases();
    const requester = request.incidentId ?? requestedBy;
    this.leases[requester] = { until: Math.max(this.leases[requester]?.until ?? 0, Date.now() + durationMs), incident: request.incidentId !== undefined };
    // A repeat request never shortens a block; it can only push the expiry out.
    const expiresAt = Math.max(state.expiresAt, Date.now() + durationMs);
    if (expiresAt !== state.expiresAt || !state.trigger) state.trigger = { ...request, alertIds: request.alertIds?.slice(0, 20) };
    state.expiresAt = expiresAt;
  }

  private dropExpiredLeases(): void {
    for (const [key, lease] of Object.entries(this.leases)) {
      if (lease.until > Date.now()) continue;
      delete this.leases[key];
      // An incident whose lease ran out while the block goes on for others saw its own block expire; runs recorded
      // before this told nobody, so they replay without the signal.
      if (lease.incident && patched('tell-expired-leases')) void this.tell(key, 'expired');
    }
  }

  private unblock(by: string, reason?: string): void {
    this.unblockedBy = by;
    this.unblockReason = reason;
    this.requestsAtUnblock = this.state.requests;
    // A request arriving during the removal starts afresh: the lifted block's leases and expiry do not come back.
    if (patched('unblock-clears-leases')) {
      for (const [key, lease] of Object.entries(this.leases)) {
        if (lease.incident) this.liftedIncidents.push(key);
        delete this.leases[key];
      }
      this.state.expiresAt = 0;
    }
  }

  /** One requester's lease taken back: the block ends, as lifted, when no live lease is left. */
  private withdraw(requester: string, by: string, reason?: string): void {
    if (!this.leases[requester]) return;
    delete this.leases[requester];
    // A lease that ran out while nobody asked since must not keep a withdrawn block alive, or end it as an offence.
    const live = patched('withdraw-live-leases');
    if (live) this.dropExpiredLeases();
    const remaining = Object.values(this.leases).map((lease) => lease.until).filter((until) => !live || until > Date.now());
    if (remaining.length > 0) this.state.expiresAt = Math.max(...remaining);
    else this.unblock(by, reason);
  }

  /** Incidents holding a lease learn that no point holds their block any more, or that one does again. */
  async tellHealth(health: 'active' | 'failed'): Promise<void> {
    const { workflowId } = workflowInfo();
    const incidents = Object.entries(this.leases).filter(([, lease]) => lease.incident).map(([id]) => id);
    const signal = { workflowId, address: this.state.address, state: health, errors: { ...this.state.pointErrors } };
    await Promise.all(incidents.map((id) => getExternalWorkflowHandle(id).signal(blockHealthSignal, signal).catch(() => undefined)));
  }

  /** One already closed has nothing left to show it in, so a failed signal is no failure. */
  private async tell(incidentId: string, how: 'expired' | 'lifted', by?: string): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    await getExternalWorkflowHandle(incidentId).signal(blockEndedSignal, { workflowId, runId, address: this.state.address, how, by }).catch(() => undefined);
  }
}
