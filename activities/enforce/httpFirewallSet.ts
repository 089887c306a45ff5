import { setImmediate } from 'node:timers';
import { ApplicationFailure } from '@temporalio/common';
import { type CanonicalCidr, canonicalCidr } from '../../domain/ip.ts';
import { VENDOR_UNAVAILABLE } from '../vendorHttp.ts';
import type { BlockTarget } from './enforcementPoint.ts';
import { type TemplateClient, targetValues, VENDOR_CONFLICT } from './httpFirewallClient.ts';
import type { SetTemplate } from './httpFirewallTemplate.ts';
import { renderRaw } from './placeholders.ts';

/** Reads and writes of one change before it is left to the activity's retry: another writer that busy is an outage. */
const MAX_CONFLICTS = 5;

/**
 * A set keeps no expiries, and it is Riposte's alone (the docs ask for a set of its own): its entries are listed with
 * this finite expiry, so reconcile removes the ones no live block accounts for, and a retried apply finds nothing held
 * at the asked expiry and applies again, which changes nothing in the set.
 */
const UNKNOWN_EXPIRY = 0;

type SetSpec = SetTemplate['sets'][number];

interface Change {
  target: CanonicalCidr;
  add: boolean;
  resolve(): void;
  reject(err: unknown): void;
}

function canonicalText(entry: string): string | undefined {
  try {
    return canonicalCidr(entry).text;
  } catch {
    return undefined;
  }
}

/**
 * A `set` template at work. Every change to one set that arrives while a write is under way waits for the next one,
 * so a batch of 2,000 blocks is one read and one write rather than 2,000 racing read-modify-writes, each of which would
 * lose to the others' lock tokens. Entries Riposte did not write are kept as they are.
 */
export function createSetFirewall(template: SetTemplate, client: TemplateClient, variable: (name: string) => string | undefined) {
  const sets = template.sets.filter((set) => set.enabledBy === undefined || Boolean(variable(set.enabledBy)));
  const queues = new Map<SetSpec, { pending: Change[]; draining: boolean }>(sets.map((set) => [set, { pending: [], draining: false }]));

  async function read(set: SetSpec) {
    const answer = await client.send(set.read);
    const entries = client.arrayAt(answer.body, set.addresses, 'sets.addresses').filter((entry): entry is string => typeof entry === 'string');
    return { answer, entries };
  }

  /** The set's entries after the changes, in order: an entry is written once, in the template's element form. */
  function changed(entries: readonly string[], changes: readonly Change[]): string[] {
    let next = [...entries];
    for (const { target, add } of changes) {
      const present = next.some((entry) => canonicalText(entry) === target.text);
      if (add && !present) next.push(renderRaw(template.element, (name) => targetValues(template, target)[name]));
      if (!add && present) next = next.filter((entry) => canonicalText(entry) !== target.text);
    }
    return next;
  }

  async function commit(set: SetSpec, changes: readonly Change[]): Promise<void> {
    for (let attempt = 1; attempt <= MAX_CONFLICTS; attempt += 1) {
      const { answer, entries } = await read(set);
      const next = changed(entries, changes);
      if (next.length === entries.length && next.every((entry, i) => entry === entries[i])) return;
      try {
        await client.send(set.write, { addresses: next }, answer.body);
        return;
      } catch (err) {
        if (!(err instanceof ApplicationFailure && err.type === VENDOR_CONFLICT)) throw err;
      }
    }
    throw ApplicationFailure.create({ message: `${client.label}: the set kept changing under ${MAX_CONFLICTS} writes in a row`, type: VENDOR_UNAVAILABLE });
  }

  async function drain(set: SetSpec): Promise<void> {
    const queue = queues.get(set)!;
    while (queue.pending.length > 0) {
      const changes = queue.pending.splice(0);
      try {
        await commit(set, changes);
        for (const change of changes) change.resolve();
      } catch (err) {
        for (const change of changes) change.reject(err);
      }
    }
    queue.draining = false;
  }

  function enqueue(target: CanonicalCidr, add: boolean): Promise<void> {
    const set = sets.find((candidate) => candidate.family === target.family);
    if (!set) {
      if (!add) return Promise.resolve();
      const off = template.sets.find((candidate) => candidate.family === target.family)?.enabledBy;
      return Promise.reject(ApplicationFailure.nonRetryable(`${client.label} has no set for IPv${target.family}${off ? ` (set ${off} to use one)` : ''}`, 'UnsupportedTarget'));
    }
    const queue = queues.get(set)!;
    return new Promise<void>((resolve, reject) => {
      queue.pending.push({ target, add, resolve, reject });
      if (queue.draining) return;
      queue.draining = true;
      // The next turn of the event loop lets the calls of one batch, which arrive together, share the first write.
      setImmediate(() => void drain(set));
    });
  }

  return {
    apply: (target: CanonicalCidr) => enqueue(target, true),
    remove: (target: CanonicalCidr) => enqueue(target, false),
    async list(): Promise<BlockTarget[]> {
      const lists = await Promise.all(sets.map(async (set) => (await read(set)).entries));
      const held = new Set(lists.flat().map(canonicalText).filter((text): text is string => text !== undefined));
      return [...held].map((address) => ({ address, expiresAt: UNKNOWN_EXPIRY }));
    },
  };
}
