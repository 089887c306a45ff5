import {
  allHandlersFinished, condition, continueAsNew, getExternalWorkflowHandle, log, patched, proxyActivities, setHandler, upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AuditContext } from '../activities/audit/record.ts';
import type { EnforcementActivities } from '../activities/enforce/index.ts';
import type { OffenceActivities } from '../activities/offences.ts';
import { rootCauseMessage } from './failures.ts';
import { killSwitchCleared } from './killSwitch.ts';
import {
  blockEndedSignal, type BlockRequest, blockRequestSignal, blockStatusQuery, type BlockState, unblockSignal, withdrawSignal,
} from './messages.ts';
import { entityAttribute, expiresAtAttribute, statusAttribute } from './searchAttributes.ts';

const NON_RETRYABLE = ['AllowlistViolation', 'InvalidAddress', 'UnknownEnforcementPoint'];

function enforcementActivities(taskQueue: string) {
  const { applyBlock } = proxyActivities<EnforcementActivities>({
    taskQueue,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
  });
  // A block nobody lifts is the failure users fear most, so removal retries until it succeeds.
  const { removeBlock } = proxyActivities<EnforcementActivities>({
    taskQueue,
    startToCloseTimeout: '30s',
    retry: { initialInterval: '1s', maximumInterval: '5m', nonRetryableErrorTypes: NON_RETRYABLE },
  });
  return { applyBlock, removeBlock };
}

// No task queue: block workflows run on the main queue, which is where the offence activities are. A history that
// cannot be written costs the ladder a step, never the removal, so the retries are bounded.
const { recordOffence } = proxyActivities<OffenceActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', maximumAttempts: 10 },
});

export interface BlockInput {
  address: string;
  points: string[];
  /** The queue the enforcement workers for these points poll. */
  enforcementTaskQueue: string;
  /** Carried across continue-as-new. */
  state?: BlockState;
}

