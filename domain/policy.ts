import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.ts';
import { cidrField } from './addressFields.ts';
import { actionNames } from './actions/index.ts';
import { protectSchema } from './protect.ts';
import { autoWhenSchema } from './reputation.ts';
import { DEFAULT_REDACTED_FIELDS, sourcePolicySchema } from './sourceMapping.ts';

export const MODES = ['observe', 'approve', 'auto'] as const;
export type Mode = (typeof MODES)[number];

/** An enforcement point's name; runtime/policyFile.ts checks it against activities/enforce/registry.ts. */
const enforcementPointName = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'a point name such as nftables');

export const NOTIFICATION_ROUTES = ['slack', 'webhook', 'pagerduty', 'teams', 'email', 'mattermost'] as const;
export type NotificationRoute = (typeof NOTIFICATION_ROUTES)[number];

const duration = z.string().regex(DURATION_PATTERN, 'a whole number followed by s, m, h or d, e.g. 24h').transform(parseDuration);


const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const WINDOW_PATTERN = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat)(?:-(Sun|Mon|Tue|Wed|Thu|Fri|Sat))? ([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$/;

/** A weekly window such as `Sat-Sun 01:00-05:00`: on each of those days, from the first time to the second. */
export interface WeeklyWindow {
  text: string;
  /** Days of the week, 0 = Sunday. */
  days: number[];
  /** Minutes after midnight: from inclusive, to exclusive. A window that ends before it starts runs past midnight. */
  fromMinute: number;
  toMinute: number;
}

const weeklyWindow = z.string().transform((text, ctx): WeeklyWindow => {
  const match = text.match(WINDOW_PATTERN);
  if (!match) {
    ctx.addIssue({ code: 'custom', message: 'a window such as "Sat-Sun 01:00-05:00" or "Mon 22:00-06:00": day names Sun..Sat, 24-hour times' });
    return z.NEVER;
  }
  const first = DAY_NAMES.indexOf(match[1] as (typeof DAY_NAMES)[number]);
  const last = match[2] ? DAY_NAMES.indexOf(match[2] as (typeof DAY_NAMES)[number]) : first;
  const days: number[] = [];
  for (let day = first; ; day = (day + 1) % 7) {
    days.push(day);
    if (day === last) break;
  }
  const fromMinute = Number(match[3]) * 60 + Number(match[4]);
  const toMinute = Number(match[5]) * 60 + Number(match[6]);
  if (toMinute > 24 * 60 || fromMinute === toMinute) {
    ctx.addIssue({ code: 'custom', message: 'the window must not be empty, and end at 24:00 at the latest' });
    return z.NEVER;
  }
  return { text, days, fromMinute, toMinute };
});

const timeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone name, e.g. Europe/Paris or UTC');

/** Each address's offence history ends itself this long after its newest offence, so no memory can be longer. */
export const MAX_OFFENCE_MEMORY_MS = parseDuration('365d');

const ladderSteps = z.array(duration).min(1).max(10);
const durationLadder = z.unknown().transform((value, ctx): number[] => {
  if (typeof value !== 'string' && !Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'a duration such as 24h, or a ladder such as [24h, 7d, 30d]' });
    return z.NEVER;
  }
  const parsed = ladderSteps.safeParse(typeof value === 'string' ? [value] : value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: typeof value === 'string' ? [] : issue.path });
  return z.NEVER;
});

const prefixLengths = (ipv4: number, ipv6: number) => z.object({
  ipv4: z.number().int().min(0).max(32).default(ipv4),
  ipv6: z.number().int().min(0).max(128).default(ipv6),
}).strict().default({ ipv4, ipv6 });

/** A key naming a response action (domain/actions/), or `wide_block` for ranges wider than maxBlockWidth. */
const actionKey = (extra: readonly string[] = []) => z.string().refine((key) => [...actionNames(), ...extra].includes(key), {
  message: `an action: ${actionNames().join(', ')}`,
});

const playbookPolicySchema = z.object({
  mode: z.enum(MODES).default('approve'),
  // One duration, or a ladder: the n-th offence of an address within the memory gets the n-th step (the last repeats).
  blockDuration: durationLadder.default([parseDuration('24h')]),
  // The prefix each block covers: 32/128 blocks the address itself, 64 for IPv6 covers the attacker's whole subnet.
  blockPrefix: prefixLengths(32, 128),
  thresholds: z.object({
    // Below either, the incident is recorded and notified but nothing is contained.
    minAlerts: z.number().int().min(1).max(1_000_000).default(1),
    minSeverity: z.number().int().min(1).max(10).default(1),
  }).strict().default({ minAlerts: 1, minSeverity: 1 }),
  approvalTimeout: duration.default(parseDuration('1h')),
  onApprovalTimeout: z.enum(['deny', 'escalate']).default('deny'),
  // Where an escalation goes; after it the incident waits one more approvalTimeout, then is denied.
  escalateTo: z.array(z.enum(NOTIFICATION_ROUTES)).min(1).default(['pagerduty']),
  autoApproveWindows: z.array(weeklyWindow).default([]),
  timeZone: timeZone.default('UTC'),
  reviewWindow: duration.default(parseDuration('24h')),
  notify: z.array(z.enum(NOTIFICATION_ROUTES)).default(['slack', 'webhook']),
  // Per-action modes over the playbook's: e.g. tag a host at once (auto) while isolating it waits for a person.
  actionModes: z.record(actionKey(), z.enum(MODES)).default({}),
  // Approve mode acts at once when the address's reputation says so, e.g. { abuseConfidenceAtLeast: 90 }. Absent from
  // policies that incidents recorded before it existed, so it has no default.
  autoWhen: autoWhenSchema.optional(),
  // Impossible travel: faster than this between two logins is flagged; closer than minDistanceKm, or from the
  // trusted ranges (corporate egress, VPN), is never.
  travel: z.object({
    maxSpeedKmh: z.number().positive().max(100_000).default(1000),
    minDistanceKm: z.number().min(0).max(20_000).default(300),
    trustedRanges: z.array(cidrField).default([]),
    // Also disable the account, behind a person's approval whatever the mode.
    disableUser: z.boolean().default(false),
  }).strict().default({ maxSpeedKmh: 1000, minDistanceKm: 300, trustedRanges: [], disableUser: false }),
  // Phishing: also put the clicked URL's domain on the domain feed for this long. Absent: the feed is left alone.
  domainBlockDuration: duration.optional(),
}).strict();

