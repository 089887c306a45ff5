import type { Client } from '@temporalio/client';
import type { EntityKind } from '../../domain/entity.ts';
import { canonicalIp } from '../../domain/ip.ts';
import { entityAttribute } from '../../workflows/searchAttributes.ts';
import type { GeoIpLookup, GeoIpResult } from './geoip.ts';

export interface Enrichment {
  /** Addresses only. */
  geo?: GeoIpResult;
  /** Earlier incidents about the same entity, from Temporal's visibility store; unknown for a `domain\\user` name. */
  previousIncidents?: number;
}

export function createEnrichActivities({ geoip, client }: { geoip: GeoIpLookup; client: Client }) {
  function locate(address: string): GeoIpResult | undefined {
    const ip = canonicalIp(address);
    return geoip.lookup(ip.address, ip.family) ?? undefined;
  }
  return {
    /**
     * GeoIP for an address and, unless `countPrevious` is false (incidents that read the entity's history instead), the
     * closed incidents about the entity counted in the visibility store.
     */
    async enrichEntity({ kind, entity, countPrevious = true }: { kind: EntityKind; entity: string; countPrevious?: boolean }): Promise<Enrichment> {
      if (!countPrevious) return kind === 'address' && !entity.includes('/') ? { geo: locate(entity) } : {};
      // Canonical entities carry no quote (domain/entity.ts), so they are safe inside the query's quotes. A down-level
      // user name's backslash has no spelling the visibility store matches exactly, so its count stays unknown.
      if (entity.includes('"')) throw new Error('entity is not canonical');
      if (entity.includes('\\')) return {};
      const query = `${entityAttribute.name} = "${entity}" AND WorkflowType = "incidentWorkflow" AND ExecutionStatus != "Running"`;
      const { count } = await client.workflow.count(query);
      if (kind !== 'address' || entity.includes('/')) return { previousIncidents: count };
      return { geo: locate(entity), previousIncidents: count };
    },

    /** Where an address is, for the login history; undefined when DB-IP does not know. */
    async locate({ address }: { address: string }): Promise<GeoIpResult | undefined> {
      return locate(address);
    },
  };
}

export type EnrichActivities = ReturnType<typeof createEnrichActivities>;
