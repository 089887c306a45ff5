import { ActivityFailure, ApplicationFailure } from '@temporalio/workflow';

/**
 * Tries the local activity, then the regular one. A local activity saves a round trip through the server, but while
 * it retries it holds the workflow task: when what it asks is served by workflows on the same worker (the control
 * workflow, an offence history), a long local retry could wait on slots it holds itself, or outlast a worker's
 * shutdown. So the local one gets few attempts, and the regular one, which frees the task, does the patient retrying.
 * A final refusal (a non-retryable failure) is not asked again.
 */
export function localFirst<Args extends unknown[], Result>(local: (...args: Args) => Promise<Result>, remote: (...args: Args) => Promise<Result>): (...args: Args) => Promise<Result> {
  return (...args) => local(...args).catch((err: unknown) => {
    if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) throw err;
    return remote(...args);
  });
}
