import type { z } from 'zod';
import type { AdapterDefinition } from '../activities/adapters.ts';
import { type ManagerDirectory, managerDirectories } from '../activities/enrich/managerDirectory.ts';
import { reputationProviders, type ReputationSources } from '../activities/enrich/reputation/index.ts';
import type { ReputationDefinition, ReputationProvider } from '../activities/enrich/reputation/provider.ts';
import type { AssetTracker, HostContainment } from '../activities/hosts/hostContainment.ts';
import { assetTrackers, hostContainments } from '../activities/hosts/index.ts';
import type { Notifier } from '../activities/notify/notification.ts';
import { extraNotifiers } from '../activities/notify/registry.ts';
import { ticketSystems } from '../activities/ticket/index.ts';
import type { TicketSystem } from '../activities/ticket/ticketSystem.ts';
import { userDirectories } from '../activities/users/index.ts';
import type { UserDirectory } from '../activities/users/userDirectory.ts';
import { ConfigError } from './config.ts';
import { secretFromEnv } from './secrets.ts';

export interface LoadedAdapters<T> {
  adapters: T[];
  /** One line per adapter: on, or off with the variables that would turn it on. For the start-up log. */
  notes: string[];
}

/**
 * Builds each adapter whose variables are set. An adapter with none of its `requires` variables is off, with a note;
 * one with some of them is a mistake, refused with every variable at fault named (never a value).
 */
export function loadAdapters<T>(definitions: readonly AdapterDefinition<T>[], env: NodeJS.ProcessEnv): LoadedAdapters<T> {
  const loaded: LoadedAdapters<T> = { adapters: [], notes: [] };
  for (const definition of definitions) {
    if (!definition.requires.some((name) => readVariable(env, name) !== undefined)) {
      loaded.notes.push(`${definition.name}: off (set ${definition.requires.join(' and ')})`);
      continue;
    }
    loaded.adapters.push(definition.create(readSettings(definition, env, 'is half configured')));
    loaded.notes.push(`${definition.name}: on (${definition.description})`);
  }
  return loaded;
}

/**
 * The reputation providers, as loadAdapters builds adapters, keeping why each one is off for the incidents' notes. A
 * provider that needs no key (RDAP) is on unless its settings turn it off.
 */
export function loadReputationSources(env: NodeJS.ProcessEnv, definitions: readonly ReputationDefinition[] = reputationProviders): ReputationSources & { notes: string[] } {
  const providers: ReputationProvider[] = [];
  const off: { name: string; reason: string }[] = [];
  const notes: string[] = [];
  const turnOff = (name: string, reason: string) => {
    off.push({ name, reason });
    notes.push(`${name}: off (${reason})`);
  };
  for (const definition of definitions) {
    if (definition.requires.length > 0 && !definition.requires.some((name) => readVariable(env, name) !== undefined)) {
      turnOff(definition.name, `${definition.requires.join(' and ')} not set`);
      continue;
    }
    const settings = readSettings(definition, env, definition.requires.length > 0 ? 'is half configured' : 'is misconfigured');
    const reason = definition.off?.(settings);
    if (reason !== undefined) {
      turnOff(definition.name, reason);
      continue;
    }
    providers.push(definition.create(settings));
    notes.push(`${definition.name}: on (${definition.description})`);
  }
  return { providers, off, notes };
}

/** A definition's settings from the environment (each may come from `NAME_FILE`), or a ConfigError naming each one at fault. */
export function readSettings<S extends z.ZodObject>(definition: { name: string; settings: S }, env: NodeJS.ProcessEnv, fault = 'is misconfigured'): z.output<S> {
  const values = Object.fromEntries(Object.keys(definition.settings.shape).map((name) => [name, readVariable(env, name)]));
  const parsed = definition.settings.safeParse(values);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`${definition.name} ${fault}:\n${lines.join('\n')}`);
}

export function readVariable(env: NodeJS.ProcessEnv, name: string): string | undefined {
  try {
    return secretFromEnv(env, name);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Every adapter a response action or the `notify` action may reach, as the environment configures them. */
export interface ConfiguredResponders {
  users: UserDirectory[];
  containment: HostContainment[];
  assets: AssetTracker[];
  tickets: TicketSystem[];
  managers: ManagerDirectory[];
  /** Teams, e-mail, Mattermost; Slack, the webhook and PagerDuty come from runtime/config.ts. */
  notifiers: Notifier[];
  /** The reputation providers enrichment asks, and those off with why. */
  reputation: ReputationSources;
  /** On or off, per adapter, for the start-up log. */
  notes: string[];
}

export function loadResponders(env: NodeJS.ProcessEnv): ConfiguredResponders {
  const users = loadAdapters(userDirectories, env);
  const containment = loadAdapters(hostContainments, env);
  const assets = loadAdapters(assetTrackers, env);
  const tickets = loadAdapters(ticketSystems, env);
  const managers = loadAdapters(managerDirectories, env);
  const notifiers = loadAdapters(extraNotifiers, env);
  const { notes: reputationNotes, ...reputation } = loadReputationSources(env);
  return {
    users: users.adapters,
    containment: containment.adapters,
    assets: assets.adapters,
    tickets: tickets.adapters,
    managers: managers.adapters,
    notifiers: notifiers.adapters,
    reputation,
    notes: [...[users, containment, assets, tickets, managers, notifiers].flatMap((loaded) => loaded.notes), ...reputationNotes],
  };
}
