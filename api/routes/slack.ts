import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import express, { type Request, Router } from 'express';
import { z } from 'zod';
import { DEFAULT_FETCH_TIMEOUT_MS, postJson } from '../../activities/notify/notification.ts';
import { escapeMrkdwn, SLACK_ACTIONS } from '../../activities/notify/slackNotifier.ts';
import { approvalRefusal } from '../../domain/responsePlan.ts';
import { isIncidentId } from '../../playbooks/index.ts';
import type { IncidentState } from '../../domain/incident.ts';
import { approveSignal, rejectSignal, statusQuery } from '../../workflows/messages.ts';
import { describeNeeded, type Role, roleGrants } from '../access.ts';
import { HttpError, validationFailed, zodIssues } from '../errors.ts';
import { SLACK_SIGNATURE_HEADER, SLACK_TIMESTAMP_HEADER, verifySlackSignature } from '../slackSignature.ts';
import { INCIDENT_ID_FORMS } from './incidents.ts';

/** A Slack user mapped to a principal of the principals file; the principal's role decides what a click may do. */
export interface SlackUser {
  slackUserId: string;
  principal: string;
  role: Role;
}

export interface SlackApprovals {
  signingSecret: string;
  users: readonly SlackUser[];
  /** Only response_urls under this prefix are followed, so a request cannot make the API post elsewhere. */
  responseUrlPrefix: string;
}

export interface SlackRouterDeps {
  client: Client;
  /** Absent: the route answers 503 slack_not_configured. */
  slack?: SlackApprovals;
  maxBodyBytes: number;
  now?: () => number;
  log: (message: string, fields: Record<string, unknown>) => void;
}

const ACTIONS_PATH = '/v1/slack/actions';

export function clickSchema(responseUrlPrefix: string) {
  return z.object({
    type: z.literal('block_actions'),
    user: z.object({ id: z.string().min(1).max(64) }),
    actions: z.array(z.object({
      action_id: z.enum([SLACK_ACTIONS.approve, SLACK_ACTIONS.reject]),
      value: z.string().max(300).refine(isIncidentId, `an incident id: ${INCIDENT_ID_FORMS}`),
    })).min(1),
    response_url: z.url({ protocol: /^https?$/ }).refine((url) => new URL(url).href.startsWith(responseUrlPrefix), `must start with ${responseUrlPrefix}`),
  }).transform((payload) => ({
    slackUserId: payload.user.id,
    action: payload.actions[0]!.action_id,
    incidentId: payload.actions[0]!.value,
    responseUrl: new URL(payload.response_url),
  }));
}
type Click = z.infer<ReturnType<typeof clickSchema>>;

/** Slack posts `payload=<JSON>` form-encoded. */
function parseClick(body: Buffer, schema: ReturnType<typeof clickSchema>): Click {
  const field = new URLSearchParams(body.toString('utf8')).get('payload');
  if (field === null) throw validationFailed([{ path: 'payload', message: 'required: Slack sends the action as a form field payload=<JSON>' }]);
  let document: unknown;
  try {
    document = JSON.parse(field);
  } catch {
    throw validationFailed([{ path: 'payload', message: 'not valid JSON' }]);
  }
  const parsed = schema.safeParse(document);
  if (!parsed.success) throw validationFailed(zodIssues(parsed.error, ['payload']));
  return parsed.data;
}

type SlackReply =
  | { response_type: 'ephemeral' | 'in_channel'; replace_original: false; text: string }
  | { replace_original: true; text: string };

/** Seen only by the user who clicked; the incident message stays as it was. */
const toClicker = (text: string): SlackReply => ({ response_type: 'ephemeral', replace_original: false, text });
/** Replaces the incident message, so its buttons cannot be clicked again. */
const toChannel = (text: string): SlackReply => ({ replace_original: true, text });
/** A new message in the channel, leaving the incident message and its buttons for the next approver. */
const besideMessage = (text: string): SlackReply => ({ response_type: 'in_channel', replace_original: false, text });

