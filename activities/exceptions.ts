import type { Client } from '@temporalio/client';
import type { Exception } from '../domain/exceptions.ts';
import { canonicalBlockTarget, cidrOverlaps } from '../domain/ip.ts';
import { audited } from './audit/audited.ts';
import { AUTOMATION, type AuditSink, baseRecord, currentActivity, recordId } from './audit/record.ts';
import { blockShards } from './blocks.ts';

/** Lifts sent at once: a range exception may cover thousands of live blocks. */
const LIFTS_AT_ONCE = 16;

export interface ExceptionActivityDeps {
  client: Client;
  /** The deployment's main task queue, which names its block shards. */
  taskQueue: string;
  enforcementTaskQueue: string;
  audit: AuditSink;
}

/** What the control workflow asks when an exception begins or ends: the lifts it owes, and the audit trail. */
export function createExceptionActivities({ client, taskQueue, enforcementTaskQueue, audit }: ExceptionActivityDeps) {
  const shards = blockShards({ client, taskQueue, enforcementTaskQueue });

  /** Every live block sharing an address with an address exception: the exact address, or each one inside a range. */
  async function coveredBlocks(exception: Exception): Promise<string[]> {
    const target = canonicalBlockTarget(exception.value);
    const covered = new Set((await shards.intent()).map((b) => b.address).filter((address) => cidrOverlaps(canonicalBlockTarget(address), target)));
    // A block made before the shards is not in their intent; a lift reaches it by its address.
    covered.add(target.text);
    return [...covered];
  }

  async function liftAll(addresses: readonly string[], exception: Exception): Promise<string[]> {
    const lifted: string[] = [];
    for (let i = 0; i < addresses.length; i += LIFTS_AT_ONCE) {
      const batch = addresses.slice(i, i + LIFTS_AT_ONCE);
      const answers = await Promise.all(batch.map((address) => shards.lift(address, exception.by, `exception ${exception.id}: ${exception.reason}`)));
      lifted.push(...batch.filter((_, j) => answers[j]));
    }
    return lifted;
  }

  return {
    /** Records the new exception and lifts every live block it covers, with its author and reason; answers those lifted. */
    async exceptionAdded(exception: Exception): Promise<string[]> {
      const attempt = { action: 'exception.add', target: exception.value, parameters: { ...exception }, context: { actor: exception.by, reason: exception.reason } };
      return audited(audit, attempt, async () => (exception.kind === 'address' ? liftAll(await coveredBlocks(exception), exception) : []));
    },

    /** Records an exception's end: removed by a person, or expired. */
    async exceptionEnded({ exception, how, by }: { exception: Exception; how: 'removed' | 'expired'; by: string }): Promise<void> {
      const activity = currentActivity();
      const context = { actor: how === 'expired' ? AUTOMATION : by, reason: how === 'expired' ? 'expired' : `removed by ${by}` };
      const record = baseRecord({ action: how === 'expired' ? 'exception.expire' : 'exception.remove', target: exception.value, parameters: { ...exception }, context }, activity);
      await audit.append([{ id: recordId(activity, 'event'), at: new Date().toISOString(), phase: 'event', ...record }]);
    },
  };
}

export type ExceptionActivities = ReturnType<typeof createExceptionActivities>;
