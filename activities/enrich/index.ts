import type { Client } from '@temporalio/client';
import { canonicalIp } from '../../domain/ip.ts';
import { entityAttribute } from '../../workflows/searchAttributes.ts';
import type { GeoIpLookup, GeoIpResult } from './geoip.ts';

export interface Enrichment {
  geo?: GeoIpResult;
  /** Earlier incidents about the same address, from Temporal's visibility store. */
  previousIncidents: number;
}

export function createEnrichActivities({ geoip, client }: { geoip: GeoIpLookup; client: Client }) {
  return {
    async enrichIp({ address }: { address: string }): Promise<Enrichment> {
      const ip = canonicalIp(address);
      const query = `${entityAttribute.name} = "${ip.address}" AND WorkflowType = "incidentWorkflow" AND ExecutionStatus != "Running"`;
      const { count } = await client.workflow.count(query);
      return { geo: geoip.lookup(ip.address, ip.family), previousIncidents: count };
    },
  };
}

export type EnrichActivities = ReturnType<typeof createEnrichActivities>;
