import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { BlockTarget } from './enforcementPoint.ts';
import { guardStep, isReleased, served, type ShrinkGuardSettings, type ShrinkRelease, type ShrinkState } from './shrinkGuard.ts';

/** Key → expiry (epoch milliseconds). */
export type Entries = Map<string, number>;
type Change = (entries: Entries) => void;

/** A shrink the guard holds back (shrinkGuard.ts), as the feed's readers see it. */
export interface FeedHold {
  /** Epoch milliseconds when the hold began; also what a release names. */
  since: number;
  /** Entries a change dropped that the feed still serves. */
  withheld: number;
  /** Entries the feed would serve without the hold. */
  entries: number;
  /** A few of the withheld entries, for the operator deciding whether to release. */
  sample: string[];
  /** Set once an admin released it; the feed serves the entries alone from then on. */
  released?: { by: string; at: string };
}

export interface ShrinkGuardOptions {
  settings: ShrinkGuardSettings;
  /** Told once per hold; when it fails it is told again after the next write or announceHold(). */
  onHeld?: (hold: FeedHold) => Promise<void>;
}

interface FileDocument {
  entries: Entries;
  shrink?: ShrinkState;
}

const SAMPLE = 20;

/**
 * Keys with expiries in a JSON file replaced atomically (write, fsync, rename), so a crash leaves either the old list
 * or the new one, never half of one: the durable list behind a pulled feed. One writer per file (the worker that
 * enforces); readers may be anywhere. Changes that arrive while a write is under way share the next write, so a burst
 * of blocks costs one rewrite of the file rather than one each. Expired entries are never read, so every write prunes
 * them. With a shrink guard the writer also keeps what a large shrink withholds, and readers serve it until the hold
 * ends; an admin's release is a file of its own (`<path>.release.json`, written by the API), so the list keeps one
 * writer.
 */
export class ExpiringFile {
  private pending: { change: Change; done: (err?: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;
  private announcing: Promise<void> | undefined;
  /** The hold whose notice went out, recorded in the file at the next write. */
  private notifiedSince: number | undefined;

  constructor(readonly path: string, private readonly guard?: ShrinkGuardOptions) {}

  private get releasePath(): string {
    return `${this.path}.release.json`;
  }

  /** The unexpired entries. A missing file is an empty list; a malformed one is an error, never an empty list. */
  async entries(now = Date.now()): Promise<Entries> {
    return (await this.document(now)).entries;
  }

  /** What the feed serves: the entries, and while a shrink is held, the entries it withholds dropping. */
  async served(now = Date.now()): Promise<Entries> {
    const [{ entries, shrink }, release] = await Promise.all([this.document(now), this.readRelease()]);
    return served(entries, shrink, now, release);
  }

  /** The shrink held back now, if any, released or not. */
  async hold(now = Date.now()): Promise<FeedHold | undefined> {
    const [document, release] = await Promise.all([this.document(now), this.readRelease()]);
    return holdOf(document, release, now);
  }

  /** Lets the shrink held now go out; undefined when nothing is held or it is released already. */
  async release(by: string, now = Date.now()): Promise<FeedHold | undefined> {
    const hold = await this.hold(now);
    if (!hold || hold.released) return undefined;
    const release: ShrinkRelease = { since: hold.since, by, at: new Date(now).toISOString() };
    await writeAtomically(this.releasePath, JSON.stringify(release));
    return { ...hold, released: { by: release.by, at: release.at } };
  }

  /** Sends the notice of a hold that has not gone out yet (a failed send, a worker restarted since). */
  async announceHold(now = Date.now()): Promise<void> {
    if (!this.guard?.onHeld) return;
    const [document, release] = await Promise.all([this.document(now), this.readRelease()]);
    if (document.shrink?.held && !document.shrink.held.notified) this.announce(holdOf(document, release, now));
  }

  /** Sets an entry's expiry, never shortening it: a shorter request must not cut an earlier, longer one short. */
  add(key: string, expiresAt: number): Promise<void> {
    return this.update((entries) => {
      entries.set(key, Math.max(expiresAt, entries.get(key) ?? 0));
    });
  }

  /** Removing an absent key succeeds, so a retried removal does too. */
  remove(key: string): Promise<void> {
    return this.update((entries) => {
      entries.delete(key);
    });
  }

  update(change: Change): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ change, done: (err) => (err === undefined ? resolve() : reject(err)) });
      this.writing ??= this.drain();
    });
  }

  private async document(now: number): Promise<FileDocument> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { entries: new Map() };
      throw err;
    }
    return parseDocument(text, this.path, now);
  }

  /** An unreadable release is no release: the hold stands, which is the safe side. */
  private async readRelease(): Promise<ShrinkRelease | undefined> {
    try {
      const release = JSON.parse(await readFile(this.releasePath, 'utf8')) as Partial<ShrinkRelease>;
      return typeof release.since === 'number' && typeof release.by === 'string' && typeof release.at === 'string' ? release as ShrinkRelease : undefined;
    } catch {
      return undefined;
    }
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        const now = Date.now();
        const document = await this.document(now);
        const before = new Map(document.entries);
        for (const { change } of batch) change(document.entries);
        const shrink = this.guard ? guardStep(document.shrink, before, document.entries, now, this.guard.settings, await this.readRelease()) : undefined;
        if (shrink?.held && shrink.held.since === this.notifiedSince) shrink.held = { ...shrink.held, notified: true };
        await writeAtomically(this.path, formatDocument({ entries: document.entries, shrink }));
        for (const { done } of batch) done();
        if (shrink?.held && !shrink.held.notified) this.announce(holdOf({ entries: document.entries, shrink }, undefined, now));
      } catch (err) {
        for (const { done } of batch) done(err);
      }
    }
    this.writing = undefined;
  }

  /** One notice at a time, never in the way of the writes; success is recorded in the file by the next write. */
  private announce(hold: FeedHold | undefined): void {
    const onHeld = this.guard?.onHeld;
    if (!hold || hold.released || !onHeld || this.announcing) return;
    this.announcing = onHeld(hold)
      .then(() => {
        this.notifiedSince = hold.since;
        return this.update(() => undefined);
      })
      .catch(() => undefined)
      .finally(() => {
        this.announcing = undefined;
      });
  }
}