/** One IP's block lifecycle, `block:<ip>`: apply everywhere, hold until expiry or unblock, remove everywhere. */
export async function blockWorkflow(input: BlockInput): Promise<BlockState> {
  const { applyBlock, removeBlock } = enforcementActivities(input.enforcementTaskQueue);
  const state: BlockState = input.state ?? {
    address: input.address,
    points: input.points,
    expiresAt: 0,
    state: 'applying',
    requests: 0,
    lastRequestedBy: '',
    reason: '',
    pointErrors: {},
  };
  const leases = (state.leases ??= {});
  state.runs = [...(state.runs ?? []), workflowInfo().runId].slice(-20);
  let appliedUntil = input.state?.expiresAt ?? 0;
  let unblockedBy: string | undefined;
  let unblockReason: string | undefined;
  let requestsAtUnblock = 0;

  setHandler(blockRequestSignal, (request) => {
    const { durationMs, reason, requestedBy } = request;
    state.requests += 1;
    state.lastRequestedBy = requestedBy;
    state.reason = reason;
    const requester = request.incidentId ?? requestedBy;
    for (const [key, lease] of Object.entries(leases)) {
      if (lease.until > Date.now()) continue;
      delete leases[key];
      // An incident whose lease ran out while the block goes on for others saw its own block expire; runs recorded
      // before this told nobody, so they replay without the signal.
      if (lease.incident && patched('tell-expired-leases')) void tell(key, 'expired');
    }
    leases[requester] = { until: Math.max(leases[requester]?.until ?? 0, Date.now() + durationMs), incident: request.incidentId !== undefined };
    // A repeat request never shortens a block; it can only push the expiry out.
    const expiresAt = Math.max(state.expiresAt, Date.now() + durationMs);
    if (expiresAt !== state.expiresAt || !state.trigger) state.trigger = { ...request, alertIds: request.alertIds?.slice(0, 20) };
    state.expiresAt = expiresAt;
  });
  setHandler(unblockSignal, ({ by, reason }) => {
    unblockedBy = by;
    unblockReason = reason;
    requestsAtUnblock = state.requests;
  });
  setHandler(withdrawSignal, ({ requester, by, reason }) => {
    if (!leases[requester]) return;
    delete leases[requester];
    const remaining = Object.values(leases).map((lease) => lease.until);
    if (remaining.length > 0) {
      state.expiresAt = Math.max(...remaining);
      return;
    }
    unblockedBy = by;
    unblockReason = reason;
    requestsAtUnblock = state.requests;
  });
  setHandler(blockStatusQuery, () => state);

  await condition(() => state.expiresAt > 0 || unblockedBy !== undefined);
  for (;;) {
    while (unblockedBy === undefined && Date.now() < state.expiresAt) {
      if (state.expiresAt !== appliedUntil) {
        // A manual block, or one whose incident passed its own check just before a pause, waits here too.
        await killSwitchCleared();
        state.state = 'applying';
        appliedUntil = state.expiresAt;
        // Listed with its expiry from the start, so no listing shows a block that looks permanent.
        upsertSearchAttributes([
          { key: entityAttribute, value: state.address },
          { key: statusAttribute, value: 'applying' },
          { key: expiresAtAttribute, value: new Date(appliedUntil) },
        ]);
        await applyEverywhere(appliedUntil);
        state.state = 'active';
        upsertSearchAttributes([{ key: statusAttribute, value: 'active' }]);
      }
      await condition(() => unblockedBy !== undefined || state.expiresAt !== appliedUntil || workflowInfo().continueAsNewSuggested, state.expiresAt - Date.now());
      if (workflowInfo().continueAsNewSuggested && unblockedBy === undefined) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof blockWorkflow>({ ...input, state });
      }
    }
    state.state = 'removing';
    upsertSearchAttributes([{ key: statusAttribute, value: 'removing' }]);
    const expired = unblockedBy === undefined;
    const removal = auditContext(unblockedBy ?? 'automation', expired ? 'expired' : `unblocked${unblockReason ? `: ${unblockReason}` : ''}`);
    await Promise.all(state.points.map((point) => removeBlock({ point, address: state.address, audit: removal })));
    if (expired) await recordExpiryAsOffence();
    // A request that arrived after the unblock or during removal is a new block, not something to drop.
    if (unblockedBy !== undefined && state.requests > requestsAtUnblock) unblockedBy = undefined;
    else if (unblockedBy !== undefined || Date.now() >= state.expiresAt) break;
  }
  state.state = 'removed';
  upsertSearchAttributes([{ key: statusAttribute, value: 'removed' }, { key: expiresAtAttribute, value: null }]);
  log.info('block removed', { address: state.address, by: unblockedBy ?? 'expiry' });
  await tellIncidents();
  return state;

  /** Incidents holding a lease show that their block ended. */
  async function tellIncidents(): Promise<void> {
    const incidents = Object.entries(leases).filter(([, lease]) => lease.incident).map(([id]) => id);
    await Promise.all(incidents.map((id) => tell(id, unblockedBy === undefined ? 'expired' : 'lifted', unblockedBy)));
  }

  /** One already closed has nothing left to show it in, so a failed signal is no failure. */
  async function tell(incidentId: string, how: 'expired' | 'lifted', by?: string): Promise<void> {
    const { workflowId, runId } = workflowInfo();
    await getExternalWorkflowHandle(incidentId).signal(blockEndedSignal, { workflowId, runId, address: state.address, how, by }).catch(() => undefined);
  }

  async function applyEverywhere(expiresAt: number): Promise<void> {
    const audit = auditContext(requester(state.trigger), state.trigger?.reason ?? state.reason);
    const results = await Promise.allSettled(state.points.map((point) => applyBlock({ point, address: state.address, expiresAt, audit })));
    results.forEach((result, i) => {
      const point = state.points[i]!;
      if (result.status === 'fulfilled') {
        delete state.pointErrors[point];
        return;
      }
      state.pointErrors[point] = rootCauseMessage(result.reason);
      log.error('block not applied', { point, address: state.address, error: state.pointErrors[point] });
    });
  }

  /** An expired block counts towards the repeat-offender ladder; a lifted one does not. */
  async function recordExpiryAsOffence(): Promise<void> {
    try {
      await recordOffence({ address: state.address, endedAt: Date.now(), durationMs: state.trigger?.durationMs ?? 0, blockWorkflowId: workflowInfo().workflowId });
    } catch (err) {
      log.error('offence not recorded', { address: state.address, error: rootCauseMessage(err) });
    }
  }

  /** What the enforcement activities write into their audit records: the request behind the block, and who acts. */
  function auditContext(actor: string, reason: string): AuditContext {
    const trigger = state.trigger;
    return { incidentId: trigger?.incidentId, alertIds: trigger?.alertIds, policyVersion: trigger?.policyVersion, blockWorkflowId: workflowInfo().workflowId, actor, reason };
  }
}

function requester(request: BlockRequest | undefined): string {
  if (request?.actor) return request.actor;
  return request?.incidentId || !request?.requestedBy ? 'automation' : request.requestedBy;
}
