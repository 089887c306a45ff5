import { type Client, WorkflowNotFoundError } from '@temporalio/client';
// The SDK turns raw executions into typed ones only inside its own iterator, which hides the page token.
import { executionInfoFromRaw } from '@temporalio/client/lib/helpers.js';
import { Router } from 'express';
import { z } from 'zod';
import { createBlockActivities } from '../../activities/blocks.ts';
import { blockTargetField } from '../../domain/addressFields.ts';
import { addToBatch, EMPTY_BATCH } from '../../domain/alert.ts';
import type { IncidentInput } from '../../domain/incident.ts';
import { DURATION_PATTERN, formatDuration, parseDuration } from '../../domain/duration.ts';
import { allowlistOverlap, type CanonicalCidr, canonicalBlockTarget, canonicalCidr } from '../../domain/ip.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { blockWorkflowId } from '../../workflows/ids.ts';
import { blockStatusQuery, statusQuery, unblockSignal } from '../../workflows/messages.ts';
import { entityAttribute, expiresAtAttribute, statusAttribute } from '../../workflows/searchAttributes.ts';
import { ENFORCEMENT_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import { manualBlock } from '../../playbooks/manual-block.ts';
import { roleGrants } from '../access.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';
import { signalIncident } from '../incidentStarter.ts';

/** Every block expires; a manual one may not be set for longer than this. */
export const MAX_MANUAL_BLOCK = '365d';
const MAX_MANUAL_BLOCK_MS = parseDuration(MAX_MANUAL_BLOCK);
export const DEFAULT_MANUAL_BLOCK = '24h';

const unblockBody = z.object({ reason: z.string().max(2000).optional() }).strict();
const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  cursor: z.string().max(8192).regex(/^[A-Za-z0-9_-]+$/, 'the `next` of the page before').optional(),
}).strict();

/**
 * A manual block: one address or a range (`203.0.113.0/24`; host bits set are refused, not cleared), an expiry, and
 * why. The actor comes from the credential.
 */
const blockBody = z.object({
  ip: blockTargetField,
  duration: z.string()
    .regex(DURATION_PATTERN, 'a whole number followed by s, m, h or d, e.g. 24h')
    .transform(parseDuration)
    .refine((ms) => ms <= MAX_MANUAL_BLOCK_MS, `at most ${MAX_MANUAL_BLOCK}: every block expires`)
    .default(parseDuration(DEFAULT_MANUAL_BLOCK)),
  reason: z.string().trim().min(1, 'say why the address is blocked').max(2000),
}).strict();

export interface BlocksRouteDeps {
  client: Client;
  /** Where block workflows run, as for blocks that incidents request. */
  taskQueue: string;
  /** The queue the enforcement workers poll; the workers' default unless they were given another. */
  enforcementTaskQueue?: string;
  policy: () => PolicySnapshot;
  links?: IncidentInput['links'];
}