function holdOf({ entries, shrink }: FileDocument, release: ShrinkRelease | undefined, now: number): FeedHold | undefined {
  if (!shrink?.held) return undefined;
  const withheld = Object.entries(shrink.dropped).filter(([key, [expiresAt]]) => expiresAt > now && !entries.has(key)).map(([key]) => key).sort();
  return {
    since: shrink.held.since,
    withheld: withheld.length,
    entries: entries.size,
    sample: withheld.slice(0, SAMPLE),
    ...(release && isReleased(shrink, release) ? { released: { by: release.by, at: release.at } } : {}),
  };
}

function formatDocument({ entries, shrink }: FileDocument): string {
  const kept = shrink && (shrink.held || Object.keys(shrink.dropped).length > 0) ? { shrink } : {};
  return JSON.stringify({ entries: Object.fromEntries([...entries].sort()), ...kept });
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const handle = await open(tmp, 'w', 0o640);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

const isExpiry = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A hand-edited or truncated file fails loudly: serving it as empty would lift every block at once. */
function parseDocument(text: string, path: string, now: number): FileDocument {
  const document = JSON.parse(text) as { entries?: unknown; shrink?: unknown } | null;
  const entries = document?.entries;
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) throw new Error(`${path}: no "entries" object`);
  const parsed = Object.entries(entries).map(([key, expiresAt]): [string, number] => {
    if (!isExpiry(expiresAt)) throw new Error(`${path}: the expiry of ${key} is not a number`);
    return [key, expiresAt];
  });
  return { entries: new Map(parsed.filter(([, expiresAt]) => expiresAt > now)), ...(document?.shrink === undefined ? {} : { shrink: parseShrink(document.shrink, path) }) };
}

function parseShrink(value: unknown, path: string): ShrinkState {
  const { dropped, held } = (value ?? {}) as { dropped?: unknown; held?: { since?: unknown; notified?: unknown } };
  const valid = typeof dropped === 'object' && dropped !== null && !Array.isArray(dropped)
    && Object.values(dropped).every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every(isExpiry))
    && (held === undefined || (isExpiry(held.since) && typeof held.notified === 'boolean'));
  if (!valid) throw new Error(`${path}: the "shrink" section is malformed`);
  return value as ShrinkState;
}

/** The IP feed's file (GET /v1/feeds/blocklist.txt): its keys are canonical addresses and ranges. */
export class EdlFile extends ExpiringFile {
  /** What the feed serves: the live blocks, and while a shrink is held, those it withholds removing. */
  async read(now = Date.now()): Promise<BlockTarget[]> {
    return [...(await this.served(now))].map(([address, expiresAt]) => ({ address, expiresAt }));
  }

  /** The live blocks alone: what the enforcement point holds for reconcile. */
  async live(now = Date.now()): Promise<BlockTarget[]> {
    return [...(await this.entries(now))].map(([address, expiresAt]) => ({ address, expiresAt }));
  }
}
