import {
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  log,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BlockActivities } from '../activities/blocks.ts';
import type { EnrichActivities } from '../activities/enrich/index.ts';
import type { NotifyActivities } from '../activities/notify/index.ts';
import { formatDuration } from '../domain/duration.ts';
import { type AlertBatch, addToBatch } from '../domain/alert.ts';
import type { ActionRecord, IncidentInput, IncidentState, IncidentStatus, TimelineEntry } from '../domain/incident.ts';
import { allowlistMatch, canonicalCidr, canonicalIp } from '../domain/ip.ts';
import { playbookPolicy } from '../domain/policy.ts';
import { playbookByName } from '../playbooks/index.ts';
import type { PlannedAction } from '../playbooks/playbook.ts';
import { rootCauseMessage } from './failures.ts';
import { killSwitchCleared } from './killSwitch.ts';
import {
  alertsSignal, approveSignal, pauseSignal, rejectSignal, resumeSignal, statusQuery, timelineQuery,
} from './messages.ts';
import { entityAttribute, playbookAttribute, severityAttribute, sourceAttribute, statusAttribute } from './searchAttributes.ts';

// Enrichment and the block request are short calls to Temporal and a local database: as local activities they run in
// the same workflow task instead of a round trip through the server each, which halves the tasks per containment.
const { enrichIp } = proxyLocalActivities<EnrichActivities>({
  startToCloseTimeout: '10s',
  retry: { maximumAttempts: 3, initialInterval: '1s' },
});

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
  let decision: 'approved' | 'rejected' | undefined = state.approval?.decision;

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
    try {
      const enrichment = await enrichIp({ address: state.entity });
      state.geo = enrichment.geo;
      state.previousIncidents = enrichment.previousIncidents;
      record('enriched', [enrichment.geo?.country, enrichment.geo?.city].filter(Boolean).join(', ') || 'no GeoIP data');
    } catch (err) {
      record('enrichment_failed', (err as Error).message);
    }

    const planned = playbook!.plan({
      entity: state.entity,
      alertCount: state.alertCount,
      maxSeverity: state.maxSeverity,
      geo: state.geo,
      previousIncidents: state.previousIncidents ?? 0,
      priorOffences: 0,
    }, policy);
    state.plan = planned.map(describe);
    const blocks = planned.filter((a): a is Extract<PlannedAction, { kind: 'block' }> => a.kind === 'block');
    const notifyRoutes = planned.find((a) => a.kind === 'notify')?.routes ?? [];

    const allowed = blocks.filter((block) => {
      const hit = allowlisted(block.address);
      if (hit) addAction({ kind: 'block', target: block.address, detail: `allowlisted by ${hit}`, outcome: 'refused' });
      return !hit;
    });
    if (blocks.length > 0 && allowed.length === 0) {
      setStatus('allowlisted');
      await notify(notifyRoutes, `Not blocked: ${state.entity} is on the allowlist`);
      return;
    }

    if (policy.mode === 'observe') {
      for (const block of allowed) addAction({ kind: 'block', target: block.address, detail: describe(block), outcome: 'would_do' });
      setStatus('observed', 'observe mode: nothing was contained');
      await notify(notifyRoutes, `Would block ${allowed.map((b) => b.address).join(', ')} for ${formatDuration(allowed[0]?.durationMs ?? 0)} (observe mode)`);
      return;
    }

    if (policy.mode === 'approve') {
      setStatus('awaiting_approval', `times out in ${formatDuration(policy.approvalTimeout)}`);
      await notify(notifyRoutes, `Awaiting approval to ${state.plan.join('; ')}`);
      const decided = await condition(() => decision !== undefined, policy.approvalTimeout);
      if (!decided) {
        setStatus('expired', 'approval timed out: denied by default');
        return;
      }
      if (decision === 'rejected') {
        setStatus('rejected');
        return;
      }
    }

    for (const block of allowed) {
      if (state.paused) {
        setStatus('paused');
        await condition(() => !state.paused);
      }
      await killSwitchCleared((control) => {
        if (state.status !== 'paused') setStatus('paused', `kill switch on, set by ${control.by ?? 'unknown'}${control.reason ? `: ${control.reason}` : ''}`);
      });
      setStatus('containing');
      try {
        const result = await requestBlock({ address: block.address, durationMs: block.durationMs, reason: block.reason, requestedBy: state.id, points: input.policy.enforcement.points, ...auditContext() });
        addAction({ kind: 'block', target: block.address, detail: `${describe(block)} (block workflow ${result.workflowId})`, outcome: 'done' });
      } catch (err) {
        addAction({ kind: 'block', target: block.address, detail: describe(block), outcome: 'failed', error: rootCauseMessage(err) });
      }
    }
    const failed = state.actions.some((a) => a.kind === 'block' && a.outcome === 'failed');
    setStatus(failed ? 'failed' : 'contained');
    await notify(notifyRoutes, failed ? `Block of ${state.entity} FAILED` : `Blocked ${allowed.map(describe).join('; ')}`);
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

  function allowlisted(address: string): string | undefined {
    const allowlist = input.policy.allowlist.map(canonicalCidr);
    return allowlistMatch(canonicalIp(address), allowlist)?.text;
  }
}

function describe(action: PlannedAction): string {
  return action.kind === 'block'
    ? `block ${action.address} for ${formatDuration(action.durationMs)}`
    : `notify ${action.routes.join(', ') || 'nobody'}`;
}
