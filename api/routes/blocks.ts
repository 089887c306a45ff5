import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type Request, type Response, Router } from 'express';
import { z } from 'zod';
import { blockShards, type RequestBlockInput } from '../../activities/blocks.ts';
import { readKillSwitch } from '../../activities/control.ts';
import { MAX_BLOCKS_PER_REQUEST } from '../../domain/acceptedValues.ts';
import { blockTargetField } from '../../domain/addressFields.ts';
import { addToBatch, EMPTY_BATCH } from '../../domain/alert.ts';
import { addressException, describeException, type Exception } from '../../domain/exceptions.ts';
import type { IncidentInput } from '../../domain/incident.ts';
import { DURATION_PATTERN, formatDuration, parseDuration } from '../../domain/duration.ts';
import { allowlistOverlap, type CanonicalCidr, canonicalBlockTarget, canonicalCidr } from '../../domain/ip.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { BLOCK_SHARDS } from '../../workflows/ids.ts';
import { statusQuery } from '../../workflows/messages.ts';
import { ENFORCEMENT_TASK_QUEUE } from '../../workflows/taskQueues.ts';
import { manualBlock } from '../../playbooks/manual-block.ts';
import { type Role, roleGrants } from '../access.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';
import { signalIncident } from '../incidentStarter.ts';

/** Every block expires; a manual one may not be set for longer than this. */
export const MAX_MANUAL_BLOCK = '365d';
const MAX_MANUAL_BLOCK_MS = parseDuration(MAX_MANUAL_BLOCK);
export const DEFAULT_MANUAL_BLOCK = '24h';

export const unblockBody = z.object({ reason: z.string().max(2000).optional() }).strict();
export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(1000),
  cursor: z.string().max(200).regex(/^[0-9]+(?:\.[A-Za-z0-9_-]+)?$/, 'the `next` of the page before').optional(),
}).strict();

/**
 * A manual block: one address or a range (`203.0.113.0/24`; host bits set are refused, not cleared), an expiry, and
 * why. The actor comes from the credential.
 */
export const blockBody = z.object({
  ip: blockTargetField,
  duration: z.string()
    .regex(DURATION_PATTERN, 'a whole number followed by s, m, h or d, e.g. 24h')
    .transform(parseDuration)
    .refine((ms) => ms <= MAX_MANUAL_BLOCK_MS, `at most ${MAX_MANUAL_BLOCK}: every block expires`)
    .default(parseDuration(DEFAULT_MANUAL_BLOCK)),
  reason: z.string().trim().min(1, 'say why the address is blocked').max(2000),
}).strict();

