import { Registry } from 'prom-client';

/** What a metrics endpoint serves: the registry this process's metrics join, and the text of one scrape. */
export interface MetricsExposition {
  registry: Registry;
  /** The registry's text, followed by whatever else the process exposes (the Temporal SDK's worker metrics). */
  text(): Promise<string>;
}

/** A registry alone, for an app built without the process's own (tests, tools). */
export function registryExposition(registry = new Registry()): MetricsExposition {
  return { registry, text: () => registry.metrics() };
}
