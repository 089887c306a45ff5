/**
 * The decisions behind every block, kept apart from the workflow that holds them (workflows/blockShard.ts): one entry
 * per address, the leases that keep it, what each enforcement point should hold, and what each holds. Pure functions of
 * the entries and the time, so the workflow stays a loop and these are unit-tested.
 */

/** What a requester asks: the address, how long, why, and who is behind it. */
export interface LeaseRequest {
  address: string;
  points: string[];
  durationMs: number;
  reason: string;
  /** Incident id or principal that asked. */
  requestedBy: string;
  /** Names this grant, so a withdrawal takes back this lease and never a later one of the same requester. */
  leaseId: string;
  incidentId?: string;
  alertIds?: string[];
  policyVersion?: string;
  /** `automation` or the principal who authorised it. */
  actor?: string;
  /** The policy's enforcement.retryFailedEvery, in ms. */
  retryFailedEveryMs?: number;
  /** When the requesting incident opened (ISO 8601), for its time to contain. */
  incidentOpenedAt?: string;
}

export interface Lease {
  until: number;
  /** The requester is an incident, told when the block ends. */
  incident: boolean;
  leaseId: string;
}

/** What one enforcement point holds of a block. */
export interface PointHold {
  state: 'applied' | 'failed' | 'removed';
  /** Until when the point holds it (applied). */
  expiresAt?: number;
  error?: string;
  /** When the point reached this state, epoch ms. */
  at: number;
  /** It failed before and has applied since. */
  recovered?: boolean;
  /** Failed attempts in a row, for the back-off. */
  failures?: number;
  /** Not tried again before this time (after a failure). */
  retryAt?: number;
}

export interface BlockEntry {
  address: string;
  points: string[];
  /** The expiry every point should hold; 0 once the block is ending. */
  expiresAt: number;
  leases: Record<string, Lease>;
  /** The request that set the current expiry, named in the enforcement calls' audit records. */
  trigger: Omit<LeaseRequest, 'points' | 'leaseId'>;
  requests: number;
  /** Epoch ms of the first request. */
  since: number;
  /** Set once the block must come down: it expired, or a person lifted it. */
  ending?: { how: 'expired' | 'lifted'; by?: string; reason?: string; at: number };
  holds: Record<string, PointHold>;
  retryFailedEveryMs?: number;
  /** Incidents whose leases an unblock cleared, told once the removal is done. */
  liftedIncidents?: string[];
}

export type BlockHealthState = 'applying' | 'active' | 'failed' | 'removing';

/** `active` while at least one point holds it; `failed` once every point has refused it. */
export function entryState(entry: BlockEntry): BlockHealthState {
  if (entry.ending) return 'removing';
  const holds = entry.points.map((point) => entry.holds[point]);
  if (holds.some((hold) => hold?.state === 'applied')) return 'active';
  if (holds.length > 0 && holds.every((hold) => hold?.state === 'failed')) return 'failed';
  return 'applying';
}

const MAX_ALERT_IDS = 5;
const FIRST_RETRY_MS = 1_000;
const DEFAULT_RETRY_FAILED_MS = 60_000;

/**
 * A request never shortens a block; it can only push the expiry out. The same grant sent twice counts once. A request for an address whose block is coming
 * down starts a new block once the removal is done (see `finished`), so it is kept as a fresh entry's first lease.
 */
export function grant(entry: BlockEntry | undefined, request: LeaseRequest, now: number): BlockEntry {
  const { points, leaseId, ...trigger } = request;
  const requester = request.incidentId ?? request.requestedBy;
  // A retried request (the same grant, sent again after a timeout) is no new request and moves no expiry.
  if (entry && entry.leases[requester]?.leaseId === leaseId) return entry;
  const fresh = !entry;
  const next: BlockEntry = entry ?? { address: request.address, points, expiresAt: 0, leases: {}, trigger: clipTrigger(trigger), requests: 0, since: now, holds: {} };
  dropExpiredLeases(next, now);
  next.requests += 1;
  next.points = [...new Set([...next.points, ...points])];
  if (request.retryFailedEveryMs !== undefined) next.retryFailedEveryMs = request.retryFailedEveryMs;
  const until = now + request.durationMs;
  next.leases[requester] = { until: Math.max(next.leases[requester]?.until ?? 0, until), incident: request.incidentId !== undefined, leaseId };
  if (until > next.expiresAt || fresh) next.trigger = clipTrigger(trigger);
  next.expiresAt = Math.max(next.expiresAt, until);
  return next;
}

function clipTrigger(trigger: BlockEntry['trigger']): BlockEntry['trigger'] {
  return trigger.alertIds && trigger.alertIds.length > MAX_ALERT_IDS ? { ...trigger, alertIds: trigger.alertIds.slice(0, MAX_ALERT_IDS) } : trigger;
}

/** Leases that ran out while the block went on for others; the incidents among them saw their own block expire. */
export function dropExpiredLeases(entry: BlockEntry, now: number): string[] {
  const expiredIncidents: string[] = [];
  for (const [requester, lease] of Object.entries(entry.leases)) {
    if (lease.until > now) continue;
    delete entry.leases[requester];
    if (lease.incident) expiredIncidents.push(requester);
  }
  return expiredIncidents;
}

