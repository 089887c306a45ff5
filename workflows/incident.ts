import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BlockActivities } from '../activities/blocks.ts';
import type { ControlActivities } from '../activities/control.ts';
import type { EnrichActivities } from '../activities/enrich/index.ts';
import type { NotifyActivities } from '../activities/notify/index.ts';
import type { OffenceActivities } from '../activities/offences.ts';
import { activeWindow } from '../domain/autoApproveWindow.ts';
import { formatDuration } from '../domain/duration.ts';
import { type AlertBatch, addToBatch } from '../domain/alert.ts';
import { type ActionRecord, type IncidentInput, type IncidentState, type IncidentStatus, type TimelineEntry, VERDICTS } from '../domain/incident.ts';
import { allowlistOverlap, canonicalCidr } from '../domain/ip.ts';
import { playbookPolicy } from '../domain/policy.ts';
import { playbookByName } from '../playbooks/index.ts';
import type { PlannedAction } from '../playbooks/playbook.ts';
import { rootCauseMessage } from './failures.ts';
import { killSwitchCleared } from './killSwitch.ts';
import { localFirst } from './localFirst.ts';
import { blockWorkflowId } from './ids.ts';
import {
  alertsSignal, approveSignal, pauseSignal, rejectSignal, resumeSignal, statusQuery, timelineQuery, unblockSignal, verdictUpdate,
} from './messages.ts';
import { entityAttribute, playbookAttribute, severityAttribute, sourceAttribute, statusAttribute, verdictAttribute } from './searchAttributes.ts';

// Enrichment and the block request are short calls to Temporal and a local database: as local activities they run in
// the same workflow task instead of a round trip through the server each, which halves the tasks per containment.
const { enrichIp } = proxyLocalActivities<EnrichActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '1s' },
});

// A repeat offender's history and the control workflow are served by this worker's own task slots: see localFirst.
const { countOffences: countOffencesLocally } = proxyLocalActivities<OffenceActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 2, initialInterval: '1s' },
});
const { countOffences: countOffencesRemotely } = proxyActivities<OffenceActivities>({
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 5, initialInterval: '1s' },
});
const countOffences = localFirst(countOffencesLocally, countOffencesRemotely);

// The breaker's count must be kept whatever happens, so admission retries until the control workflow answers.
const { admitBlock: admitBlockLocally } = proxyLocalActivities<ControlActivities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', maximumAttempts: 2 },
});
const { admitBlock: admitBlockRemotely } = proxyActivities<ControlActivities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});
const admitBlock = localFirst(admitBlockLocally, admitBlockRemotely);

const { requestBlock } = proxyLocalActivities<BlockActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '30s', maximumAttempts: 20, nonRetryableErrorTypes: ['AllowlistViolation', 'InvalidAddress'] },
});

// Notifications retry on their own schedule and their failure is recorded, never allowed to undo containment.
const { notifyIncident } = proxyActivities<NotifyActivities>({
  startToCloseTimeout: '20s',
  retry: { initialInterval: '2s', maximumInterval: '1m', maximumAttempts: 6, nonRetryableErrorTypes: ['NotificationRejected'] },
});

const MAX_TIMELINE = 200;

/** Carried across continue-as-new so a long review window keeps its state. */
export interface IncidentCarry {
  state: IncidentState;
  timeline: TimelineEntry[];
  reviewUntil: number;
}