/** The response policy file (config/policy.yaml); durations arrive as text and leave as milliseconds. */
export const policySchema = z.object({
  allowlist: z.array(cidrField).default([]),
  // A block wider than these prefixes (fewer bits) needs a person's approval whatever the playbook's mode.
  maxBlockWidth: prefixLengths(24, 48),
  // More than maxNewBlocks new blocks within `window` trips the breaker: further blocks wait for approval.
  circuitBreaker: z.object({
    maxNewBlocks: z.number().int().min(1).max(1_000_000).default(50),
    window: duration.default(parseDuration('10m')),
  }).strict().default({ maxNewBlocks: 50, window: parseDuration('10m') }),
  // The promotion report recommends a playbook's next mode (observe → approve → auto) once at least minVerdicts
  // verdicts were given on what it would have done, and at least minPrecision of them were true positives.
  promotion: z.object({
    minPrecision: z.number().min(0).max(1).default(0.95),
    minVerdicts: z.number().int().min(1).max(1_000_000).default(20),
  }).strict().default({ minPrecision: 0.95, minVerdicts: 20 }),
  // How long an expired block still counts as an offence for the blockDuration ladder.
  offenceMemory: duration.refine((ms) => ms <= MAX_OFFENCE_MEMORY_MS, 'at most 365d').default(parseDuration('90d')),
  // Users, hosts and domains never disabled, isolated, tagged or blocklisted: the allowlist's siblings. Globs allowed.
  protect: protectSchema,
  // How many different people must approve an action of this kind when it needs approval (the two-person rule).
  approvals: z.record(actionKey(['wide_block']), z.number().int().min(1).max(3)).default({}),
  playbooks: z.record(z.string(), playbookPolicySchema).default({}),
  // Per SIEM source (api/sources/), its rule keys to alert types, e.g. wazuh: { types: { "group:sshd": auth.failure } }.
  sources: z.record(z.string(), sourcePolicySchema).default({}),
  // Field names whose values an alert's bounded copy of the SIEM's body (`raw`) never keeps.
  redactFields: z.array(z.string().min(1).max(100)).default(DEFAULT_REDACTED_FIELDS),
  enforcement: z.object({
    points: z.array(enforcementPointName).min(1).default(['edl', 'log']),
    // Blocks applied or removed per second by each enforcement worker process (activities/enforce/enforcementRate.ts).
    maxActionsPerSecond: z.number().positive().max(10_000).default(100),
    // How often a block tries again at a point that refused it (a firewall down, a namespace gone), until it expires.
    retryFailedEvery: duration.default(parseDuration('1m')),
    // How often every point is compared with the live blocks: what is missing is put back, Riposte's stale entries go.
    reconcileEvery: duration.refine((ms) => ms >= 5_000, 'at least 5s').default(parseDuration('30s')),
    // Who hears when a point holds less than every live block for two reconcile cycles in a row, and when it recovers.
    notify: z.array(z.enum(NOTIFICATION_ROUTES)).default(['slack', 'webhook']),
  }).strict().default({ points: ['edl', 'log'], maxActionsPerSecond: 100, retryFailedEvery: parseDuration('1m'), reconcileEvery: parseDuration('30s'), notify: ['slack', 'webhook'] }),
}).strict();

export type PlaybookPolicy = z.output<typeof playbookPolicySchema>;
export type PolicyDocument = z.output<typeof policySchema>;

/** What an incident carries of the policy: fixed at start, so a policy change applies to new incidents only. */
export interface PolicySnapshot extends PolicyDocument {
  /** Hash of the policy file's bytes. */
  version: string;
}

export const DEFAULT_PLAYBOOK_POLICY: PlaybookPolicy = playbookPolicySchema.parse({});

export function playbookPolicy(policy: PolicySnapshot, playbook: string): PlaybookPolicy {
  return policy.playbooks[playbook] ?? DEFAULT_PLAYBOOK_POLICY;
}

/** The ladder step for an address with this many earlier offences: the last step repeats. */
export function blockDurationFor(policy: PlaybookPolicy, priorOffences: number): number {
  const ladder = policy.blockDuration;
  return ladder[Math.min(priorOffences, ladder.length - 1)]!;
}
