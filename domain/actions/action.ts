import type { z } from 'zod';
import type { DomainFeed } from '../../activities/domains/domainFeed.ts';
import type { IncidentNotification } from '../../activities/notify/notification.ts';
import type { AssetTracker, HostContainment } from '../../activities/hosts/hostContainment.ts';
import type { TicketSystem } from '../../activities/ticket/ticketSystem.ts';
import type { UserDirectory } from '../../activities/users/userDirectory.ts';
import type { EntityKind } from '../entity.ts';
import type { CompiledProtection } from '../protect.ts';
import type { CanonicalCidr } from '../ip.ts';
import type { Reputation } from '../reputation.ts';

/** What an incident tells the systems it acts on: enough for a ticket, a notification or an audit line. */
export interface IncidentBrief {
  id: string;
  playbook: string;
  title: string;
  entity: string;
  entityKind: EntityKind;
  alertCount: number;
  severity: number;
  mode: 'observe' | 'approve' | 'auto';
  status: string;
  /** One sentence on what is being done or was done. */
  summary: string;
  geo?: { country?: string; city?: string };
  /** What the reputation providers said of an address (domain/reputation.ts). */
  reputation?: Reputation;
  links: { incident?: string; temporalUi?: string };
  /** For audit records and the block workflow: the policy version, sample alerts, who authorised it, where blocks go. */
  policyVersion: string;
  alertIds: string[];
  actor: string;
  enforcementPoints: string[];
  /** How often a block tries a point that refused it again (the policy's enforcement.retryFailedEvery). */
  retryFailedEveryMs?: number;
  /** When the incident opened (ISO 8601), carried to its blocks' audit records for the time to contain. */
  openedAt?: string;
}

/** What the notifiers are told of an incident: its brief, with the summary as the action, and whom to reach directly. */
export function notificationOf(incident: IncidentBrief, direct: { recipients?: string[]; slackMentions?: string[] } = {}): IncidentNotification {
  const { id, playbook, title, entity, entityKind, alertCount, severity, geo, reputation, mode, status, summary, links } = incident;
  return {
    incidentId: id, playbook, title, entity, entityKind, alertCount, severity, geo, mode, status, action: summary, links,
    ...(reputation ? { reputation } : {}),
    ...(direct.recipients?.length ? { recipients: direct.recipients } : {}),
    ...(direct.slackMentions?.length ? { slackMentions: direct.slackMentions } : {}),
  };
}

/** A block as its lease: which block workflow run holds this incident's request, so a revert reaches that run only. */
export type GrantedLease = Required<Pick<BlockLease, 'workflowId' | 'address' | 'leaseId'>>;

/** The grant behind an incident's block: the shard that holds it and the lease id it gave (before shards, a run id). */
export interface BlockLease {
  workflowId: string;
  address?: string;
  leaseId?: string;
  runId?: string;
}

/** The block workflows, as the block action sees them (activities/blocks.ts). */
export interface BlockLeases {
  request(input: { address: string; durationMs: number; reason: string; incident: IncidentBrief }): Promise<GrantedLease>;
  /** Withdraws this incident's request from that run; the block ends when no request is left. */
  withdraw(lease: BlockLease, input: { incidentId: string; by: string; reason: string }): Promise<'withdrawn' | 'already_ended'>;
}

/**
 * Sends an incident message on named routes; `recipients` are people to tell directly (e-mail), `slackMentions` Slack
 * members the channel message names.
 */
export interface IncidentMessenger {
  send(input: { routes: readonly string[]; incident: IncidentBrief; recipients?: string[]; slackMentions?: string[] }): Promise<{ sent: string[]; skipped: string[] }>;
  /** The manager of a user, from the configured manager directory; undefined when unknown. */
  managerOf(user: string): Promise<{ email?: string; name?: string; slack?: string } | undefined>;
}

/** Every system an action may touch, as interfaces; each list holds the adapters configured on this worker. */
export interface ActionPorts {
  blocks: BlockLeases;
  users: readonly UserDirectory[];
  containment: readonly HostContainment[];
  assets: readonly AssetTracker[];
  tickets: readonly TicketSystem[];
  domainFeed?: DomainFeed;
  messenger: IncidentMessenger;
}