export async function incidentWorkflow(input: IncidentInput, carry?: IncidentCarry): Promise<IncidentState> {
  const playbook = playbookByName(input.playbook);
  if (!playbook) throw ApplicationFailure.nonRetryable(`unknown playbook ${input.playbook}`, 'UnknownPlaybook');
  const policy = playbookPolicy(input.policy, input.playbook);
  const now = () => new Date().toISOString();

  const state: IncidentState = carry?.state ?? {
    id: workflowInfo().workflowId,
    playbook: input.playbook,
    entity: input.entity,
    status: 'triage',
    mode: policy.mode,
    policyVersion: input.policy.version,
    alertCount: 0,
    alertsReceived: 0,
    alertBatches: 0,
    maxSeverity: 0,
    sampleAlerts: [],
    plan: [],
    actions: [],
    paused: false,
    openedAt: now(),
  };
  const timeline: TimelineEntry[] = carry?.timeline ?? [];
  // Set by a person's approve or reject signal only; an auto-approve window approves without one.
  let decision: 'approved' | 'rejected' | undefined = state.approval?.decision;
  let approvedByPerson = decision === 'approved';

  const record = (event: string, detail?: string, by?: string) => {
    timeline.push({ at: now(), event, detail, by });
    if (timeline.length > MAX_TIMELINE) timeline.splice(1, timeline.length - MAX_TIMELINE);
  };

  const setStatus = (status: IncidentStatus, detail?: string) => {
    state.status = status;
    record(`status:${status}`, detail);
    upsertSearchAttributes([
      { key: statusAttribute, value: status },
      { key: playbookAttribute, value: state.playbook },
      { key: entityAttribute, value: state.entity },
      { key: severityAttribute, value: state.maxSeverity },
      { key: sourceAttribute, value: state.sampleAlerts[0]?.source ?? null },
    ]);
  };

  setHandler(alertsSignal, (batch: AlertBatch) => {
    const merged = addToBatch({ alerts: state.alertsReceived, count: state.alertCount, maxSeverity: state.maxSeverity, samples: state.sampleAlerts }, batch);
    state.alertBatches += 1;
    state.alertsReceived = merged.alerts;
    state.alertCount = merged.count;
    state.maxSeverity = merged.maxSeverity;
    state.sampleAlerts = merged.samples;
    if (state.alertBatches <= 20) record('alerts', `${batch.alerts} alert(s), ${state.alertCount} in all`);
  });
  setHandler(approveSignal, ({ by, comment }) => {
    if (state.status !== 'awaiting_approval') {
      record('approve_ignored', `not awaiting approval (${state.status})`, by);
      return;
    }
    decision = 'approved';
    approvedByPerson = true;
    state.approval = { decision, by, comment, at: now() };
    record('approved', comment, by);
  });
  setHandler(rejectSignal, ({ by, reason }) => {
    if (state.status !== 'awaiting_approval') {
      record('reject_ignored', `not awaiting approval (${state.status})`, by);
      return;
    }
    decision = 'rejected';
    state.approval = { decision, by, comment: reason, at: now() };
    record('rejected', reason, by);
  });
  setHandler(pauseSignal, ({ by, reason }) => {
    state.paused = true;
    record('paused', reason, by);
  });
  setHandler(resumeSignal, ({ by }) => {
    state.paused = false;
    record('resumed', undefined, by);
  });
  setHandler(verdictUpdate, async ({ verdict, by, comment }) => {
    state.verdict = { verdict, by, comment, at: now() };
    record(`verdict:${verdict}`, comment, by);
    upsertSearchAttributes([{ key: verdictAttribute, value: verdict }]);
    if (verdict === 'false_positive') {
      if (state.status === 'awaiting_approval') {
        decision = 'rejected';
        state.approval = { decision, by, comment: `false positive${comment ? `: ${comment}` : ''}`, at: now() };
      }
      await revertContainment(by);
    }
    return state.verdict;
  }, {
    validator: ({ verdict }) => {
      if (!VERDICTS.includes(verdict)) throw new Error(`verdict must be one of ${VERDICTS.join(', ')}`);
      if (state.verdict) throw new Error(`incident already has the verdict ${state.verdict.verdict} from ${state.verdict.by}`);
    },
  });
  setHandler(statusQuery, () => state);
  setHandler(timelineQuery, () => timeline);

  if (!carry) {
    // signalWithStart delivers the first batch before the first workflow task, so this returns at once.
    await condition(() => state.alertBatches > 0);
    setStatus('triage');
    await respond();
  }
  await review(carry?.reviewUntil ?? Date.now() + policy.reviewWindow);
  return state;

  async function respond(): Promise<void> {
    const { minAlerts, minSeverity } = policy.thresholds;
    const meetsThresholds = () => state.alertCount >= minAlerts && state.maxSeverity >= minSeverity;
    if (!meetsThresholds()) {
      // Alerts below the thresholds are watched for one review window, then the incident closes without acting.
      setStatus('watching', `waiting for ${minAlerts} alerts of severity ${minSeverity} or more`);
      if (!(await condition(meetsThresholds, policy.reviewWindow))) {
        setStatus('below_threshold', `${state.alertCount} alert(s), severity ${state.maxSeverity}: below the playbook's thresholds`);
        return;
      }
      setStatus('triage', 'thresholds reached');
    }

    try {
      const enrichment = await enrichIp({ address: state.entity });
      state.geo = enrichment.geo;
      state.previousIncidents = enrichment.previousIncidents;
      record('enriched', [enrichment.geo?.country, enrichment.geo?.city].filter(Boolean).join(', ') || 'no GeoIP data');
    } catch (err) {
      record('enrichment_failed', (err as Error).message);
    }
    try {
      const priorOffences = await countOffences({ address: state.entity, withinMs: input.policy.offenceMemory });
      state.priorOffences = priorOffences;
      if (priorOffences > 0) record('repeat_offender', `${priorOffences} earlier block(s) ran to expiry`);
    } catch (err) {
      record('offence_history_unavailable', `${rootCauseMessage(err)}: the first step of the ladder applies`);
    }

    const planned = playbook!.plan({
      entity: state.entity,
      alertCount: state.alertCount,
      maxSeverity: state.maxSeverity,
      geo: state.geo,
      previousIncidents: state.previousIncidents ?? 0,
      priorOffences: state.priorOffences ?? 0,
    }, policy);
    state.plan = planned.map(describe);
    const blocks = planned.filter((a): a is Extract<PlannedAction, { kind: 'block' }> => a.kind === 'block');
    const notifyRoutes = planned.find((a) => a.kind === 'notify')?.routes ?? [];

    const allowed = blocks.filter((block) => {
      const hit = allowlisted(block.address);
      if (hit) addAction({ kind: 'block', target: block.address, detail: `overlaps the allowlist entry ${hit}`, outcome: 'refused' });
      return !hit;
    });
    if (blocks.length > 0 && allowed.length === 0) {
      setStatus('allowlisted');
      await notify(notifyRoutes, `Not blocked: ${blocks.map((b) => b.address).join(', ')} overlaps the allowlist`);
      return;
    }

    if (policy.mode === 'observe') {
      for (const block of allowed) addAction({ kind: 'block', target: block.address, detail: describe(block), outcome: 'would_do' });
      setStatus('observed', 'observe mode: nothing was contained');
      await notify(notifyRoutes, `Would block ${allowed.map((b) => b.address).join(', ')} for ${formatDuration(allowed[0]?.durationMs ?? 0)} (observe mode)`);
      return;
    }

    const reasons = allowed.filter(tooWide).map((block) => `${block.address} is wider than /${maxPrefix(block.address)}: ranges that wide need approval in every mode`);
    if (policy.mode === 'approve') {
      const window = activeWindow(policy.autoApproveWindows, policy.timeZone, Date.now());
      if (window && reasons.length === 0) {
        state.approval = { decision: 'approved', by: 'automation', comment: `auto-approved by window ${window.text} (${policy.timeZone})`, at: now() };
        record('auto_approved', state.approval.comment);
      } else {
        reasons.unshift('the playbook is in approve mode');
      }
    }
    if (reasons.length > 0 && !(await approved(reasons, notifyRoutes))) return;

    for (const block of allowed) {
      if (state.paused) {
        setStatus('paused');
        await condition(() => !state.paused);
      }
      await killSwitchCleared((control) => {
        if (state.status !== 'paused') setStatus('paused', `kill switch on, set by ${control.by ?? 'unknown'}${control.reason ? `: ${control.reason}` : ''}`);
      });
      if (state.verdict?.verdict === 'false_positive') break;
      setStatus('containing');
      if (!(await admitted(notifyRoutes))) return;
      try {
        const result = await requestBlock({ address: block.address, durationMs: block.durationMs, reason: block.reason, requestedBy: state.id, points: input.policy.enforcement.points, ...auditContext() });
        addAction({ kind: 'block', target: block.address, detail: `${describe(block)} (block workflow ${result.workflowId})`, outcome: 'done' });
      } catch (err) {
        addAction({ kind: 'block', target: block.address, detail: describe(block), outcome: 'failed', error: rootCauseMessage(err) });
      }
    }
    // A false positive that landed while a block was being requested is reverted as soon as the request returns.
    if (state.verdict?.verdict === 'false_positive') {
      await revertContainment(state.verdict.by);
      // Held by a pause or the kill switch when the verdict came, it may have made no block to revert.
      if (state.status !== 'reverted') setStatus('reverted', `false positive, by ${state.verdict.by}`);
      return;
    }
    const failed = state.actions.some((a) => a.kind === 'block' && a.outcome === 'failed');
    setStatus(failed ? 'failed' : 'contained');
    await notify(notifyRoutes, failed ? `Block of ${state.entity} FAILED` : `Blocked ${allowed.map(describe).join('; ')}`);
  }

  /**
   * Waits for a person's decision. On timeout the policy denies, or first escalates and gives the escalation one more
   * approval timeout before denying.
   */
  async function approved(reasons: string[], notifyRoutes: readonly string[]): Promise<boolean> {
    decision = undefined;
    state.approvalReasons = reasons;
    setStatus('awaiting_approval', `${reasons.join('; ')}; times out in ${formatDuration(policy.approvalTimeout)}`);
    await notify(notifyRoutes, `Awaiting approval to ${state.plan.join('; ')} (${reasons.join('; ')})`);
    let decided = await condition(() => decision !== undefined, policy.approvalTimeout);
    if (!decided && policy.onApprovalTimeout === 'escalate') {
      state.escalated = { at: now(), routes: [...policy.escalateTo] };
      record('escalated', `no decision after ${formatDuration(policy.approvalTimeout)}: escalated to ${policy.escalateTo.join(', ')}`);
      await notify(policy.escalateTo, `ESCALATED: nobody approved or rejected ${state.plan.join('; ')} within ${formatDuration(policy.approvalTimeout)}`);
      decided = await condition(() => decision !== undefined, policy.approvalTimeout);
    }
    if (!decided) {
      setStatus('expired', `approval timed out${state.escalated ? ' after escalation' : ''}: denied`);
      await notify(notifyRoutes, `Denied: nobody approved ${state.plan.join('; ')} in time`);
      return false;
    }
    if (decision === 'rejected') {
      setStatus('rejected');
      return false;
    }
    return true;
  }

  /**
   * Counts the block against the mass-block circuit breaker. Once it has tripped, a block no person approved waits for
   * one; the incident that tripped it raises the one notification.
   */
  async function admitted(notifyRoutes: readonly string[]): Promise<boolean> {
    const admission = { incidentId: state.id, maxNewBlocks: input.policy.circuitBreaker.maxNewBlocks, windowMs: input.policy.circuitBreaker.window };
    const first = await admitBlock({ ...admission, automatic: !approvedByPerson });
    if (first.admitted) return true;
    const limit = `more than ${admission.maxNewBlocks} new blocks in ${formatDuration(admission.windowMs)}`;
    record('circuit_breaker', `${limit}: this block needs a person's approval`);
    if (first.justTripped) {
      await notify(notifyRoutes, `CIRCUIT BREAKER TRIPPED: ${limit}. Further automatic blocks wait for approval until an admin resets it (POST /v1/control/breaker/reset).`);
    }
    if (!(await approved([`the circuit breaker tripped (${limit})`], notifyRoutes))) return false;
    setStatus('containing', 'approved past the circuit breaker');
    await admitBlock({ ...admission, automatic: false });
    return true;
  }

  /** Lifts every block this incident made; the block workflows remove them at every point and audit it. */
  async function revertContainment(by: string): Promise<void> {
    const done = state.actions.filter((a) => a.kind === 'block' && a.outcome === 'done');
    for (const action of done) {
      await getExternalWorkflowHandle(blockWorkflowId(action.target)).signal(unblockSignal, { by, reason: `false positive verdict on ${state.id}` });
      action.outcome = 'reverted';
      record('block:reverted', action.target, by);
    }
    if (done.length > 0 || state.status === 'containing') setStatus('reverted', `false positive, by ${by}`);
  }

  /** For audit records: the incident, its sample alerts, its policy version, and who approved (or automation). */
  function auditContext() {
    const actor = state.approval?.decision === 'approved' ? state.approval.by : 'automation';
    return { incidentId: state.id, alertIds: state.sampleAlerts.map((a) => a.id), policyVersion: input.policy.version, actor };
  }

  async function notify(routes: readonly string[], action: string): Promise<void> {
    const notification = {
      incidentId: state.id,
      playbook: state.playbook,
      title: playbook!.title(state.entity),
      entity: state.entity,
      alertCount: state.alertCount,
      severity: state.maxSeverity,
      geo: state.geo,
      mode: state.mode,
      status: state.status,
      action,
      links: {
        incident: input.links.consoleBase ? `${input.links.consoleBase}/v1/incidents/${encodeURIComponent(state.id)}` : undefined,
        temporalUi: input.links.temporalUiBase
          ? `${input.links.temporalUiBase}/namespaces/${encodeURIComponent(workflowInfo().namespace)}/workflows/${encodeURIComponent(state.id)}`
          : undefined,
      },
    };
    const results = await Promise.allSettled(routes.map((route) => notifyIncident({ route, notification, audit: auditContext() })));
    results.forEach((result, i) => {
      const route = routes[i]!;
      if (result.status === 'rejected') addAction({ kind: 'notify', target: route, detail: action, outcome: 'failed', error: rootCauseMessage(result.reason) });
      else if (result.value === 'sent') addAction({ kind: 'notify', target: route, detail: action, outcome: 'done' });
    });
  }

  async function review(reviewUntil: number): Promise<void> {
    const remaining = reviewUntil - Date.now();
    if (remaining > 0) {
      // Alerts keep attaching during review; a long stream of them must not grow the history without bound.
      const ended = await condition(() => workflowInfo().continueAsNewSuggested, remaining);
      if (ended) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof incidentWorkflow>(input, { state, timeline, reviewUntil });
      }
    }
    record('closed', `final status ${state.status}`);
    log.info('incident closed', { id: state.id, status: state.status, alerts: state.alertCount });
  }

  function addAction(action: Omit<ActionRecord, 'at'>): void {
    state.actions.push({ ...action, at: now() });
    record(`${action.kind}:${action.outcome}`, action.error ?? action.detail);
  }

  function allowlisted(target: string): string | undefined {
    return allowlistOverlap(canonicalCidr(target), input.policy.allowlist.map(canonicalCidr))?.text;
  }

  function maxPrefix(target: string): number {
    return canonicalCidr(target).family === 4 ? input.policy.maxBlockWidth.ipv4 : input.policy.maxBlockWidth.ipv6;
  }

  function tooWide(block: { address: string }): boolean {
    return canonicalCidr(block.address).prefix < maxPrefix(block.address);
  }
}

function describe(action: PlannedAction): string {
  return action.kind === 'block'
    ? `block ${action.address} for ${formatDuration(action.durationMs)}`
    : `notify ${action.routes.join(', ') || 'nobody'}`;
}
