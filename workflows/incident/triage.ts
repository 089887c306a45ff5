import { condition, patched, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { EnrichActivities } from '../../activities/enrich/index.ts';
import type { OffenceActivities } from '../../activities/offences.ts';
import { thresholdsMet } from '../../domain/incidentDecision.ts';
import { autoWhenMet, type ReputationFindings, type ReputationNote, reputationLine } from '../../domain/reputation.ts';
import type { Facts } from '../../playbooks/playbook.ts';
import { INCIDENT_ACTIVITY_OPTIONS } from '../activityOptions.ts';
import { rootCauseMessage } from '../failures.ts';
import { localFirst } from '../localFirst.ts';
import type { Incident } from './incident.ts';

const { enrichEntity } = proxyLocalActivities<EnrichActivities>(INCIDENT_ACTIVITY_OPTIONS.enrich);
// An offence history is served by this worker's own task slots: see localFirst.
const entityHistory = localFirst(
  proxyLocalActivities<OffenceActivities>(INCIDENT_ACTIVITY_OPTIONS.offencesLocal).readEntityHistory,
  proxyActivities<OffenceActivities>(INCIDENT_ACTIVITY_OPTIONS.offencesRemote).readEntityHistory,
);
const countOffences = localFirst(
  proxyLocalActivities<OffenceActivities>(INCIDENT_ACTIVITY_OPTIONS.offencesLocal).countOffences,
  proxyActivities<OffenceActivities>(INCIDENT_ACTIVITY_OPTIONS.offencesRemote).countOffences,
);

/** The entity's closed incidents and, for an address, its offences, in one read of what Riposte keeps of it. */
async function readHistory(incident: Incident): Promise<void> {
  const { state } = incident;
  try {
    const history = await entityHistory({ entity: state.entity, withinMs: incident.input.policy.offenceMemory });
    state.previousIncidents = history.incidents;
    if (state.entityKind !== 'address') return;
    state.priorOffences = history.offences;
    if (state.priorOffences > 0) incident.record('repeat_offender', `${state.priorOffences} earlier block(s) ran to expiry`);
  } catch (err) {
    incident.record('offence_history_unavailable', `${rootCauseMessage(err)}: the first step of the ladder applies`);
  }
}

/**
 * What the reputation providers said, kept for plan() and for people, and the providers that said nothing with why
 * (no key, rate limited, failed). Only the timeline and the state change: no command, so older histories replay.
 */
function noteReputation(incident: Incident, { reputation, notes }: ReputationFindings): void {
  if (Object.keys(reputation).length > 0) {
    incident.state.reputation = reputation;
    incident.record('reputation', reputationLine(reputation));
    const auto = autoWhenMet(incident.policy.autoWhen, reputation);
    if (auto) incident.record('reputation_meets_auto_when', auto);
  }
  const listed = (outcome: ReputationNote['outcome']) => notes.filter((n) => n.outcome === outcome).map((n) => `${n.provider}: ${n.reason}`).join('; ');
  if (notes.some((n) => n.outcome === 'skipped')) incident.record('reputation_skipped', listed('skipped'));
  if (notes.some((n) => n.outcome === 'failed')) incident.record('reputation_failed', listed('failed'));
}

/** Alerts below the thresholds are watched for one review window; false when the window ends below them. */
export async function thresholdsReached(incident: Incident): Promise<boolean> {
  const state = incident.state;
  const { minAlerts, minSeverity } = incident.policy.thresholds;
  const met = () => thresholdsMet(incident.policy.thresholds, state);
  if (met()) return true;
  incident.setStatus('watching', `waiting for ${minAlerts} alerts of severity ${minSeverity} or more`);
  if (!(await condition(met, incident.policy.reviewWindow))) {
    incident.setStatus('below_threshold', `${state.alertCount} alert(s), severity ${state.maxSeverity}: below the playbook's thresholds`);
    return false;
  }
  incident.setStatus('triage', 'thresholds reached');
  return true;
}

/** What the plan is made from. A failed lookup costs a fact, never the response. */
export async function gatherFacts(incident: Incident): Promise<Facts> {
  const state = incident.state;
  // Runs recorded before the entity history counted earlier incidents through the visibility store, and offences apart.
  const fromHistory = patched('entity-history');
  try {
    const enrichment = await enrichEntity({ kind: state.entityKind, entity: state.entity, ...(fromHistory ? { countPrevious: false } : {}) });
    state.geo = enrichment.geo;
    if (!fromHistory) state.previousIncidents = enrichment.previousIncidents;
    incident.record('enriched', [enrichment.geo?.country, enrichment.geo?.city].filter(Boolean).join(', ') || 'no GeoIP data');
    if (enrichment.reputation) noteReputation(incident, enrichment.reputation);
  } catch (err) {
    incident.record('enrichment_failed', rootCauseMessage(err));
  }
  if (fromHistory) await readHistory(incident);
  else if (state.entityKind === 'address') {
    try {
      state.priorOffences = await countOffences({ address: state.entity, withinMs: incident.input.policy.offenceMemory });
      if (state.priorOffences > 0) incident.record('repeat_offender', `${state.priorOffences} earlier block(s) ran to expiry`);
    } catch (err) {
      incident.record('offence_history_unavailable', `${rootCauseMessage(err)}: the first step of the ladder applies`);
    }
  }
  return {
    entity: state.entity,
    alertCount: state.alertCount,
    maxSeverity: state.maxSeverity,
    samples: state.sampleAlerts,
    geo: state.geo,
    previousIncidents: state.previousIncidents ?? 0,
    priorOffences: state.priorOffences ?? 0,
    ...(state.reputation ? { reputation: state.reputation } : {}),
    ...(incident.input.request ? { request: incident.input.request } : {}),
  };
}
