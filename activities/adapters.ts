import type { z } from 'zod';

/**
 * How an adapter (a user directory, an EDR, a ticket system, a notifier) is configured: the environment variables it
 * reads, checked by zod, and a factory. runtime/adapters.ts reads the variables (each may also come from `NAME_FILE`)
 * and builds the adapter only when its `requires` variables are set; otherwise it is skipped with a note naming them.
 * Nothing here reads the environment itself.
 */
export interface AdapterDefinition<T, S extends z.ZodObject = z.ZodObject> {
  /** Short, lower-case: `okta`, `thehive`. The name policy files and notes use. */
  readonly name: string;
  /** One line for the start-up log and the docs. */
  readonly description: string;
  /** The variables whose presence turns the adapter on. */
  readonly requires: readonly string[];
  /** Every variable the adapter reads, required or optional, keyed by variable name. */
  readonly settings: S;
  create(settings: z.output<S>): T;
}
