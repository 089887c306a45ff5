import type { Client } from '@temporalio/client';
import type { EntityKind } from '../../domain/entity.ts';
import { canonicalIp } from '../../domain/ip.ts';
import type { ReputationFindings } from '../../domain/reputation.ts';
import { entityAttribute } from '../../workflows/searchAttributes.ts';
import type { GeoIpLookup, GeoIpResult } from './geoip.ts';
import { createReputationLookup, type ReputationSources } from './reputation/index.ts';

export interface Enrichment {
  /** Addresses only. */
  geo?: GeoIpResult;
  /** Earlier incidents about the same entity, from Temporal's visibility store; unknown for a `domain\\user` name. */
  previousIncidents?: number;
  /** Single addresses only, when reputation providers are configured: what they said, and which said nothing and why. */
  reputation?: ReputationFindings;
}

export function createEnrichActivities({ geoip, client, reputation }: { geoip: GeoIpLookup; client: Client; reputation?: ReputationSources }) {
  function locate(address: string): GeoIpResult | undefined {
    const ip = canonicalIp(address);
    return geoip.lookup(ip.address, ip.family) ?? undefined;
  }
  const lookUpReputation = reputation && (reputation.providers.length > 0 || reputation.off.length > 0) ? createReputationLookup(reputation) : undefined;

  /** Closed incidents about the entity in the visibility store; undefined for a name the store cannot match. */
  async function countClosed(entity: string): Promise<number | undefined> {
    // Canonical entities carry no quote (domain/entity.ts), so they are safe inside the query's quotes. A down-level
    // user name's backslash has no spelling the visibility store matches exactly, so its count stays unknown.
    if (entity.includes('"')) throw new Error('entity is not canonical');
    if (entity.includes('\\')) return undefined;
    const query = `${entityAttribute.name} = "${entity}" AND WorkflowType = "incidentWorkflow" AND ExecutionStatus != "Running"`;
    return (await client.workflow.count(query)).count;
  }

  return {
    /**
     * GeoIP and reputation for an address and, unless `countPrevious` is false (incidents that read the entity's
     * history instead), the closed incidents about the entity counted in the visibility store.
     */
    async enrichEntity({ kind, entity, countPrevious = true }: { kind: EntityKind; entity: string; countPrevious?: boolean }): Promise<Enrichment> {
      const address = kind === 'address' && !entity.includes('/');
      const [previousIncidents, findings] = await Promise.all([
        countPrevious ? countClosed(entity) : undefined,
        address ? lookUpReputation?.(entity) : undefined,
      ]);
      return {
        ...(address ? { geo: locate(entity) } : {}),
        ...(previousIncidents !== undefined ? { previousIncidents } : {}),
        ...(findings ? { reputation: findings } : {}),
      };
    },

    /** Where an address is, for the login history; undefined when DB-IP does not know. */
    async locate({ address }: { address: string }): Promise<GeoIpResult | undefined> {
      return locate(address);
    },
  };
}

export type EnrichActivities = ReturnType<typeof createEnrichActivities>;
