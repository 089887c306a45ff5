export function blockWorkflowId(address: string): string {
  return `block:${address}`;
}

/** The one kill-switch workflow of a namespace. */
export const CONTROL_WORKFLOW_ID = 'riposte-control';
