import type { AdapterDefinition } from '../adapters.ts';
import { jira } from './jira.ts';
import { theHive } from './theHive.ts';
import type { TicketSystem } from './ticketSystem.ts';

/** Every ticket system Riposte can open tickets in; runtime/adapters.ts builds those whose variables are set. */
export const ticketSystems: readonly AdapterDefinition<TicketSystem>[] = [theHive, jira];