/** What must never be acted on: the allowlist for addresses, `protect:` for users, hosts and domains. */
export interface Guard {
  allowlist: readonly CanonicalCidr[];
  protect: CompiledProtection;
}

export interface ActionResult {
  /** `skipped`: nothing configured to carry it out, said in `detail`. */
  outcome: 'done' | 'skipped';
  detail: string;
  /** What a revert needs: vendor ids, the block lease. Kept in the incident's state, so small. */
  ref?: Record<string, string>;
}

/**
 * One kind of response action: one file in domain/actions/ plus one line in its index. Pure: `apply` and `revert`
 * reach the world only through the ports they are handed, so the workflow can import the kind for its metadata and
 * the activity runs it.
 */
export interface ActionKind<P = unknown> {
  readonly name: string;
  readonly params: z.ZodType<P>;
  /** Changes the world in a way the kill switch must hold and the two-person rule may cover. */
  readonly containment: boolean;
  /** Counts towards the mass-action circuit breaker. */
  readonly breaker: boolean;
  /** Keeps the entity from doing harm (a block, a disabled account, an isolated host): what makes an incident `contained`. */
  readonly holds: boolean;
  /**
   * The audit trail's names for its apply and revert, when `<name>.apply` would say the wrong thing: a block's apply is a
   * request to the block workflow, whose enforcement calls are the `block.apply` records.
   */
  readonly auditAs?: { apply: string; revert: string };
  /** Needs this many distinct approvers under the policy's `approvals:` key (default 1); absent: not covered. */
  readonly approvalKey?: string;
  /** The canonical entity it acts on. */
  target(params: P): string;
  describe(params: P): string;
  /** Why the guard forbids it, or undefined. Checked in the plan and again in the activity, failing closed. */
  refusal(params: P, guard: Guard): string | undefined;
  /** Stable across retries and replays: the same incident asking the same thing twice acts once. */
  idempotencyKey(incidentId: string, params: P): string;
  apply(ports: ActionPorts, params: P, incident: IncidentBrief): Promise<ActionResult>;
  /** Undoes `apply`, given what it returned; absent when the action cannot be undone. */
  revert?(ports: ActionPorts, params: P, incident: IncidentBrief, applied: ActionResult, by: string): Promise<ActionResult>;
}

/** The `ref` key naming the adapters an apply found already as asked: a revert leaves those alone. */
export const UNCHANGED = 'unchanged';

/** Runs one call on every configured adapter of a kind; none configured is a `skipped` result naming what to set. */
export async function onEvery<A extends { name: string }>(adapters: readonly A[], missing: string, call: (adapter: A) => Promise<{ detail: string; ref?: string; unchanged?: true }>): Promise<ActionResult> {
  if (adapters.length === 0) return { outcome: 'skipped', detail: missing };
  const results = await Promise.all(adapters.map(async (adapter) => ({ name: adapter.name, ...(await call(adapter)) })));
  const ref: Record<string, string> = Object.fromEntries(results.filter((r) => r.ref !== undefined).map((r) => [r.name, r.ref!]));
  const unchanged = results.filter((r) => r.unchanged).map((r) => r.name);
  if (unchanged.length > 0) ref[UNCHANGED] = unchanged.join(',');
  return { outcome: 'done', detail: results.map((r) => `${r.name}: ${r.detail}`).join('; '), ...(Object.keys(ref).length > 0 ? { ref } : {}) };
}

/** A revert on the adapters whose apply changed something: what was already so before the incident stays so. */
export async function onChanged<A extends { name: string }>(adapters: readonly A[], applied: ActionResult, missing: string, call: (adapter: A) => Promise<{ detail: string; ref?: string }>): Promise<ActionResult> {
  const untouched = new Set((applied.ref?.[UNCHANGED] ?? '').split(',').filter(Boolean));
  const changed = adapters.filter((adapter) => !untouched.has(adapter.name));
  if (adapters.length > 0 && changed.length === 0) return { outcome: 'done', detail: `left as it was before this incident (${[...untouched].join(', ')})` };
  return onEvery(changed, missing, call);
}
