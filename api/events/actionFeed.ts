import type { AuditReader, AuditRecord } from '../../activities/audit/record.ts';
import type { Feed } from './hub.ts';

export interface ActionEvent {
  time: string;
  incidentId?: string;
  action: string;
  point?: string;
  target?: string;
  outcome: string;
}

export function actionEvent(record: AuditRecord): ActionEvent {
  return {
    time: record.at,
    ...(record.trigger?.incidentId ? { incidentId: record.trigger.incidentId } : {}),
    action: record.action,
    ...(record.point !== undefined ? { point: record.point } : {}),
    ...(record.target ? { target: record.target } : {}),
    outcome: record.result ?? 'unknown',
  };
}

/** Each `after` record (an attempt's result) the audit trail gets from now on; none when the trail cannot be followed. */
export function actionFeed(audit: AuditReader | undefined): Feed {
  return (publish) => {
    const following = audit?.follow?.((record) => {
      if (record.phase === 'after') publish('action', actionEvent(record));
    });
    return following ?? { ready: Promise.resolve(), stop: () => undefined };
  };
}
