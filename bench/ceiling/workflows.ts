import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type * as activities from './activities.ts';

const { touch: touchLocally } = proxyLocalActivities<typeof activities>({ startToCloseTimeout: '10s' });
const { touch } = proxyActivities<typeof activities>({ startToCloseTimeout: '10s' });

/** The engine's floor for one unit of work: a start, one local activity, one activity, a completion. */
export async function minimalWorkflow(n: number): Promise<number> {
  await touchLocally(n);
  return touch(n);
}
