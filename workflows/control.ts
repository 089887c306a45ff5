import { allHandlersFinished, condition, continueAsNew, defineQuery, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Exception } from '../domain/exceptions.ts';
import { type BreakerCarry, breakerOf, type RememberedAdmissions } from './control/breaker.ts';
import { exceptionsOf } from './control/exceptions.ts';

/** The mass-block circuit breaker, as the control workflow shows it. */
export interface BreakerState {
  tripped: boolean;
  /** New blocks counted in the current window. */
  recentBlocks: number;
  /** When it tripped, or who reset it and when. */
  at?: string;
  by?: string;
}

/** The kill switch and the breaker: one long-lived workflow, `riposte-control`, so both are durable across every process. */
export interface ControlState {
  paused: boolean;
  /** Who set the current state, and when; absent before anyone touched it. */
  by?: string;
  reason?: string;
  at?: string;
  breaker?: BreakerState;
  /** Per enforcement point, the last reconcile's enforced ratio; absent until reconcile first ran. */
  enforcement?: Record<string, PointEnforcement>;
  /** The live exceptions, soonest to expire first; absent when there are none. */
  exceptions?: Exception[];
}

/** What the last reconcile found at a point. */
export interface PointEnforcement {
  /** Held ÷ intended live blocks, 0 to 1. */
  enforced: number;
  intended: number;
  restored: number;
  at: string;
  /** Reconcile cycles in a row below 100 %. */
  cyclesBelow: number;
}

export interface BlockAdmission {
  incidentId: string;
  /**
   * Names this admission across retries: a retried call (its reply lost under load, or the local attempt giving way to
   * the remote one) gets the first answer instead of counting the block again. Absent in runs from before it existed.
   */
  key?: string;
  /** False when a person approved this block: it is counted, never held back. */
  automatic: boolean;
  maxNewBlocks: number;
  windowMs: number;
}

export interface AdmissionResult {
  admitted: boolean;
  /** True for the one admission that tripped the breaker, so exactly one incident raises the notification. */
  justTripped: boolean;
}

interface ControlCarry {
  killSwitch: Omit<ControlState, 'breaker' | 'enforcement' | 'exceptions'>;
  breaker: BreakerCarry;
  enforcement?: Record<string, PointEnforcement>;
  admissions?: RememberedAdmissions;
  exceptions?: Exception[];
}

export const setKillSwitchUpdate = defineUpdate<ControlState, [{ paused: boolean; by: string; reason?: string }]>('setKillSwitch');
/** Admissions in the order given, each deciding on the count the ones before it left. */
export const admitBlocksUpdate = defineUpdate<AdmissionResult[], [BlockAdmission[]]>('admitBlocks');
export const resetBreakerUpdate = defineUpdate<ControlState, [{ by: string }]>('resetBreaker');
export const controlStateQuery = defineQuery<ControlState>('controlState');
/** A reconcile cycle's findings per point; answers each point's state with its count of cycles below 100 % in a row. */
export const recordEnforcementUpdate = defineUpdate<Record<string, PointEnforcement>, [(Omit<PointEnforcement, 'cyclesBelow'> & { point: string })[]]>('recordEnforcement');

export async function controlWorkflow(carried?: ControlState | ControlCarry): Promise<void> {
  // Runs started before the breaker existed carried the bare kill-switch state.
  const carry: ControlCarry = carried && 'killSwitch' in carried
    ? carried
    : { killSwitch: carried ?? { paused: false }, breaker: { tripped: false, blockTimes: [] } };
  let { killSwitch } = carry;
  const breaker = breakerOf(carry.breaker, carry.admissions);
  const enforcement = carry.enforcement ?? {};
  const exceptions = exceptionsOf(carry.exceptions);
  const view = (): ControlState => {
    const live = exceptions.live();
    return {
      ...killSwitch,
      breaker: breaker.view(),
      ...(Object.keys(enforcement).length > 0 ? { enforcement } : {}),
      ...(live.length > 0 ? { exceptions: live } : {}),
    };
  };

  // An update returns only once its new state is in the history, so an API that waited for it can promise that
  // every later check sees the pause.
  setHandler(setKillSwitchUpdate, ({ paused, by, reason }) => {
    killSwitch = { paused, by, reason, at: new Date().toISOString() };
    return view();
  });
  setHandler(admitBlocksUpdate, breaker.admit);
  setHandler(resetBreakerUpdate, ({ by }) => {
    breaker.reset(by);
    return view();
  });
  setHandler(controlStateQuery, view);
  setHandler(recordEnforcementUpdate, (findings) => {
    for (const { point, ...finding } of findings) {
      enforcement[point] = { ...finding, cyclesBelow: finding.enforced < 1 ? (enforcement[point]?.cyclesBelow ?? 0) + 1 : 0 };
    }
    return enforcement;
  });
  await exceptions.expireUntil(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof controlWorkflow>({ killSwitch, ...breaker.carry(), enforcement, exceptions: exceptions.carry() });
}
