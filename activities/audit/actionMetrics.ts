import { Counter, Histogram, type Registry } from 'prom-client';
import { containmentOf, playbookOfIncident } from '../../domain/reports/containment.ts';
import { playbookByName } from '../../playbooks/index.ts';
import type { AuditRecord, AuditSink } from './record.ts';

/** Incidents whose containment this process has timed already: a retry, another point or an extension is not a second sample. */
const REMEMBERED_INCIDENTS = 10_000;

/** Minutes for automatic responses, up to a day for ones that waited for a person's approval. */
const CONTAIN_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 14_400, 43_200, 86_400];

/**
 * Counts every attempt the audit trail records, from its `after` record, and times each incident's first containment
 * that held. Every action, enforcement call and notification already writes its `after` record through the sink,
 * so this is the one place that sees them all. Counts are per worker process.
 */
export function withActionMetrics(sink: AuditSink, registry: Registry): AuditSink {
  const actions = new Counter({
    name: 'riposte_actions_total',
    help: 'Attempted response actions, enforcement calls and notifications, by audit name (block.apply, disable_user.apply, notify…), enforcement point or notification route (none for others), and outcome (success, failure, skipped)',
    labelNames: ['kind', 'point', 'outcome'],
    registers: [registry],
  });
  const timeToContain = new Histogram({
    name: 'riposte_time_to_contain_seconds',
    help: 'From an incident opening to its first containment that held (an address blocked at a point, a user disabled, a host isolated, a domain listed), by playbook',
    labelNames: ['playbook'],
    buckets: CONTAIN_BUCKETS,
    registers: [registry],
  });
  const timed = new Set<string>();

  function observe(record: AuditRecord): void {
    const containment = containmentOf(record);
    if (!containment || timed.has(containment.incidentId)) return;
    timed.add(containment.incidentId);
    if (timed.size > REMEMBERED_INCIDENTS) timed.delete(timed.values().next().value!);
    const playbook = playbookByName(playbookOfIncident(containment.incidentId))?.name ?? 'unknown';
    timeToContain.observe({ playbook }, containment.seconds);
  }

  return {
    async append(records) {
      await sink.append(records);
      for (const record of records) {
        if (record.phase !== 'after' || record.result === undefined) continue;
        actions.inc({ kind: record.action, point: record.point ?? record.route ?? 'none', outcome: record.result });
        observe(record);
      }
    },
    close: () => sink.close(),
  };
}
