import { allHandlersFinished, condition, continueAsNew, defineQuery, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';

/** The kill switch: one long-lived workflow, `riposte-control`, so its state is durable across every process. */
export interface ControlState {
  paused: boolean;
  /** Who set the current state, and when; absent before anyone touched it. */
  by?: string;
  reason?: string;
  at?: string;
}

export const setKillSwitchUpdate = defineUpdate<ControlState, [{ paused: boolean; by: string; reason?: string }]>('setKillSwitch');
export const controlStateQuery = defineQuery<ControlState>('controlState');

export async function controlWorkflow(carried?: ControlState): Promise<void> {
  let state: ControlState = carried ?? { paused: false };
  // An update returns only once its new state is in the history, so an API that waited for it can promise that
  // every later check sees the pause.
  setHandler(setKillSwitchUpdate, ({ paused, by, reason }) => {
    state = { paused, by, reason, at: new Date().toISOString() };
    return state;
  });
  setHandler(controlStateQuery, () => state);
  await condition(() => workflowInfo().continueAsNewSuggested);
  await condition(allHandlersFinished);
  await continueAsNew<typeof controlWorkflow>(state);
}
