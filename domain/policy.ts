import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration.ts';
import { cidrField } from './addressFields.ts';

export const MODES = ['observe', 'approve', 'auto'] as const;
export type Mode = (typeof MODES)[number];

export const ENFORCEMENT_POINTS = ['nftables', 'edl', 'log'] as const;
export type EnforcementPointName = (typeof ENFORCEMENT_POINTS)[number];

export const NOTIFICATION_ROUTES = ['slack', 'webhook'] as const;
export type NotificationRoute = (typeof NOTIFICATION_ROUTES)[number];

const duration = z.string().regex(DURATION_PATTERN, 'a whole number followed by s, m, h or d, e.g. 24h').transform(parseDuration);


const playbookPolicySchema = z.object({
  mode: z.enum(MODES).default('approve'),
  blockDuration: duration.default(parseDuration('24h')),
  approvalTimeout: duration.default(parseDuration('1h')),
  reviewWindow: duration.default(parseDuration('24h')),
  notify: z.array(z.enum(NOTIFICATION_ROUTES)).default(['slack', 'webhook']),
}).strict();

/** The response policy file (config/policy.yaml); durations arrive as text and leave as milliseconds. */
export const policySchema = z.object({
  allowlist: z.array(cidrField).default([]),
  playbooks: z.record(z.string(), playbookPolicySchema).default({}),
  enforcement: z.object({
    points: z.array(z.enum(ENFORCEMENT_POINTS)).min(1).default(['edl', 'log']),
    // Enforced by the Temporal server on the enforcement task queue, across every worker polling it.
    maxActionsPerSecond: z.number().positive().max(10_000).default(100),
  }).strict().default({ points: ['edl', 'log'], maxActionsPerSecond: 100 }),
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
