import { log, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { NotifyActivities } from '../../activities/notify/index.ts';
import { type IncidentBrief, notificationOf } from '../../domain/actions/action.ts';
import { type AlertBatch, addToBatch } from '../../domain/alert.ts';
import {
  type ActionRecord, type IncidentInput, type IncidentState, type IncidentStatus, type TimelineEntry, VERDICTS,
} from '../../domain/incident.ts';
import type { PlaybookPolicy } from '../../domain/policy.ts';
import { approvalRefusal, failedSteps, type PlanStep } from '../../domain/responsePlan.ts';
import type { Playbook } from '../../playbooks/playbook.ts';
import { INCIDENT_ACTIVITY_OPTIONS } from '../activityOptions.ts';
import { auditVerdict } from './auditEvents.ts';
import { rootCauseMessage } from '../failures.ts';
import {
  alertsSignal, approveSignal, blockEndedSignal, type BlockHealth, blockHealthSignal, pauseSignal, rejectSignal, resumeSignal, statusQuery, timelineQuery, verdictUpdate,
} from '../messages.ts';
import { entityAttribute, playbookAttribute, severityAttribute, sourceAttribute, statusAttribute, verdictAttribute } from '../searchAttributes.ts';

const { notifyIncident } = proxyActivities<NotifyActivities>(INCIDENT_ACTIVITY_OPTIONS.notify);

const MAX_TIMELINE = 200;

/** Carried across continue-as-new so a long review window keeps its state. */
export interface IncidentCarry {
  state: IncidentState;
  timeline: TimelineEntry[];
  reviewUntil: number;
  steps?: PlanStep[];
}

/**
 * One incident's state and the handlers that change it, in one object (after the message-passing samples'
 * ClusterManager): the steps in respond.ts, approval.ts, act.ts and revert.ts read and change it through these methods.
 */
export class Incident {
  readonly state: IncidentState;
  readonly timeline: TimelineEntry[];
  steps: PlanStep[];
  /** A person's approve or reject while waiting; an auto-approve window approves without one. */
  decision: 'approved' | 'rejected' | undefined;
  approvedByPerson: boolean;
  /** Set by the verdict handler; respond.ts reverts once the action under way returns. */
  onFalsePositive: (by: string) => Promise<void> = async () => undefined;
  private notifications: Promise<void>[] = [];

  constructor(readonly input: IncidentInput, readonly playbook: Playbook, readonly policy: PlaybookPolicy, carry?: IncidentCarry) {
    this.state = carry?.state ?? newState(input, playbook, policy);
    this.timeline = carry?.timeline ?? [];
    this.steps = carry?.steps ?? [];
    this.decision = this.state.approval?.decision;
    this.approvedByPerson = this.decision === 'approved';
  }

  listen(): void {
    setHandler(alertsSignal, (batch) => this.addAlerts(batch));
    setHandler(approveSignal, ({ by, comment }) => this.approve(by, comment));
    setHandler(rejectSignal, ({ by, reason }) => this.reject(by, reason));
    setHandler(pauseSignal, ({ by, reason }) => {
      this.state.paused = true;
      this.record('paused', reason, by);
    });
    setHandler(resumeSignal, ({ by }) => {
      this.state.paused = false;
      this.record('resumed', undefined, by);
    });
    setHandler(blockEndedSignal, (ended) => this.blockEnded(ended.workflowId, ended.address, ended.how, ended.by));
    setHandler(blockHealthSignal, (health) => this.blockHealth(health));
    setHandler(verdictUpdate, ({ verdict, by, comment }) => this.giveVerdict(verdict, by, comment), {
      validator: ({ verdict }) => {
        if (!VERDICTS.includes(verdict)) throw new Error(`verdict must be one of ${VERDICTS.join(', ')}`);
        if (this.state.verdict) throw new Error(`incident already has the verdict ${this.state.verdict.verdict} from ${this.state.verdict.by}`);
      },
    });
    setHandler(statusQuery, () => this.state);
    setHandler(timelineQuery, () => this.timeline);
  }

  record(event: string, detail?: string, by?: string): void {
    this.timeline.push({ at: new Date().toISOString(), event, detail, by });
    if (this.timeline.length > MAX_TIMELINE) this.timeline.splice(1, this.timeline.length - MAX_TIMELINE);
  }

  setStatus(status: IncidentStatus, detail?: string): void {
    this.state.status = status;
    this.record(`status:${status}`, detail);
    upsertSearchAttributes([
      { key: statusAttribute, value: status },
      { key: playbookAttribute, value: this.state.playbook },
      { key: entityAttribute, value: this.state.entity },
      { key: severityAttribute, value: this.state.maxSeverity },
      { key: sourceAttribute, value: this.state.sampleAlerts[0]?.source ?? null },
    ]);
  }

  addAction(action: Omit<ActionRecord, 'at'>): ActionRecord {
    const recorded = { ...action, at: new Date().toISOString() };
    this.state.actions.push(recorded);
    this.record(`${action.kind}:${action.outcome}`, action.error ?? action.detail);
    return recorded;
  }

  get falsePositive(): boolean {
    return this.state.verdict?.verdict === 'false_positive';
  }

  /** Who authorised what this incident does now: the approver, or automation. */
  get actor(): string {
    return this.state.approval?.decision === 'approved' ? this.state.approval.by : 'automation';
  }

  auditContext() {
    return { incidentId: this.state.id, alertIds: this.state.sampleAlerts.map((a) => a.id), policyVersion: this.input.policy.version, actor: this.actor, incidentOpenedAt: this.state.openedAt };
  }

  brief(summary: string): IncidentBrief {
    const { id, playbook, entity, entityKind, alertCount, maxSeverity, mode, status, geo, reputation } = this.state;
    const { consoleBase, temporalUiBase } = this.input.links;
    return {
      id, playbook, entity, entityKind, alertCount, severity: maxSeverity, mode, status, summary, geo,
      ...(reputation ? { reputation } : {}),
      title: this.playbook.title(entity),
      links: {
        incident: consoleBase ? `${consoleBase}/console/#/incidents/${encodeURIComponent(id)}` : undefined,
        temporalUi: temporalUiBase ? `${temporalUiBase}/namespaces/${encodeURIComponent(workflowInfo().namespace)}/workflows/${encodeURIComponent(id)}` : undefined,
      },
      policyVersion: this.input.policy.version,
      alertIds: this.state.sampleAlerts.map((a) => a.id),
      actor: this.actor,
      enforcementPoints: this.input.policy.enforcement.points,
      retryFailedEveryMs: this.input.policy.enforcement.retryFailedEvery,
      openedAt: this.state.openedAt,
    };
  }

  /**
   * Tells the routes without waiting: a slow or failing receiver must never hold up containment. Each result lands in
   * the actions when it comes; `notificationsSettled` waits for them before the incident closes.
   */
  notify(routes: readonly string[], summary: string): void {
    const notification = notificationOf(this.brief(summary));
    for (const route of routes) {
      this.notifications.push(notifyIncident({ route, notification, audit: this.auditContext() }).then(
        (sent) => {
          if (sent === 'sent') this.addAction({ kind: 'notify', target: route, detail: summary, outcome: 'done' });
        },
        (err) => {
          this.addAction({ kind: 'notify', target: route, detail: summary, outcome: 'failed', error: rootCauseMessage(err) });
        },
      ));
    }
  }

  async notificationsSettled(): Promise<void> {
    await Promise.all(this.notifications);
  }

  private addAlerts(batch: AlertBatch): void {
    const s = this.state;
    const merged = addToBatch({ alerts: s.alertsReceived, count: s.alertCount, maxSeverity: s.maxSeverity, samples: s.sampleAlerts }, batch);
    s.alertBatches += 1;
    s.alertsReceived = merged.alerts;
    s.alertCount = merged.count;
    s.maxSeverity = merged.maxSeverity;
    s.sampleAlerts = merged.samples;
    if (s.alertBatches <= 20) this.record('alerts', `${batch.alerts} alert(s), ${s.alertCount} in all`);
  }

  /** The two-person rule: approvals from distinct principals, never the requester's, until the wait has enough. */
  private approve(by: string, comment?: string): void {
    if (this.state.status !== 'awaiting_approval') return this.record('approve_ignored', `not awaiting approval (${this.state.status})`, by);
    const given = this.state.approvals ?? [];
    const refusal = approvalRefusal(by, given, this.input.requestedBy);
    if (refusal) return this.record('approve_ignored', refusal, by);
    const approval = { by, comment, at: new Date().toISOString() };
    this.state.approvals = [...given, approval];
    const needed = this.state.approvalsNeeded ?? 1;
    this.record('approved', `${this.state.approvals.length} of ${needed}${comment ? `: ${comment}` : ''}`, by);
    if (this.state.approvals.length < needed) return;
    this.decision = 'approved';
    this.approvedByPerson = true;
    this.state.approval = { decision: 'approved', ...approval };
  }

  private reject(by: string, reason?: string): void {
    if (this.state.status !== 'awaiting_approval') return this.record('reject_ignored', `not awaiting approval (${this.state.status})`, by);
    this.decision = 'rejected';
    this.state.approval = { decision: 'rejected', by, comment: reason, at: new Date().toISOString() };
    this.record('rejected', reason, by);
  }

  private async giveVerdict(verdict: (typeof VERDICTS)[number], by: string, comment?: string) {
    this.state.verdict = { verdict, by, comment, at: new Date().toISOString() };
    this.record(`verdict:${verdict}`, comment, by);
    upsertSearchAttributes([{ key: verdictAttribute, value: verdict }]);
    if (verdict === 'false_positive' && this.state.status === 'awaiting_approval') {
      this.decision = 'rejected';
      this.state.approval = { decision: 'rejected', by, comment: `false positive${comment ? `: ${comment}` : ''}`, at: new Date().toISOString() };
    }
    await auditVerdict(this, this.state.verdict);
    if (verdict === 'false_positive') await this.onFalsePositive(by);
    return this.state.verdict;
  }

  /**
   * No enforcement point holds the incident's block (a firewall down, a namespace gone), or one holds it again: the
   * incident and its routes say so, never `contained` over a block nobody enforces.
   */
  private blockHealth({ workflowId, address, state: health, errors }: BlockHealth): void {
    const action = this.state.actions.find((a) => isBlockOf(a, workflowId, address) && (a.outcome === 'done' || a.outcome === 'failed'));
    if (!action) return;
    const failed = health === 'failed';
    const detail = failed ? Object.entries(errors).map(([point, error]) => `${point}: ${error}`).join('; ') : `${address} is held again`;
    action.outcome = failed ? 'failed' : 'done';
    if (failed) action.error = detail;
    else delete action.error;
    this.record(failed ? 'block:failed' : 'block:recovered', detail);
    if (failed && this.state.status === 'contained') this.setStatus('failed', `no enforcement point holds the block of ${address}`);
    else if (!failed && this.state.status === 'failed' && failedSteps(this.state.actions, this.steps).length === 0) this.setStatus('contained', `the block of ${address} is held again`);
    else return;
    this.notify(this.policy.notify, failed ? `Block of ${address} FAILED at every enforcement point (${detail}); retrying` : `Block of ${address} is in place again`);
  }

  /** A block that ended before the incident did: expired, or lifted early by a person. Shown, never hidden under `contained`. */
  private blockEnded(workflowId: string, address: string, how: 'expired' | 'lifted', by?: string): void {
    const action = this.state.actions.find((a) => isBlockOf(a, workflowId, address) && a.outcome === 'done');
    if (!action) return;
    action.outcome = 'ended';
    this.record(`block:${how}`, `${action.target}${by ? ` by ${by}` : ''}`, by);
    const stillHeld = this.state.actions.some((a) => a.outcome === 'done' && this.steps.find((s) => s.idempotencyKey === a.idempotencyKey)?.containment);
    if (this.state.status === 'contained' && !stillHeld) this.setStatus(how === 'lifted' ? 'lifted' : 'ended', how === 'lifted' ? `block lifted early${by ? ` by ${by}` : ''}` : 'the block expired');
    log.info('incident block ended', { id: this.state.id, how });
  }
}

/** A shard holds many addresses, so its blocks are told apart by address; a block workflow of its own held one. */
function isBlockOf(action: ActionRecord, workflowId: string, address: string): boolean {
  const ref = action.result?.ref;
  return action.kind === 'block' && ref?.workflowId === workflowId && (ref.address === undefined || ref.address === address);
}

function newState(input: IncidentInput, playbook: Playbook, policy: PlaybookPolicy): IncidentState {
  return {
    id: workflowInfo().workflowId,
    playbook: input.playbook,
    entity: input.entity,
    entityKind: playbook.entityKind,
    ...(input.requestedBy !== undefined ? { requestedBy: input.requestedBy } : {}),
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
    openedAt: new Date().toISOString(),
  };
}
