import { type CanonicalCidr, canonicalCidr } from '../../domain/ip.ts';
import type { BlockTarget } from './enforcementPoint.ts';
import { readNote, type TemplateClient, targetValues } from './httpFirewallClient.ts';
import type { RulesTemplate } from './httpFirewallTemplate.ts';
import { valueAt } from './placeholders.ts';

/** More pages than any firewall's rule limit fills: a paging field that never ends cannot loop forever. */
const MAX_PAGES = 1_000;

interface Rule {
  /** Canonical. */
  address: string;
  id: string;
  /** From Riposte's note; a rule without one is someone else's and never expires as far as Riposte knows. */
  expiresAt: number;
}

/** The canonical text of a rule's address, or undefined for anything that is not an address or a network. */
function canonicalText(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    return canonicalCidr(value).text;
  } catch {
    return undefined;
  }
}

const idText = (value: unknown) => (typeof value === 'string' || typeof value === 'number' ? String(value) : undefined);

/**
 * A `rules` template at work: one rule per target, found by its note (or the list) whenever it is needed, so a rule
 * made by a worker that died is found by the next one. Calls on one target keep their order; at most `concurrency`
 * targets are worked on at once, since these APIs count requests per account.
 */
export function createRulesFirewall(template: RulesTemplate, client: TemplateClient, concurrency: number) {
  const byTarget = new Map<string, Promise<unknown>>();
  let running = 0;
  const waiting: (() => void)[] = [];

  async function slot<T>(work: () => Promise<T>): Promise<T> {
    if (running >= concurrency) await new Promise<void>((go) => waiting.push(go));
    running += 1;
    try {
      return await work();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  }

  function inOrder<T>(target: string, work: () => Promise<T>): Promise<T> {
    const run = (byTarget.get(target) ?? Promise.resolve()).then(() => slot(work), () => slot(work));
    const settled = run.catch(() => undefined);
    byTarget.set(target, settled);
    void settled.then(() => {
      if (byTarget.get(target) === settled) byTarget.delete(target);
    });
    return run;
  }

  async function listRules(): Promise<Rule[]> {
    const { list } = template;
    const rules: Rule[] = [];
    for (let page = 1; page <= MAX_PAGES; page += 1) {
      const answer = await client.send(list.request, { page });
      const items = client.arrayAt(answer.body, list.items, 'list.items');
      for (const item of items) {
        const address = canonicalText(valueAt(item, list.address));
        const id = idText(valueAt(item, list.id));
        if (address === undefined || id === undefined) continue;
        const note = list.note === undefined ? undefined : readNote(valueAt(item, list.note));
        rules.push({ address, id, expiresAt: note?.target === address ? note.expiresAt : Number.MAX_SAFE_INTEGER });
      }
      const last = list.pages ? Number(valueAt(answer.body, list.pages.last)) : 1;
      if (items.length === 0 || !(page < last)) break;
    }
    return rules;
  }

  /** The id of the target's rule, or undefined when there is none. */
  async function findRule(target: CanonicalCidr): Promise<string | undefined> {
    const { find } = template;
    if (!find) return (await listRules()).find((rule) => rule.address === target.text)?.id;
    const answer = await client.send(find.request, targetValues(template, target));
    if (answer.absent) return undefined;
    const item = client.arrayAt(answer.body, find.items, 'find.items').find((candidate) => canonicalText(valueAt(candidate, find.address)) === target.text);
    return item === undefined ? undefined : idText(valueAt(item, find.id));
  }

  return {
    apply: (target: CanonicalCidr, expiresAt: number) => inOrder(target.text, async () => {
      const values = targetValues(template, target, expiresAt);
      const ruleId = await findRule(target);
      if (ruleId === undefined) await client.send(template.apply, values);
      else if (template.extend) await client.send(template.extend, { ...values, ruleId });
    }),

    remove: (target: CanonicalCidr) => inOrder(target.text, async () => {
      const ruleId = await findRule(target);
      if (ruleId !== undefined) await client.send(template.remove, { ...targetValues(template, target), ruleId });
    }),

    async list(): Promise<BlockTarget[]> {
      const held = new Map<string, number>();
      for (const { address, expiresAt } of await listRules()) held.set(address, Math.max(expiresAt, held.get(address) ?? 0));
      return [...held].map(([address, expiresAt]) => ({ address, expiresAt }));
    },
  };
}
