import type { MetricsExporterConfig } from '@temporalio/worker';
import { freePort } from './freePort.ts';

/** A scrape waits this long for the SDK's exporter, which answers from memory in the same process. */
const READ_TIMEOUT_MS = 2_000;

export interface SdkMetrics {
  /** For `Runtime.install`'s `telemetryOptions.metrics`. */
  exporter: MetricsExporterConfig;
  /** The exporter's current text; empty when it did not answer, so a scrape still shows Riposte's own metrics. */
  read(): Promise<string>;
}

/**
 * The Temporal SDK's worker metrics come from its own Prometheus exporter, which runs in the SDK's native runtime and
 * can only serve on a port of its own. It listens on a loopback port nobody is told about; each scrape of Riposte's
 * endpoints reads it and appends its text, so one scrape target shows both. Names follow Prometheus's conventions:
 * `_total` counters, durations in `_seconds`.
 */
export async function sdkMetrics(): Promise<SdkMetrics> {
  const bindAddress = `127.0.0.1:${await freePort()}`;
  return {
    exporter: { prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true } },
    async read() {
      try {
        const response = await fetch(`http://${bindAddress}/metrics`, { signal: AbortSignal.timeout(READ_TIMEOUT_MS) });
        return response.ok ? await response.text() : '';
      } catch {
        return '';
      }
    },
  };
}
