export type ObservableKind = 'ip' | 'user' | 'host' | 'domain' | 'url';

export interface TicketRequest {
  /** `<playbook>:<entity>`: the key a retry finds the existing ticket by (TheHive sourceRef, a Jira label). */
  incidentId: string;
  title: string;
  /** Plain text; attacker-influenced parts are already in it, so adapters escape for their markup. */
  description: string;
  /** 1-10, as in alerts. */
  severity: number;
  observables: { kind: ObservableKind; value: string }[];
  tags: string[];
  /** Links back to the incident in Riposte and the Temporal UI. */
  links: { incident?: string; temporalUi?: string };
}

export interface TicketRef {
  system: string;
  id: string;
  url?: string;
  /** True when the ticket was already there (a retry): nothing new was created. */
  existed: boolean;
}

/**
 * A case or issue tracker. `open` is idempotent by `incidentId`: it looks for the ticket first and creates one only when
 * none exists. `closeAsFalsePositive` comments and closes it; closing a closed or missing ticket succeeds.
 */
export interface TicketSystem {
  readonly name: string;
  open(ticket: TicketRequest): Promise<TicketRef>;
  closeAsFalsePositive(incidentId: string, comment: string): Promise<{ detail: string }>;
}
