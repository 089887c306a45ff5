import type { AdapterDefinition } from '../adapters.ts';
import { entra } from './entraDirectory.ts';
import { httpUsers } from './httpUserDirectory.ts';
import { okta } from './oktaDirectory.ts';
import type { UserDirectory } from './userDirectory.ts';

/** Every identity provider Riposte can disable a user in; runtime/adapters.ts builds those whose variables are set. */
export const userDirectories: readonly AdapterDefinition<UserDirectory>[] = [okta, entra, httpUsers];
