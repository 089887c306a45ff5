export function blockWorkflowId(address: string): string {
  return `block:${address}`;
}

export function offenceHistoryWorkflowId(address: string): string {
  return `offences:${address}`;
}

/** The one control workflow (kill switch, circuit breaker) of a deployment, named after its main task queue. */
export function controlWorkflowId(taskQueue: string): string {
  return `riposte-control:${taskQueue}`;
}

/** One user's recent sign-ins, for the impossible-travel playbook. */
export function loginHistoryWorkflowId(user: string): string {
  return `logins:${user}`;
}
