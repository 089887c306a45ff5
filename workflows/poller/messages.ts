import { defineQuery, defineSignal } from '@temporalio/workflow';

/** What the poller's schedule passes on each tick: the workflow-side settings from the pollers file. */
export interface PollRequest {
  poller: string;
  /** How many sent alerts' keys the poller keeps to skip re-read ones. */
  remember: number;
  /** Pages one run reads at most; the next run goes on from the cursor. */
  maxPages: number;
}

/** One run: the pages read after a tick, and what became of their items. */
export interface PollRun {
  startedAt: string;
  endedAt: string;
  pages: number;
  read: number;
  sent: number;
  duplicates: number;
  invalid: number;
  /** The cursor the run ended at. */
  cursor?: string;
  /** Why the run stopped early; the next tick starts again from `cursor`. */
  error?: string;
}

export interface PollerStatus {
  poller: string;
  cursor?: string;
  remembered: number;
  remember: number;
  polling: boolean;
  /** A tick came during the run under way: one more run follows it. */
  pending: boolean;
  runs: number;
  last?: PollRun;
}

/** A tick: start a run, or one more after the run under way. Ticks that arrive during a run share that one more. */
export const pollRequestedSignal = defineSignal<[PollRequest]>('pollRequested');
/** Of the given alert keys, those the poller has already sent. */
export const seenAlertsQuery = defineQuery<string[], [string[]]>('seenAlerts');
export const pollerStatusQuery = defineQuery<PollerStatus>('pollerStatus');
