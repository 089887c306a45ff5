import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { Histogram, type Registry, Summary } from 'prom-client';
import { withActionMetrics } from '../../activities/audit/actionMetrics.ts';
import { discardAudit } from '../../activities/audit/index.ts';
import { apiMetrics } from '../../api/metrics/apiMetrics.ts';
import { processMetrics } from '../../runtime/processMetrics.ts';
import { dashboardMetricNames, dashboardPanels, metricNamesIn } from '../support/grafanaDashboard.ts';

/** The series names a registry's metrics are scraped under: a histogram as its buckets, sum and count. */
function exposedNames(registry: Registry): Set<string> {
  return new Set(registry.getMetricsAsArray().flatMap((metric) => {
    const { name } = metric;
    if (metric instanceof Histogram) return [`${name}_bucket`, `${name}_sum`, `${name}_count`];
    if (metric instanceof Summary) return [name, `${name}_sum`, `${name}_count`];
    return [name];
  }));
}

/** A registry holding every metric `npm start` registers: the process's, the API's and the workers' own. */
function riposteRegistry(): Registry {
  const metrics = processMetrics();
  // Never dialled: registering the scrape-time gauges reads nothing from Temporal.
  apiMetrics({ client: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }), taskQueue: 'riposte', metrics });
  withActionMetrics(discardAudit, metrics.registry);
  return metrics.registry;
}

test('metric names are read out of PromQL: functions, grouping, label matchers, ranges and variables are not names', () => {
  assert.deepEqual(metricNamesIn('histogram_quantile(0.95, sum by (le, task_queue) (rate(temporal_x_seconds_bucket{kind=~"a|b", point="edl"}[$__rate_interval])))'), ['temporal_x_seconds_bucket']);
  assert.deepEqual(metricNamesIn('time() - max by (point) (riposte_reconciled_timestamp_seconds)'), ['riposte_reconciled_timestamp_seconds']);
  assert.deepEqual(metricNamesIn('sum(a_total) / ignoring(x) sum(b_total) > 1e3 and on (y) c offset 5m'), ['a_total', 'b_total', 'c']);
});

test('the dashboard parses, every panel but a row queries something, and every Riposte and Node.js metric it reads is registered', async () => {
  const panels = await dashboardPanels();
  const unqueried = panels.filter((panel) => panel.type !== 'row' && !(panel.targets ?? []).some((target) => target.expr.trim() !== ''));
  assert.deepEqual(unqueried.map((panel) => panel.title), []);

  const names = await dashboardMetricNames();
  for (const shown of ['riposte_alert_requests_total', 'riposte_incidents_open', 'riposte_actions_total', 'riposte_time_to_contain_seconds_bucket', 'riposte_approvals_waiting',
    'riposte_kill_switch_engaged', 'riposte_circuit_breaker_tripped', 'riposte_blocks_active']) {
    assert.ok(names.has(shown), `the dashboard shows ${shown}`);
  }
  const registered = exposedNames(riposteRegistry());
  // The SDK's own (temporal_*) come from its native exporter: test/integration/metrics.test.ts finds them in a worker's scrape.
  const unknown = [...names].filter((name) => !name.startsWith('temporal_') && !registered.has(name));
  assert.deepEqual(unknown, [], 'every metric the dashboard reads is one Riposte registers');
  assert.ok([...names].some((name) => name.startsWith('temporal_')), 'the dashboard shows the Temporal workers');
});
