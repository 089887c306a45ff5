import { Gauge, type Registry } from 'prom-client';
import type { DeploymentState } from './deploymentState.ts';

/**
 * Gauges of what Temporal holds, computed when scraped. A part Temporal did not answer for is left out of that
 * scrape (no stale value is shown), and `riposte_temporal_up` says which reads Temporal answered.
 */
export function registerDeploymentGauges(registry: Registry, read: () => Promise<DeploymentState>): void {
  const gauge = (name: string, help: string, labelNames: string[], set: (gauge: Gauge, state: DeploymentState) => void) => new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const state = await read();
      // reset() leaves an unlabelled gauge at 0: a value Temporal did not give is left out instead.
      this.reset();
      if (labelNames.length === 0) this.remove();
      set(this, state);
    },
  });

  gauge('riposte_temporal_up', '1 when Temporal answered the last scrape-time read, else 0: read="incidents" the visibility counts, read="control" the control workflow', ['read'], (g, { incidents, control }) => {
    g.set({ read: 'incidents' }, incidents ? 1 : 0);
    g.set({ read: 'control' }, control ? 1 : 0);
  });
  gauge('riposte_incidents_open', 'Open incidents of this deployment, by playbook and status (Temporal visibility)', ['playbook', 'status'], (g, { incidents }) => {
    for (const { playbook, status, count } of incidents ?? []) g.set({ playbook, status }, count);
  });
  gauge('riposte_approvals_waiting', 'Open incidents waiting for a person\'s approval', [], (g, { incidents }) => {
    if (incidents) g.set(incidents.filter(({ status }) => status === 'awaiting_approval').reduce((sum, { count }) => sum + count, 0));
  });
  gauge('riposte_kill_switch_engaged', '1 while the kill switch holds every containment action, else 0', [], (g, { control }) => {
    if (control) g.set(control.paused ? 1 : 0);
  });
  gauge('riposte_circuit_breaker_tripped', '1 while the mass-block circuit breaker holds automatic blocks for approval, else 0', [], (g, { control }) => {
    if (control) g.set(control.breaker?.tripped ? 1 : 0);
  });
  gauge('riposte_circuit_breaker_recent_blocks', 'New blocks the circuit breaker counts in its current window', [], (g, { control }) => {
    if (control) g.set(control.breaker?.recentBlocks ?? 0);
  });
  gauge('riposte_blocks_active', 'Live blocks meant to be held at each enforcement point, as the last reconcile found them', ['point'], (g, { control }) => {
    for (const [point, { intended }] of Object.entries(control?.enforcement ?? {})) g.set({ point }, intended);
  });
  gauge('riposte_enforcement_enforced_ratio', 'Share of the live blocks each enforcement point really held at the last reconcile, 0 to 1', ['point'], (g, { control }) => {
    for (const [point, { enforced }] of Object.entries(control?.enforcement ?? {})) g.set({ point }, enforced);
  });
  gauge('riposte_enforcement_reconciled_timestamp_seconds', 'When each enforcement point was last reconciled, Unix time', ['point'], (g, { control }) => {
    for (const [point, { at }] of Object.entries(control?.enforcement ?? {})) g.set({ point }, Date.parse(at) / 1000);
  });
}
