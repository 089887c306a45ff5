import { allHandlersFinished, condition, continueAsNew, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { EnrichActivities } from '../activities/enrich/index.ts';
import type { IncidentActivities } from '../activities/incidents.ts';
import type { AlertBatch, AlertSummary } from '../domain/alert.ts';
import { canonicalCidr } from '../domain/ip.ts';
import { playbookPolicy } from '../domain/policy.ts';
import { describeTravel, type ImpossibleTravel, impossibleTravel, type Login } from '../domain/travel.ts';
import { INCIDENT_ACTIVITY_OPTIONS } from './activityOptions.ts';
import { type LoginSignal, loginsSignal } from './messages.ts';

/** Logins kept per user: enough to compare against a day of sign-ins, small enough for a bounded history. */
export const MAX_LOGINS_KEPT = 20;
/** A login older than this is too old for any journey to be impossible at a plausible speed. */
const LOGIN_MEMORY_MS = 24 * 3_600_000;
/** The history ends itself after this long without a login; the next one starts it again. */
const IDLE_MS = 7 * 24 * 3_600_000;


const { locate } = proxyLocalActivities<EnrichActivities>(INCIDENT_ACTIVITY_OPTIONS.enrich);
const { raiseIncident } = proxyActivities<IncidentActivities>(INCIDENT_ACTIVITY_OPTIONS.raise);

/**
 * One user's recent sign-ins, `logins:<user>`, for the impossible-travel playbook: each new login is placed by GeoIP and
 * compared with the earlier ones; an impossible journey raises (or joins) the incident `impossible-travel:<user>`.
 */
export async function loginHistoryWorkflow({ user, logins: carried = [] }: { user: string; logins?: Login[] }): Promise<void> {
  let logins = carried;
  const queue: LoginSignal[] = [];
  setHandler(loginsSignal, (signal) => void queue.push(signal));
  for (;;) {
    if (!(await condition(() => queue.length > 0 || workflowInfo().continueAsNewSuggested, IDLE_MS))) return;
    const signal = queue.shift();
    if (signal) logins = await assess(user, logins, signal);
    if (workflowInfo().continueAsNewSuggested && queue.length === 0) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof loginHistoryWorkflow>({ user, logins });
    }
  }
}

async function assess(user: string, logins: Login[], { logins: incoming, incident }: LoginSignal): Promise<Login[]> {
  const { travel } = playbookPolicy(incident.policy, incident.playbook);
  const settings = { ...travel, trustedRanges: travel.trustedRanges.map(canonicalCidr) };
  let kept = logins;
  for (const raw of incoming) {
    const login: Login = { address: raw.address, at: Date.parse(raw.occurredAt), alertId: raw.alertId };
    const geo = await locate({ address: raw.address });
    if (geo?.latitude !== undefined && geo.longitude !== undefined) login.geo = { latitude: geo.latitude, longitude: geo.longitude, city: geo.city, country: geo.country };
    const found = impossibleTravel(kept, login, settings);
    if (found) await raiseIncident({ id: `${incident.playbook}:${user}`, input: incident, batch: travelBatch(user, found, raw) });
    kept = [...kept, login].filter((l) => l.at > login.at - LOGIN_MEMORY_MS).sort((a, b) => a.at - b.at).slice(-MAX_LOGINS_KEPT);
  }
  return kept;
}

/** The two sign-ins of the journey as the incident's alerts, each saying what made it. */
function travelBatch(user: string, found: ImpossibleTravel, raw: LoginSignal['logins'][number]): AlertBatch {
  const detail = describeTravel(found);
  const summary = (login: Login): AlertSummary => ({
    id: login.alertId, source: raw.source, type: 'auth.success', severity: raw.severity, count: 1,
    occurredAt: new Date(login.at).toISOString(), receivedAt: new Date().toISOString(), sourceIp: login.address, user, detail,
  });
  return { alerts: 2, count: 2, maxSeverity: raw.severity, samples: [summary(found.from), summary(found.to)] };
}
