/** Default task queue for incident and block workflows and their light activities. */
export const MAIN_TASK_QUEUE = 'riposte';
/** Enforcement runs on its own queue so the server can rate-limit it and firewall hosts can poll it. */
export const ENFORCEMENT_TASK_QUEUE = 'riposte-enforcement';

/**
 * A deployment's control workflow (kill switch, circuit breaker) runs on a queue of its own, with a worker of its own,
 * so the incidents and blocks asking it never take the task slots it needs to answer.
 */
export function controlTaskQueue(mainTaskQueue: string): string {
  return `${mainTaskQueue}-control`;
}
