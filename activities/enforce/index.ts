import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { addressException, describeException, type Exception } from '../../domain/exceptions.ts';
import type { CanonicalCidr } from '../../domain/ip.ts';
import { audited, auditedEach } from '../audit/audited.ts';
import type { AuditContext, AuditSink } from '../audit/record.ts';
import { assertNotAllowlisted, canonicalTarget } from './blockTarget.ts';
import type { EnforcementPoint } from './enforcementPoint.ts';
import type { EnforcementRate } from './enforcementRate.ts';
import { type PointReconciliation, reconcilePoint } from './reconcile.ts';
import type { BlockIntent } from '../../workflows/messages.ts';

export interface ApplyBlockInput {
  point: string;
  /** An address or `network/prefix`, canonical (domain/ip.ts canonicalBlockTarget). */
  address: string;
  expiresAt: number;
  /** Who and what is behind the call, for its audit records. */
  audit?: AuditContext;
}

/** One shard's work at one point: blocks to apply or extend, and blocks to remove, each with its audit context. */
export interface SyncBlocksInput {
  point: string;
  apply: { address: string; expiresAt: number; audit?: AuditContext }[];
  remove: { address: string; audit?: AuditContext }[];
}

export interface SyncBlocksResult {
  /** By address, the error of each apply or removal that failed; every other one succeeded. */
  failed: Record<string, string>;
  /** The kill switch was on: no apply was attempted (removals were). */
  held?: string;
  /** Beyond what the enforcement rate allowed now: not attempted, for the lane's next call. */
  deferred?: string[];
}

export interface RemoveBlockInput {
  point: string;
  address: string;
  audit?: AuditContext;
}

/**
 * Activities for the enforcement task queue. The allowlist is checked here again, whatever the workflow decided: a range
 * is refused when any allowlisted address is inside it.
 */
export interface EnforcementDeps {
  points: readonly EnforcementPoint[];
  /** Undefined when the policy's allowlist could not be read: every apply is then refused. */
  allowlist: readonly CanonicalCidr[] | undefined;
  /** Throws while the kill switch is on; checked at the start of every containment call, after any workflow check. */
  assertContainmentAllowed: () => Promise<void>;
  /** The live exceptions, read fresh: a block sharing an address with one is refused, and reconcile never puts it back. */
  exceptions?: () => Promise<readonly Exception[]>;
  /** Every call writes an audit record before and after it, refusals included. */
  audit: AuditSink;
  /** The enforcement rate of this process; unlimited when absent. */
  rate?: EnforcementRate;
  /** Every live block and the points believed to hold it (the shards' intent), for reconcile. */
  intent?: () => Promise<BlockIntent[]>;
}

const HEARTBEAT_MS = 3_000;
/** nft reports whole seconds left, so an expiry read back from the kernel is within a second or two of the one asked. */
const SAME_EXPIRY_MS = 2_000;

