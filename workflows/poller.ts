import { ActivityFailure, allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { PageToken, PollActivities } from '../activities/poll/index.ts';
import { type PollerStatus, type PollRequest, type PollRun, pollerStatusQuery, pollRequestedSignal, seenAlertsQuery } from './poller/messages.ts';
import { RecentKeys } from './poller/recentKeys.ts';

export interface PollerInput extends PollRequest {
  cursor?: string;
  /** Keys of the alerts sent last, oldest first. */
  recent?: string[];
  runs?: number;
  last?: PollRun;
  /** A tick that came in as the previous run of this workflow continued as new. */
  pending?: boolean;
}

// A vendor's refusal is final for the run (the next tick tries again); a 5xx or 429 is retried honouring Retry-After.
const { pollPage, releasePage } = proxyActivities<PollActivities>({ startToCloseTimeout: '2m', retry: { initialInterval: '1s', maximumAttempts: 5 } });

/**
 * One poller's cursor and the keys of the alerts it sent last, `poller:<queue>:<name>`, for as long as the poller is
 * in the pollers file. Its schedule's ticks (workflows/pollerTick.ts) ask it for a run; it makes one run at a time,
 * so overlapping ticks never read one page twice at once. A run reads page after page: each page's new alerts are
 * sent (pollPage resolves once Temporal holds them all) before the cursor moves past them. A page sent and then not
 * recorded (the worker died in between) is read again by the retry or the next run: the alerts it remembers are
 * skipped, and a signal repeated before it could remember them is dropped by the server (activities/poll/index.ts).
 */
export async function pollerWorkflow(input: PollerInput): Promise<void> {
  let settings: PollRequest = { poller: input.poller, remember: input.remember, maxPages: input.maxPages };
  const recent = new RecentKeys(input.remember, input.recent);
  const state = { cursor: input.cursor, runs: input.runs ?? 0, last: input.last, requested: input.pending ?? false, polling: false };
  setHandler(pollRequestedSignal, (request) => {
    settings = request;
    state.requested = true;
  });
  setHandler(seenAlertsQuery, (keys) => keys.filter((key) => recent.has(key)));
  setHandler(pollerStatusQuery, (): PollerStatus => ({
    poller: settings.poller, cursor: state.cursor, remembered: recent.size, remember: settings.remember, polling: state.polling, pending: state.requested, runs: state.runs, last: state.last,
  }));

  async function run(): Promise<PollRun> {
    const startedAt = new Date().toISOString();
    const totals = { pages: 0, read: 0, sent: 0, duplicates: 0, invalid: 0 };
    let page: PageToken | undefined;
    let error: string | undefined;
    try {
      while (totals.pages < settings.maxPages) {
        const outcome = await pollPage({ poller: settings.poller, cursor: state.cursor, page });
        recent.add(outcome.sent);
        state.cursor = outcome.cursor ?? state.cursor;
        page = outcome.next;
        totals.pages += 1;
        totals.read += outcome.read;
        totals.sent += outcome.sent.length;
        totals.duplicates += outcome.duplicates;
        totals.invalid += outcome.invalid;
        if (!outcome.more) break;
      }
    } catch (err) {
      if (!(err instanceof ActivityFailure)) throw err;
      error = err.cause?.message ?? err.message;
    }
    if (page) await releasePage({ poller: settings.poller, page }).catch(() => undefined);
    return { startedAt, endedAt: new Date().toISOString(), ...totals, ...(state.cursor !== undefined ? { cursor: state.cursor } : {}), ...(error !== undefined ? { error } : {}) };
  }

  for (;;) {
    await condition(() => state.requested || workflowInfo().continueAsNewSuggested);
    if (state.requested) {
      state.requested = false;
      state.polling = true;
      recent.resize(settings.remember);
      state.last = await run();
      state.runs += 1;
      state.polling = false;
    }
    if (workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof pollerWorkflow>({ ...settings, cursor: state.cursor, recent: recent.list(), runs: state.runs, last: state.last, pending: state.requested });
    }
  }
}
