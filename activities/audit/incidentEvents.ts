import { type AuditContext, type AuditSink, baseRecord, currentActivity, recordId } from './record.ts';

export interface IncidentEventInput {
  /** `incident.decide`, `incident.verdict` (domain/reports/auditEvents.ts). */
  action: string;
  target: string;
  parameters: Record<string, unknown>;
  audit: AuditContext;
}

/** Writes what an incident decided or was told as one `event` record: nothing is attempted, so there is no `after`. */
export function createIncidentEventActivities({ audit }: { audit: AuditSink }) {
  return {
    async recordIncidentEvent({ action, target, parameters, audit: context }: IncidentEventInput): Promise<void> {
      const activity = currentActivity();
      await audit.append([{ id: recordId(activity, 'event'), at: new Date().toISOString(), phase: 'event', ...baseRecord({ action, target, parameters, context }, activity) }]);
    },
  };
}

export type IncidentEventActivities = ReturnType<typeof createIncidentEventActivities>;
