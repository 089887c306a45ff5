import { z } from 'zod';

/**
 * What the reputation providers (activities/enrich/reputation/) say of an address, one small summary each: the fields a
 * plan or a person reads, never the vendor's whole body, since it lives in the incident's state and history.
 */
export interface Reputation {
  abuseipdb?: AbuseIpdbReputation;
  greynoise?: GreyNoiseReputation;
  virustotal?: VirusTotalReputation;
  shodan?: ShodanReputation;
  rdap?: RdapOwnership;
}
export type ReputationProviderName = keyof Reputation;

export interface AbuseIpdbReputation {
  /** abuseConfidenceScore, 0-100. */
  confidence: number;
  /** Reports within the lookup's maxAgeInDays. */
  reports: number;
  country?: string;
  usageType?: string;
  isp?: string;
  /** On one of AbuseIPDB's whitelists: a known good actor. */
  whitelisted?: boolean;
}

export interface GreyNoiseReputation {
  /** Seen scanning the internet at large (untargeted). */
  noise: boolean;
  /** A common business service (RIOT): a CDN, a public resolver, a cloud provider's shared address. */
  riot: boolean;
  /** malicious, benign or unknown; absent when GreyNoise has not seen the address. */
  classification?: string;
  name?: string;
  link?: string;
}

export interface VirusTotalReputation {
  /** Engines of the last analysis calling the address malicious, suspicious, harmless. */
  malicious: number;
  suspicious: number;
  harmless: number;
  /** The community score: negative is bad. */
  reputation: number;
}

export interface ShodanReputation {
  /** False when Shodan has no information on the address (its 404). */
  indexed: boolean;
  ports: number[];
  /** CVE ids Shodan infers from banners. */
  vulns: string[];
  hostnames: string[];
  org?: string;
}

export interface RdapOwnership {
  /** The registry's network name and handle, e.g. EXAMPLE-NET and NET-203-0-113-0-1. */
  name?: string;
  handle?: string;
  country?: string;
  /** The registrant's organisation, from its vCard. */
  org?: string;
  /** The registered range: CIDR when the registry gives one, else `start - end`. */
  range?: string;
}

/** A provider that said nothing this time, and why: no key, rate limited, failed, or turned off. */
export interface ReputationNote {
  provider: string;
  outcome: 'skipped' | 'failed';
  reason: string;
}

/** One lookup of an address across the configured providers. */
export interface ReputationFindings {
  reputation: Reputation;
  notes: ReputationNote[];
}

/**
 * A playbook policy's `autoWhen`: in approve mode, containment runs at once when the address's reputation meets any
 * of these (observe mode still only records; over-wide ranges and a playbook's own reasons still wait for a person).
 */
export const autoWhenSchema = z.object({
  abuseConfidenceAtLeast: z.number().int().min(1).max(100).optional(),
  virusTotalMaliciousAtLeast: z.number().int().min(1).max(1000).optional(),
}).strict().refine((when) => Object.values(when).some((v) => v !== undefined), 'name at least one condition: abuseConfidenceAtLeast, virusTotalMaliciousAtLeast');
export type AutoWhen = z.output<typeof autoWhenSchema>;

/**
 * Why the reputation lets containment run without a person, or undefined. Never for an address AbuseIPDB whitelists
 * or GreyNoise knows as a business service: a shared address (a CDN, a cloud NAT) gathers reports it did not earn.
 */
export function autoWhenMet(when: AutoWhen | undefined, reputation: Reputation | undefined): string | undefined {
  if (!when || !reputation) return undefined;
  const { abuseipdb, virustotal, greynoise } = reputation;
  if (abuseipdb?.whitelisted || greynoise?.riot) return undefined;
  if (when.abuseConfidenceAtLeast !== undefined && abuseipdb && abuseipdb.confidence >= when.abuseConfidenceAtLeast) {
    return `AbuseIPDB confidence ${abuseipdb.confidence} is at least ${when.abuseConfidenceAtLeast}`;
  }
  if (when.virusTotalMaliciousAtLeast !== undefined && virustotal && virustotal.malicious >= when.virusTotalMaliciousAtLeast) {
    return `${virustotal.malicious} VirusTotal engines call it malicious, at least ${when.virusTotalMaliciousAtLeast}`;
  }
  return undefined;
}

/** One line for people (the timeline, notifications): what each provider said, in a fixed order. */
export function reputationLine(reputation: Reputation): string {
  const { abuseipdb, greynoise, virustotal, shodan, rdap } = reputation;
  const parts: string[] = [];
  if (abuseipdb) parts.push(`AbuseIPDB ${abuseipdb.confidence}% (${abuseipdb.reports} report${abuseipdb.reports === 1 ? '' : 's'}${abuseipdb.whitelisted ? ', whitelisted' : ''})`);
  if (greynoise) parts.push(`GreyNoise ${greynoiseWords(greynoise)}`);
  if (virustotal) parts.push(`VirusTotal ${virustotal.malicious} malicious, ${virustotal.suspicious} suspicious`);
  if (shodan) parts.push(shodan.indexed ? `Shodan ports ${shodan.ports.join(', ') || 'none'}${shodan.vulns.length > 0 ? `, ${shodan.vulns.length} CVE(s)` : ''}` : 'Shodan no information');
  if (rdap) parts.push(`RDAP ${[rdap.org ?? rdap.name, rdap.country, rdap.range].filter(Boolean).join(', ') || rdap.handle || 'registered'}`);
  return parts.join('; ');
}

function greynoiseWords(g: GreyNoiseReputation): string {
  if (g.riot) return `business service${g.name ? ` (${g.name})` : ''}`;
  if (!g.noise) return 'not seen scanning';
  return `${g.classification ?? 'unknown'} scanner${g.name && g.name !== 'unknown' ? ` (${g.name})` : ''}`;
}

// The incident's state is declared in incident.ts; the reputation it carries is declared here, with its types.
declare module './incident.ts' {
  interface IncidentState {
    /** What the reputation providers said of the incident's address, when any answered (workflows/incident/triage.ts). */
    reputation?: Reputation;
  }
}
