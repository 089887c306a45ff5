import type { Entries } from './edlFile.ts';

/**
 * The shrink guard of a pulled feed. A firewall applies whatever list a fetch returns, so a list that suddenly loses
 * most of its entries (a lost block history, a mistaken mass unblock, reconcile against an empty intent) would lift
 * those blocks everywhere at once. Such a shrink is held: the entries it dropped keep being served, and the operators
 * are told, until an admin releases it or the list recovers.
 *
 * Only a change counts: an entry removed within EXPIRY_GRACE_MS of its own expiry ran to its end (the block shards
 * remove blocks when they end), and entries that expire are never served anyway.
 */

export interface ShrinkGuardSettings {
  /** Held when the dropped entries are more than this share of the list (entries plus dropped); 1 turns it off. */
  share: number;
  /** A list smaller than this (entries plus dropped) is never held. */
  minEntries: number;
  /** Drops this close together count as one shrink: about the longest interval at which a consumer pulls. */
  windowMs: number;
}

/** The guard's part of the file, written with the entries. */
export interface ShrinkState {
  /** Entries a change removed before their expiry: key → [expiresAt, droppedAt]. Served again while held. */
  dropped: Record<string, [number, number]>;
  held?: { since: number; notified: boolean };
}

/** An admin's release of one hold, written by the API next to the file (the worker is the file's only writer). */
export interface ShrinkRelease {
  /** The `held.since` of the hold released; a later hold is not released by it. */
  since: number;
  by: string;
  at: string;
}

export const EXPIRY_GRACE_MS = 60_000;

export const isReleased = (state: ShrinkState | undefined, release: ShrinkRelease | undefined): boolean =>
  state?.held !== undefined && release?.since === state.held.since;

/** The state after a write that turned `before` into `after`. */
export function guardStep(state: ShrinkState | undefined, before: Entries, after: Entries, now: number, settings: ShrinkGuardSettings, release?: ShrinkRelease): ShrinkState {
  const current = isReleased(state, release) ? { dropped: {} } : state ?? { dropped: {} };
  const held = current.held;
  const dropped: ShrinkState['dropped'] = {};
  for (const [key, [expiresAt, droppedAt]] of Object.entries(current.dropped)) {
    // While held, every withheld entry stays until its own expiry; otherwise only the window's drops are counted.
    if (expiresAt > now && !after.has(key) && (held || droppedAt > now - settings.windowMs)) dropped[key] = [expiresAt, droppedAt];
  }
  for (const [key, expiresAt] of before) {
    if (!after.has(key) && expiresAt > now + EXPIRY_GRACE_MS) dropped[key] = [expiresAt, now];
  }
  const count = Object.keys(dropped).length;
  const total = after.size + count;
  const holds = total >= settings.minEntries && count > settings.share * total;
  return { dropped, ...(holds ? { held: held ?? { since: now, notified: false } } : {}) };
}

/** What the feed serves: the entries, and while a hold stands, the unexpired entries it withholds dropping. */
export function served(entries: Entries, state: ShrinkState | undefined, now: number, release?: ShrinkRelease): Entries {
  if (!state?.held || isReleased(state, release)) return entries;
  const all = new Map(entries);
  for (const [key, [expiresAt]] of Object.entries(state.dropped)) if (expiresAt > now && !all.has(key)) all.set(key, expiresAt);
  return all;
}
