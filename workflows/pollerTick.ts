import { proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { PollActivities } from '../activities/poll/index.ts';
import type { PollRequest } from './poller/messages.ts';

const { requestPoll } = proxyLocalActivities<PollActivities>({ startToCloseTimeout: '15s', retry: { initialInterval: '1s', maximumAttempts: 5 } });

/**
 * What a poller's schedule starts (runtime/pollerSchedules.ts): a tick passed to the poller's state workflow, which
 * runs the poll. The run id names the tick's signal, so a retried signal is dropped, not a second tick.
 */
export async function pollTickWorkflow(request: PollRequest): Promise<void> {
  await requestPoll({ request, requestId: workflowInfo().runId });
}