/** A threat list imported at once: each entry as one manual block. */
export const blockListBody = z.array(blockBody).min(1, 'at least one block').max(MAX_BLOCKS_PER_REQUEST, `at most ${MAX_BLOCKS_PER_REQUEST} blocks a request`);

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
  // The same path as an incident's block: one lease per requester on the one block of each address.
  const shards = blockShards({ client, taskQueue, enforcementTaskQueue });

  /**
   * Blocks a page at a time, shard by shard and in address order within one: `limit` (default and most 1000) and the
   * `next` cursor of the page before. A page costs one query per shard it reaches, whatever the number of blocks.
   */
  router.get('/v1/blocks', async (req, res) => {
    const parsed = listQuery.safeParse(req.query);
    if (!parsed.success) throw new HttpError(400, 'validation_failed', 'invalid query', zodIssues(parsed.error, ['query']));
    const { limit, cursor } = parsed.data;
    const page = await client.withDeadline(Date.now() + 10_000, () => shards.list(limit, cursor === undefined ? undefined : readCursor(cursor)));
    res.json({ blocks: page.blocks, next: page.next ? writeCursor(page.next) : null });
  });

  /**
   * Unlike fail2ban's `banip`, a manual block is checked against the allowlist: an allowlisted address, or a range with
   * one inside it, is refused with 403 `allowlisted` before anything is started. A range wider than the policy's
   * maxBlockWidth needs other people's approval: it becomes the incident `manual-block:<range>`, which waits for the
   * policy's `wide_block` approvals from principals other than the requester. An admin's request is itself the
   * approval when the policy asks for one approval only. An array (a threat list, up to 10,000 entries) is checked
   * whole before anything is requested, and takes no range that needs approval.
   */
  router.post('/v1/blocks', async (req, res) => {
    if (Array.isArray(req.body)) {
      await importList(req, res);
      return;
    }
    const parsed = blockBody.safeParse(req.body ?? {});
    if (!parsed.success) throw validationFailed(zodIssues(parsed.error));
    const { ip: address, duration: durationMs, reason } = parsed.data;
    const target = canonicalBlockTarget(address);
    const snapshot = policy();
    // Fails closed: an allowlist that cannot be read throws, and nothing is started.
    refuseAllowlisted(target, snapshot);
    refuseExcepted(target, await liveExceptions());
    const by = req.principal!.name;
    if (needsApproval(target, snapshot, req.principal!.role)) {
      const maxWidth = target.family === 4 ? snapshot.maxBlockWidth.ipv4 : snapshot.maxBlockWidth.ipv6;
      const approvals = snapshot.approvals.wide_block ?? 1;
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
    const [lease] = await client.withDeadline(Date.now() + 10_000, () => shards.request([manualRequest(address, durationMs, reason, by, snapshot)]));
    res.status(202).json({ address, workflowId: lease!.workflowId, duration: formatDuration(durationMs), by, ...(await currentExpiry(address)) });
  });

  /** The live exceptions; a control workflow that cannot be read throws, so nothing is started (fail closed). */
  async function liveExceptions(): Promise<Exception[]> {
    return (await client.withDeadline(Date.now() + 10_000, () => readKillSwitch(client, taskQueue))).exceptions ?? [];
  }

  async function importList(req: Request, res: Response): Promise<void> {
    const parsed = blockListBody.safeParse(req.body);
    if (!parsed.success) throw validationFailed(zodIssues(parsed.error));
    const snapshot = policy();
    const exceptions = await liveExceptions();
    const by = req.principal!.name;
    const issues: { path: string; message: string }[] = [];
    const requests = parsed.data.map(({ ip, duration, reason }, i) => {
      const target = canonicalBlockTarget(ip);
      try {
        refuseAllowlisted(target, snapshot);
        refuseExcepted(target, exceptions);
      } catch (err) {
        issues.push({ path: `[${i}].ip`, message: err instanceof HttpError ? err.issues?.[0]?.message ?? err.message : (err as Error).message });
      }
      if (needsApproval(target, snapshot, req.principal!.role)) issues.push({ path: `[${i}].ip`, message: `wider than the policy's maxBlockWidth: request it alone, for approval` });
      return manualRequest(target.text, duration, reason, by, snapshot);
    });
    if (issues.length > 0) throw new HttpError(400, 'validation_failed', `${issues.length} of ${requests.length} entries cannot be blocked; nothing was requested`, issues.slice(0, 100));
    await client.withDeadline(Date.now() + 30_000, () => shards.request(requests));
    res.status(202).json({ requested: requests.length, by });
  }

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
   * The expiry the shard settled on (a request never shortens a longer block). Best effort: the block is already
   * durably requested, so without a worker to answer the query within 3 s the answer just leaves it out.
   */
  async function currentExpiry(address: string): Promise<{ expiresAt?: string }> {
    try {
      const block = await client.withDeadline(Date.now() + 3_000, () => shards.read(canonicalBlockTarget(address).text));
      return block?.expiresAt ? { expiresAt: block.expiresAt } : {};
    } catch {
      return {};
    }
  }

  /**
   * One block as its shard holds it: the overall state (`active` while any point holds it, `failed` while none does),
   * each point's state with its expiry or error, and the leases behind it.
   */
  router.get('/v1/blocks/:ip', async (req, res) => {
    const address = blockAddress(req.params.ip);
    const block = await client.withDeadline(Date.now() + 10_000, () => shards.read(address));
    if (!block) throw new HttpError(404, 'not_found', `${address} has no block`);
    res.json(block);
  });

  /** A range comes URL-encoded in the path: `/v1/blocks/203.0.113.0%2F24`. */
  router.delete('/v1/blocks/:ip', async (req, res) => {
    const address = blockAddress(req.params.ip);
    const body = unblockBody.safeParse(req.body ?? {});
    if (!body.success) throw validationFailed(zodIssues(body.error));
    const lifting = await client.withDeadline(Date.now() + 10_000, () => shards.lift(address, req.principal!.name, body.data.reason));
    if (!lifting) throw new HttpError(404, 'not_found', `${address} is not blocked`);
    res.status(202).json({ address, unblocking: true, by: req.principal!.name });
  });

  return router;
}