export function blocksRouter({ client, taskQueue, enforcementTaskQueue = ENFORCEMENT_TASK_QUEUE, policy, links = {} }: BlocksRouteDeps): Router {
  const router = Router();
  // The same code path as an incident's block, so a manual block starts or extends the one `block:<ip>` workflow.
  const { requestBlock } = createBlockActivities({ client, taskQueue, enforcementTaskQueue });

  /**
   * Blocks, newest first, a page at a time: `limit` (default and most 1000) and the `next` cursor of the page before.
   * The cursor is the visibility store's own page token, so a page costs one call whatever the number of blocks.
   */
  router.get('/v1/blocks', async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', 'invalid query', zodIssues(parsed.error, ['query']));
    const { limit, cursor } = parsed.data;
    const page = await client.workflowService.listWorkflowExecutions({
      namespace: client.options.namespace,
      query: 'WorkflowType = "blockWorkflow" AND ExecutionStatus = "Running"',
      pageSize: limit,
      nextPageToken: cursor ? Buffer.from(cursor, 'base64url') : undefined,
    });
    const blocks = await Promise.all((page.executions ?? []).map(async (raw) => {
      const wf = await executionInfoFromRaw(raw, client.options.loadedDataConverter, raw, client.options.namespace);
      return {
        address: wf.typedSearchAttributes.get(entityAttribute) ?? wf.workflowId.slice('block:'.length),
        expiresAt: wf.typedSearchAttributes.get(expiresAtAttribute)?.toISOString() ?? null,
        state: wf.typedSearchAttributes.get(statusAttribute) ?? 'starting',
        workflowId: wf.workflowId,
        since: wf.startTime.toISOString(),
      };
    }));
    const next = page.nextPageToken?.length ? Buffer.from(page.nextPageToken).toString('base64url') : null;
    res.json({ blocks, next });
  });

  /**
   * Unlike fail2ban's `banip`, a manual block is checked against the allowlist: an allowlisted address, or a range with
   * one inside it, is refused with 403 `allowlisted` before anything is started. A range wider than the policy's
   * maxBlockWidth needs other people's approval: it becomes the incident `manual-block:<range>`, which waits for the
   * policy's `wide_block` approvals from principals other than the requester. An admin's request is itself the
   * approval when the policy asks for one approval only.
   */
  router.post('/v1/blocks', async (req, res) => {
    const parsed = blockBody.safeParse(req.body ?? {});
    if (!parsed.success) throw validationFailed(zodIssues(parsed.error));
    const { ip: address, duration: durationMs, reason } = parsed.data;
    const target = canonicalBlockTarget(address);
    const snapshot = policy();
    // Fails closed: an allowlist that cannot be read throws, and nothing is started.
    refuseAllowlisted(target, snapshot);
    const maxWidth = target.family === 4 ? snapshot.maxBlockWidth.ipv4 : snapshot.maxBlockWidth.ipv6;
    const by = req.principal!.name;
    const approvals = snapshot.approvals.wide_block ?? 1;
    if (target.prefix < maxWidth && (approvals > 1 || !roleGrants(req.principal!.role, 'admin'))) {
      const id = `${manualBlock.name}:${target.text}`;
      await refusePending(id);
      const input: IncidentInput = { playbook: manualBlock.name, entity: target.text, policy: snapshot, links, requestedBy: by, request: { durationMs, reason } };
      const alert = { id: `manual:${by}:${Date.now()}`, source: 'generic' as const, type: 'manual.block', severity: 5, count: 1, receivedAt: new Date().toISOString() };
      const { started } = await client.withDeadline(Date.now() + 10_000, () => signalIncident(client, taskQueue, id, input, addToBatch(EMPTY_BATCH, [alert])));
      res.status(202).json({
        address, incident: id, deduplicated: !started, status: 'awaiting_approval', approvalsNeeded: approvals, by,
        message: `${target.text} is wider than /${maxWidth}: it is blocked once ${approvals > 1 ? `${approvals} other people approve` : 'another person approves'} incident ${id}`,
      });
      return;
    }
    const { workflowId } = await client.withDeadline(Date.now() + 10_000, () => requestBlock({
      address,
      durationMs,
      reason,
      requestedBy: by,
      policyVersion: snapshot.version,
      points: snapshot.enforcement.points,
      retryFailedEveryMs: snapshot.enforcement.retryFailedEvery,
    }));
    res.status(202).json({ address, workflowId, duration: formatDuration(durationMs), by, ...(await currentExpiry(workflowId)) });
  });

  /**
   * One request per wide range at a time: a second requester joining the first's incident could approve a block they
   * asked for themselves, which the two-person rule forbids.
   */
  async function refusePending(id: string): Promise<void> {
    try {
      const { status } = await client.workflow.getHandle(id).describe();
      if (status.name !== 'RUNNING') return;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return;
      throw err;
    }
    const pending = await client.workflow.getHandle(id).query(statusQuery);
    throw new HttpError(409, 'conflict', `${id} is already ${pending.status}, requested by ${pending.requestedBy ?? 'someone'}: approve or reject it first`);
  }

  /**
   * The expiry the block workflow settled on (a request never shortens a longer block). Best effort: the block is
   * already durably requested, so without a worker to answer the query within 3 s the answer just leaves it out.
   */
  async function currentExpiry(workflowId: string): Promise<{ expiresAt?: string }> {
    try {
      const state = await client.withDeadline(Date.now() + 3_000, () => client.workflow.getHandle(workflowId).query(blockStatusQuery));
      return state.expiresAt > 0 ? { expiresAt: new Date(state.expiresAt).toISOString() } : {};
    } catch {
      return {};
    }
  }

  /**
   * One block as its workflow holds it: the overall state (`active` while any point holds it, `failed` while none
   * does), each point's state with its expiry or error, and the leases behind it.
   */
  router.get('/v1/blocks/:ip', async (req, res) => {
    const address = blockAddress(req.params.ip);
    try {
      const state = await client.workflow.getHandle(blockWorkflowId(address)).query(blockStatusQuery);
      const points = Object.fromEntries(state.points.map((point) => [point, state.pointStates?.[point] ?? { state: state.state === 'applying' ? 'applying' : 'unknown' }]));
      res.json({
        address, state: state.state, expiresAt: state.expiresAt > 0 ? new Date(state.expiresAt).toISOString() : null, points,
        leases: Object.entries(state.leases ?? {}).map(([requester, lease]) => ({ requester, until: new Date(lease.until).toISOString(), incident: lease.incident })),
      });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `${address} has no block`);
      throw err;
    }
  });

  /** A range comes URL-encoded in the path: `/v1/blocks/203.0.113.0%2F24`. */
  router.delete('/v1/blocks/:ip', async (req, res) => {
    const address = blockAddress(req.params.ip);
    const body = unblockBody.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(zodIssues(body.error));
    const handle = client.workflow.getHandle(blockWorkflowId(address));
    try {
      const description = await handle.describe();
      // A block being removed, or telling its incidents that it ended, is no longer a block to lift.
      const lifting = description.status.name === 'RUNNING' && ['removing', 'removed'].includes((await handle.query(blockStatusQuery)).state);
      if (description.status.name !== 'RUNNING' || lifting) throw new HttpError(404, 'not_found', `${address} is not blocked`);
      await handle.signal(unblockSignal, { by: req.principal!.name, reason: body.data.reason });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HttpError(404, 'not_found', `${address} is not blocked`);
      throw err;
    }
    res.status(202).json({ address, unblocking: true, by: req.principal!.name });
  });

  return router;
}

function blockAddress(text: string): string {
  try {
    return canonicalBlockTarget(text).text;
  } catch (err) {
    throw validationFailed([{ path: 'ip', message: (err as Error).message }]);
  }
}

function refuseAllowlisted(target: CanonicalCidr, snapshot: PolicySnapshot): void {
  const hit = allowlistOverlap(target, snapshot.allowlist.map(canonicalCidr));
  if (!hit) return;
  const [message, issue] = target.text.includes('/')
    ? [`${target.text} covers addresses on the allowlist (${hit.text}, policy ${snapshot.version}), which are never blocked`, `overlaps the allowlist entry ${hit.text}`]
    : [`${target.text} is on the allowlist (${hit.text}, policy ${snapshot.version}) and is never blocked`, `allowlisted by ${hit.text}`];
  throw new HttpError(403, 'allowlisted', message, [{ path: 'ip', message: issue }]);
}
