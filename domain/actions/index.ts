import type { ActionKind } from './action.ts';
import { block } from './block.ts';
import { blocklistDomain } from './blocklistDomain.ts';
import { disableUser } from './disableUser.ts';
import { isolateHost } from './isolateHost.ts';
import { notify } from './notify.ts';
import { openTicket } from './openTicket.ts';
import { tagHost } from './tagHost.ts';

// Each kind checks its own parameters with its schema before anything reads them, so the list can forget their types.
const kinds = [block, disableUser, isolateHost, tagHost, openTicket, blocklistDomain, notify] as unknown as readonly ActionKind<unknown>[];

/** Every response action Riposte can take; playbooks plan from these names only. */
export const actionKinds: readonly ActionKind<unknown>[] = kinds;

export function actionKind(name: string): ActionKind<unknown> | undefined {
  return kinds.find((kind) => kind.name === name);
}

export const actionNames = (): string[] => kinds.map((kind) => kind.name);
