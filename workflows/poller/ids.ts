/** A poller's state (cursor and recent alert keys), one long-lived workflow per poller and deployment. */
export function pollerWorkflowId(taskQueue: string, poller: string): string {
  return `poller:${taskQueue}:${poller}`;
}

/** Every schedule of a deployment's pollers begins with this; the rest is the poller's name. */
export function pollerSchedulePrefix(taskQueue: string): string {
  return `riposte-poll:${taskQueue}:`;
}

export function pollerScheduleId(taskQueue: string, poller: string): string {
  return `${pollerSchedulePrefix(taskQueue)}${poller}`;
}