/** Lifts the block now: every lease goes, and the incidents holding one learn it once the removal is done. */
export function lift(entry: BlockEntry, by: string, reason: string | undefined, now: number): void {
  entry.liftedIncidents = Object.entries(entry.leases).filter(([, lease]) => lease.incident).map(([requester]) => requester);
  entry.leases = {};
  entry.expiresAt = 0;
  entry.ending = { how: 'lifted', by, reason, at: now };
}

/**
 * Takes back one lease, and only the one granted as `leaseId`. The block ends, as lifted, when no live lease is left;
 * otherwise it shrinks to the latest remaining lease.
 */
export function withdraw(entry: BlockEntry, requester: string, leaseId: string, by: string, reason: string | undefined, now: number): 'withdrawn' | 'already_ended' {
  if (entry.ending || entry.leases[requester]?.leaseId !== leaseId) return 'already_ended';
  delete entry.leases[requester];
  dropExpiredLeases(entry, now);
  const remaining = Object.values(entry.leases).map((lease) => lease.until);
  if (remaining.length > 0) entry.expiresAt = Math.max(...remaining);
  else lift(entry, by, reason, now);
  return 'withdrawn';
}

/** Marks a block whose time is up as ending; true when it did. */
export function expireIfDue(entry: BlockEntry, now: number): boolean {
  if (entry.ending || entry.expiresAt > now) return false;
  entry.ending = { how: 'expired', at: now };
  return true;
}

/** What one point must be told: blocks to apply (or extend) with their expiry, and blocks to remove. */
export interface PointWork {
  apply: BlockEntry[];
  remove: BlockEntry[];
}

/**
 * The work waiting at one point: entries the point does not hold at their current expiry (a failed one only once its
 * back-off has passed), and ending entries it has not removed. `busy` are addresses with a call under way there.
 */
export function pointWork(entries: Iterable<BlockEntry>, point: string, now: number, busy: ReadonlySet<string>, max: number): PointWork {
  const work: PointWork = { apply: [], remove: [] };
  for (const entry of entries) {
    if (work.apply.length + work.remove.length >= max) break;
    if (!entry.points.includes(point) || busy.has(entry.address)) continue;
    const hold = entry.holds[point];
    if (entry.ending) {
      if (hold?.state !== 'removed' && (hold?.retryAt ?? 0) <= now) work.remove.push(entry);
    } else if (!(hold?.state === 'applied' && hold.expiresAt === entry.expiresAt) && (hold?.retryAt ?? 0) <= now) {
      work.apply.push(entry);
    }
  }
  return work;
}

/** Records a point's answer for one entry; returns the entry's health when that changed between held and not. */
export function recordHold(entry: BlockEntry, point: string, outcome: { ok: true; expiresAt?: number } | { ok: false; error: string }, now: number): BlockHealthState | undefined {
  const before = entryState(entry);
  const previous = entry.holds[point];
  if (outcome.ok) {
    entry.holds[point] = outcome.expiresAt === undefined
      ? { state: 'removed', at: now }
      : { state: 'applied', expiresAt: outcome.expiresAt, at: now, ...(previous?.state === 'failed' || previous?.recovered ? { recovered: true } : {}) };
  } else {
    const failures = (previous?.failures ?? 0) + 1;
    const retryAt = now + Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), entry.retryFailedEveryMs ?? DEFAULT_RETRY_FAILED_MS);
    // A point that held the block still holds it until its old expiry (a failed extension), or until removed.
    const stillHeld = previous?.state === 'applied' && (entry.ending !== undefined || (previous.expiresAt ?? 0) > now);
    entry.holds[point] = stillHeld ? { ...previous, error: outcome.error, failures, retryAt } : { state: 'failed', error: outcome.error, at: now, failures, retryAt };
  }
  const after = entryState(entry);
  return (before === 'failed') !== (after === 'failed') && after !== 'removing' ? after : undefined;
}

/** Removed at every point (or at none it was ever sent to): the entry can go. */
export function finished(entry: BlockEntry): boolean {
  return entry.ending !== undefined && entry.points.every((point) => entry.holds[point]?.state === 'removed' || entry.holds[point] === undefined);
}

/** The nearest expiry of a block still standing: when the shard must wake without a message. */
export function nextExpiry(entries: Iterable<BlockEntry>): number | undefined {
  let next: number | undefined;
  for (const entry of entries) if (!entry.ending && (next === undefined || entry.expiresAt < next)) next = entry.expiresAt;
  return next;
}

/** When a point's lane must next try a block it failed, after `now`; undefined when nothing waits on a back-off. */
export function nextRetry(entries: Iterable<BlockEntry>, point: string, now: number): number | undefined {
  let next: number | undefined;
  for (const entry of entries) {
    const retryAt = entry.holds[point]?.retryAt;
    // A back-off already past is either picked up now or moot (the expiry it was for changed back), never waited for.
    if (retryAt !== undefined && retryAt > now && entry.points.includes(point) && (next === undefined || retryAt < next)) next = retryAt;
  }
  return next;
}
