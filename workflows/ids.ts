export function blockWorkflowId(address: string): string {
  return `block:${address}`;
}