function manualRequest(address: string, durationMs: number, reason: string, by: string, snapshot: PolicySnapshot): RequestBlockInput {
  return { address, durationMs, reason, requestedBy: by, policyVersion: snapshot.version, points: snapshot.enforcement.points, retryFailedEveryMs: snapshot.enforcement.retryFailedEvery };
}

/** A range wider than the policy's maxBlockWidth: other people approve it, unless the policy asks one and an admin asked. */
function needsApproval(target: CanonicalCidr, snapshot: PolicySnapshot, role: Role): boolean {
  const maxWidth = target.family === 4 ? snapshot.maxBlockWidth.ipv4 : snapshot.maxBlockWidth.ipv6;
  return target.prefix < maxWidth && ((snapshot.approvals.wide_block ?? 1) > 1 || !roleGrants(role, 'admin'));
}

/** `<shard>.<base64url of the last address>`, or `<shard>` to start a shard from its first block. */
function writeCursor({ shard, after }: { shard: number; after?: string }): string {
  return after === undefined ? String(shard) : `${shard}.${Buffer.from(after).toString('base64url')}`;
}

function readCursor(cursor: string): { shard: number; after?: string } {
  const [shard, after] = cursor.split('.');
  const number = Number(shard);
  if (!Number.isInteger(number) || number < 0 || number >= BLOCK_SHARDS) throw new HttpError(400, 'validation_failed', 'invalid query', [{ path: 'query.cursor', message: 'the `next` of the page before' }]);
  return after === undefined ? { shard: number } : { shard: number, after: Buffer.from(after, 'base64url').toString() };
}

function blockAddress(text: string): string {
  try {
    return canonicalBlockTarget(text).text;
  } catch (err) {
    throw validationFailed([{ path: 'ip', message: (err as Error).message }]);
  }
}

function refuseExcepted(target: CanonicalCidr, exceptions: readonly Exception[]): void {
  const hit = addressException(target, exceptions, Date.now());
  if (hit) throw new HttpError(403, 'excepted', `${target.text} is covered by ${describeException(hit)} and is not blocked while it lasts`, [{ path: 'ip', message: `covered by exception ${hit.id} (${hit.value})` }]);
}

function refuseAllowlisted(target: CanonicalCidr, snapshot: PolicySnapshot): void {
  const hit = allowlistOverlap(target, snapshot.allowlist.map(canonicalCidr));
  if (!hit) return;
  const [message, issue] = target.text.includes('/')
    ? [`${target.text} covers addresses on the allowlist (${hit.text}, policy ${snapshot.version}), which are never blocked`, `overlaps the allowlist entry ${hit.text}`]
    : [`${target.text} is on the allowlist (${hit.text}, policy ${snapshot.version}) and is never blocked`, `allowlisted by ${hit.text}`];
  throw new HttpError(403, 'allowlisted', message, [{ path: 'ip', message: issue }]);
}
