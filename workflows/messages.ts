import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { AlertBatch, AlertSummary } from '../domain/alert.ts';
import type { BlockHealthState, LeaseRequest, PointHold } from '../domain/blockLedger.ts';
import type { IncidentInput, IncidentState, TimelineEntry, Verdict, VerdictRecord } from '../domain/incident.ts';

/** Names written once: the API, the CLI and the workflows share these definitions. */
export const alertsSignal = defineSignal<[AlertBatch]>('alerts');
export const approveSignal = defineSignal<[{ by: string; comment?: string }]>('approve');
export const rejectSignal = defineSignal<[{ by: string; reason?: string }]>('reject');
export const pauseSignal = defineSignal<[{ by: string; reason?: string }]>('pause');
export const resumeSignal = defineSignal<[{ by: string }]>('resume');

/** An update, so the API can answer 409 when the incident already has a verdict and 202 only once it is recorded. */
export const verdictUpdate = defineUpdate<VerdictRecord, [{ verdict: Verdict; by: string; comment?: string }]>('verdict');

export const statusQuery = defineQuery<IncidentState>('status');
export const timelineQuery = defineQuery<TimelineEntry[]>('timeline');

export interface BlockRequest {
  durationMs: number;
  reason: string;
  /** Incident id or principal that asked. */
  requestedBy: string;
  /** Audit context (optional): the incident and sample alerts behind the request, and its policy version. */
  incidentId?: string;
  alertIds?: string[];
  policyVersion?: string;
  /** Who authorised it: `automation` or a principal (an approver). Absent: `automation` for an incident, else `requestedBy`. */
  actor?: string;
  /** The policy's enforcement.retryFailedEvery, in ms. */
  retryFailedEveryMs?: number;
}

/** One requester's hold on a block: the block lasts until the latest lease ends or every lease is withdrawn. */
export interface BlockLeaseState {
  until: number;
  /** The requester is an incident, told when the block ends. */
  incident: boolean;
}

/** What one enforcement point holds of a block. */
export interface PointState {
  state: 'applied' | 'failed' | 'removed';
  /** Until when the point holds it (applied). */
  expiresAt?: number;
  /** Why the last apply failed. */
  error?: string;
  /** When the point reached this state, ISO 8601. */
  at: string;
  /** It failed before and has applied since. */
  recovered?: boolean;
}

export interface BlockState {
  address: string;
  /** By requester: an incident id, or the principal of a manual block. */
  leases?: Record<string, BlockLeaseState>;
  /** This block's runs, newest last, across continue-as-new: a lease names the run it was granted in. */
  runs?: string[];
  points: string[];
  expiresAt: number;
  /** `active` while at least one point holds it; `failed` while none does (the failed points are tried again). */
  state: 'applying' | 'active' | 'failed' | 'removing' | 'removed';
  /** Per enforcement point. */
  pointStates?: Record<string, PointState>;
  /** How often failed points are tried again; from the policy's enforcement.retryFailedEvery. */
  retryFailedEveryMs?: number;
  requests: number;
  lastRequestedBy: string;
  reason: string;
  /** Enforcement points whose last apply failed, with the error. */
  pointErrors: Record<string, string>;
  /** The request that set the current expiry: the trigger named in the enforcement calls' audit records. */
  trigger?: BlockRequest;
}

export const blockRequestSignal = defineSignal<[BlockRequest]>('extend');
export const unblockSignal = defineSignal<[{ by: string; reason?: string }]>('unblock');
/** Takes back one requester's lease (an incident's false positive); other requesters' leases keep the block. */
export const withdrawSignal = defineSignal<[{ requester: string; by: string; reason?: string }]>('withdraw');

/** Sent by a block workflow to each incident holding a lease when the block ends, so the incident shows it. */
export interface BlockEnded {
  workflowId: string;
  runId: string;
  address: string;
  how: 'expired' | 'lifted';
  by?: string;
}
export const blockEndedSignal = defineSignal<[BlockEnded]>('blockEnded');

/** Sent to each incident holding a lease when its block stops being held by any point, and when a point holds it again. */
export interface BlockHealth {
  workflowId: string;
  address: string;
  state: 'active' | 'failed';
  /** By point, for `failed`. */
  errors: Record<string, string>;
}
export const blockHealthSignal = defineSignal<[BlockHealth]>('blockHealth');
export const blockStatusQuery = defineQuery<BlockState>('status');

/** Sign-ins for a user's login history (`logins:<user>`), with what an incident raised from them starts with. */
export interface LoginSignal {
  logins: { address: string; occurredAt: string; alertId: string; source: AlertSummary['source']; severity: number }[];
  /** The policy snapshot and links of the request that carried them. */
  incident: IncidentInput;
}
export const loginsSignal = defineSignal<[LoginSignal]>('logins');

/** A block as its shard holds it: what the API and the CLI show for one address. */
export interface BlockView {
  address: string;
  /** The shard workflow that holds it. */
  workflowId: string;
  state: BlockHealthState;
  /** ISO 8601; null once the block is coming down. */
  expiresAt: string | null;
  since: string;
  points: Record<string, { state: PointHold['state'] | 'applying'; expiresAt?: string; error?: string; at?: string; recovered?: boolean }>;
  leases: { requester: string; until: string; incident: boolean }[];
  requests: number;
  reason: string;
  requestedBy: string;
}

/** Block requests for addresses of one shard, in the order given. */
export const leaseRequestsSignal = defineSignal<[LeaseRequest[]]>('leaseRequests');
/** Lifts a block now, whoever holds leases on it; `not_blocked` when the shard holds no live block of the address. */
export const liftBlockUpdate = defineUpdate<'lifting' | 'not_blocked', [{ address: string; by: string; reason?: string }]>('liftBlock');
/** Takes back exactly the lease granted as `leaseId` (an incident's false positive). */
export const withdrawLeaseUpdate = defineUpdate<'withdrawn' | 'already_ended', [{ address: string; requester: string; leaseId: string; by: string; reason?: string }]>('withdrawLease');
export const shardBlockQuery = defineQuery<BlockView | null, [string]>('block');
/** A page of the shard's blocks in address order, after `after`. */
export const shardBlocksQuery = defineQuery<{ blocks: BlockView[]; more: boolean }, [{ after?: string; limit: number }]>('blocks');
/** A live block as reconcile compares it: its expiry, and the points the shard believes hold it at that expiry. */
export interface BlockIntent {
  address: string;
  expiresAt: number;
  held: string[];
}
/** What each point should hold now, for reconcile; blocks coming down are left out. */
export const shardIntentQuery = defineQuery<BlockIntent[]>('intent');