/**
 * `POST /v1/slack/actions`, Slack's interactivity request URL: the Approve and Reject buttons of the incident message.
 * Authenticated by Slack's signature over the raw body (so it reads the bytes itself, ahead of the JSON parser), then
 * the clicking Slack user's mapped principal must have a role that may approve. Slack wants its answer within 3 s, so
 * a verified click is answered 200 at once and its outcome is told through the click's response_url.
 */
export function slackRouter({ client, slack, maxBodyBytes, now = Date.now, log }: SlackRouterDeps): Router {
  const router = Router();
  if (!slack) {
    router.post(ACTIONS_PATH, () => {
      throw new HttpError(503, 'slack_not_configured', 'Slack approvals are not configured on this API: set SLACK_SIGNING_SECRET (or SLACK_SIGNING_SECRET_FILE)');
    });
    return router;
  }
  const schema = clickSchema(slack.responseUrlPrefix);
  const users = new Map(slack.users.map((user) => [user.slackUserId, user]));

  // A verified request replayed inside the window repeats a click: the state check below makes that a no-op.
  router.post(ACTIONS_PATH, express.raw({ type: () => true, limit: maxBodyBytes }), (req: Request, res) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    verifySlackSignature(slack.signingSecret, { timestamp: req.get(SLACK_TIMESTAMP_HEADER), signature: req.get(SLACK_SIGNATURE_HEADER), body }, now());
    const click = parseClick(body, schema);
    res.status(200).end();
    void answer(click);
  });

  async function answer(click: Click): Promise<void> {
    const context = { incident: click.incidentId, slackUser: click.slackUserId };
    let reply: SlackReply;
    try {
      reply = await decide(click);
    } catch (err) {
      log('slack action failed', { ...context, error: String((err as Error)?.message ?? err) });
      reply = toClicker(`Riposte could not complete this for ${click.incidentId}: check the incident's status before trying again.`);
    }
    try {
      await postJson(click.responseUrl, reply, { label: 'slack response_url', timeoutMs: DEFAULT_FETCH_TIMEOUT_MS });
    } catch (err) {
      log('slack response_url failed', { ...context, error: (err as Error).message });
    }
  }

  async function decide({ slackUserId, action, incidentId }: Click): Promise<SlackReply> {
    const user = users.get(slackUserId);
    if (!user) {
      return toClicker(`Nothing was done: your Slack user (${escapeMrkdwn(slackUserId)}) is not mapped to a Riposte principal. Ask a Riposte admin to add it under slackUsers in the principals file.`);
    }
    if (!roleGrants(user.role, 'responder')) {
      return toClicker(`Nothing was done: your Riposte principal ${user.principal} has role ${user.role}; approving and rejecting need role ${describeNeeded('responder')}.`);
    }
    const handle = client.workflow.getHandle(incidentId);
    let state: IncidentState;
    try {
      state = await handle.query(statusQuery);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return toClicker(`Nothing was done: there is no incident ${incidentId}.`);
      throw err;
    }
    if (state.status !== 'awaiting_approval') return toClicker(`Nothing was done: incident ${incidentId} is ${state.status}, not awaiting approval.`);
    const via = `via Slack (${slackUserId})`;
    if (action === SLACK_ACTIONS.approve) {
      // As at the API: a second click by the same person is told why it does not count, not silently ignored.
      const given = state.approvals ?? [];
      const needed = state.approvalsNeeded ?? 1;
      const refused = approvalRefusal(user.principal, given, state.requestedBy);
      if (refused) return toClicker(`Nothing was done: ${refused} (${given.length} of ${needed} approvals given).`);
      await handle.signal(approveSignal, { by: user.principal, comment: via });
      if (given.length + 1 < needed) {
        return besideMessage(`:ballot_box_with_check: ${incidentId} approved by ${user.principal} ${via}: ${given.length + 1} of ${needed} approvals; another person must approve.`);
      }
      return toChannel(`:white_check_mark: ${incidentId} approved by ${user.principal} ${via}${needed > 1 ? `: ${needed} of ${needed} approvals` : ''}.`);
    }
    await handle.signal(rejectSignal, { by: user.principal, reason: via });
    return toChannel(`:no_entry: ${incidentId} rejected by ${user.principal} ${via}: nothing will be blocked.`);
  }

  return router;
}