export function createEnforcementActivities({ points, allowlist, assertContainmentAllowed, exceptions = async () => [], audit, rate, intent }: EnforcementDeps) {
  const byName = new Map(points.map((point) => [point.name, point]));

  function pointNamed(name: string): EnforcementPoint {
    const point = byName.get(name);
    if (!point) throw ApplicationFailure.nonRetryable(`enforcement point ${name} is not configured on this worker`, 'UnknownEnforcementPoint');
    return point;
  }

  // A retry of an attempt still running here (its start-to-close timeout passed while nft was busy) waits for that
  // attempt instead of applying the same batch again.
  const running = new Map<string, Promise<SyncBlocksResult>>();

  /**
   * A retried call (its worker died, or it timed out) may follow an attempt that applied part of the batch before it
   * was lost: what the point already holds at the asked expiry is not applied again.
   */
  async function withoutWhatIsHeld(input: SyncBlocksInput): Promise<SyncBlocksInput> {
    if (input.apply.length === 0) return input;
    const held = new Map((await pointNamed(input.point).list()).map((target) => [target.address, target.expiresAt]));
    return { ...input, apply: input.apply.filter(({ address, expiresAt }) => Math.abs((held.get(address) ?? Number.NEGATIVE_INFINITY) - expiresAt) > SAME_EXPIRY_MS) };
  }

  /** Throws when a live exception covers the target, naming it. */
  function assertNotExcepted(target: CanonicalCidr, live: readonly Exception[]): void {
    const hit = addressException(target, live, Date.now());
    if (hit) throw ApplicationFailure.nonRetryable(`${target.text} is covered by ${describeException(hit)}`, 'AllowlistViolation');
  }

  /** The live blocks no exception covers: reconcile must not put back what an exception lifted. */
  async function intentOutsideExceptions(): Promise<BlockIntent[]> {
    const [blocks, live] = await Promise.all([intent!(), exceptions()]);
    return blocks.filter(({ address }) => !addressException(canonicalTarget(address), live, Date.now()));
  }

  async function sync(input: SyncBlocksInput): Promise<SyncBlocksResult> {
    const { point } = input;
    // Removals first: lifting a block is never held back behind new ones.
    const granted = rate ? await rate.take(input.remove.length + input.apply.length) : Number.POSITIVE_INFINITY;
    const remove = input.remove.slice(0, granted);
    const apply = input.apply.slice(0, Math.max(0, granted - remove.length));
    const deferred = [...input.remove.slice(remove.length), ...input.apply.slice(apply.length)].map(({ address }) => address);
    // Read while the before-records are written: both must precede an apply, neither needs the other.
    const holding: Promise<string | undefined> = apply.length === 0 ? Promise.resolve(undefined) : assertContainmentAllowed().then(() => undefined, messageOf);
    // Settled either way, so a failed read rejects only the applies that await it (fail closed), never the process.
    const excepted: Promise<readonly Exception[] | Error> = apply.length === 0 ? Promise.resolve([]) : exceptions().catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
    // Every attempt is audited, refusals included (a point this worker lacks, the allowlist, the kill switch).
    const attempts = [
      ...remove.map(({ address, audit: context }) => ({ action: 'block.remove', point, target: address, parameters: {}, context })),
      ...apply.map(({ address, expiresAt, audit: context }) => ({ action: 'block.apply', point, target: address, parameters: { expiresAt: isoTime(expiresAt) }, context })),
    ];
    const results = await auditedEach(audit, attempts, async (attempt, i) => {
      const enforcementPoint = pointNamed(point);
      if (i < remove.length) return enforcementPoint.remove(canonicalTarget(attempt.target).text);
      const held = await holding;
      if (held !== undefined) throw new Error(held);
      if (!allowlist) throw new Error('the allowlist could not be read: nothing is blocked');
      assertNotAllowlisted(canonicalTarget(attempt.target), allowlist);
      const live = await excepted;
      if (live instanceof Error) throw new Error(`the exceptions could not be read: nothing is blocked (${live.message})`);
      assertNotExcepted(canonicalTarget(attempt.target), live);
      return enforcementPoint.apply({ address: attempt.target, expiresAt: apply[i - remove.length]!.expiresAt });
    });
    const held = await holding;
    const failed: Record<string, string> = {};
    results.forEach((result, i) => {
      // A held apply is not a failure of the point: the lane sends it again once the kill switch is off.
      if (result.status === 'rejected' && (i < remove.length || held === undefined)) failed[attempts[i]!.target] = messageOf(result.reason);
    });
    return { failed, ...(held === undefined ? {} : { held }), ...(deferred.length > 0 ? { deferred } : {}) };
  }

  return {
    /** Puts back what the point lost and removes Riposte's stale entries there (activities/enforce/reconcile.ts). */
    async reconcileBlocks({ point }: { point: string }): Promise<PointReconciliation> {
      if (!intent) throw ApplicationFailure.nonRetryable('this worker cannot read the live blocks', 'UnknownEnforcementPoint');
      return reconcilePoint(pointNamed(point), intentOutsideExceptions, audit);
    },
    /** Applies and removes one shard's batch at one point: one audit write before, one after, one firewall transaction. */
    async syncBlocks(input: SyncBlocksInput): Promise<SyncBlocksResult> {
      const { workflowExecution, activityId, attempt } = Context.current().info;
      const key = `${workflowExecution?.workflowId}/${workflowExecution?.runId}/${activityId}`;
      const earlier = running.get(key);
      if (earlier) return earlier;
      // Heartbeats let a crashed worker's call be retried within the heartbeat timeout rather than the whole call's.
      const beat = setInterval(() => Context.current().heartbeat(), HEARTBEAT_MS);
      const call = (attempt > 1 ? withoutWhatIsHeld(input) : Promise.resolve(input)).then(sync).finally(() => {
        clearInterval(beat);
        running.delete(key);
      });
      running.set(key, call);
      return call;
    },
    async applyBlock({ point, address, expiresAt, audit: context }: ApplyBlockInput): Promise<void> {
      const parameters = { expiresAt: isoTime(expiresAt) };
      await audited(audit, { action: 'block.apply', point, target: address, parameters, context }, async () => {
        if (!allowlist) throw ApplicationFailure.nonRetryable('the allowlist could not be read: nothing is blocked', 'AllowlistViolation');
        assertNotAllowlisted(canonicalTarget(address), allowlist);
        assertNotExcepted(canonicalTarget(address), await exceptions());
        const enforcementPoint = pointNamed(point);
        await assertContainmentAllowed();
        await enforcementPoint.apply({ address, expiresAt });
      });
    },
    async removeBlock({ point, address, audit: context }: RemoveBlockInput): Promise<void> {
      await audited(audit, { action: 'block.remove', point, target: address, parameters: {}, context }, async () => {
        await pointNamed(point).remove(canonicalTarget(address).text);
      });
    },
  };
}

export type EnforcementActivities = ReturnType<typeof createEnforcementActivities>;

function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
