import ipaddr from 'ipaddr.js';
import type { Reputation, ReputationFindings, ReputationNote } from '../../../domain/reputation.ts';
import { abuseIpdb } from './abuseipdb.ts';
import { greyNoise } from './greynoise.ts';
import { type GateOptions, gateProvider } from './providerGate.ts';
import type { ReputationDefinition, ReputationProvider } from './provider.ts';
import { rdap } from './rdap.ts';
import { shodan } from './shodan.ts';
import { virusTotal } from './virustotal.ts';

/** Every reputation source Riposte can ask; runtime/adapters.ts builds those whose variables are set. */
export const reputationProviders: readonly ReputationDefinition[] = [abuseIpdb, greyNoise, virusTotal, shodan, rdap];

/** The providers this process asks, and the ones it does not, with why (for the incident's note). */
export interface ReputationSources {
  providers: readonly ReputationProvider[];
  off: readonly { name: string; reason: string }[];
}

// Addresses of the organisation's own networks: the providers know nothing of them, and asking would tell them.
const NEVER_SENT = new Set(['unspecified', 'broadcast', 'multicast', 'linkLocal', 'loopback', 'carrierGradeNat', 'private', 'uniqueLocal']);

/** One lookup of a canonical address across every provider, side by side; what a provider did not say is a note. */
export function createReputationLookup(sources: ReputationSources, options: GateOptions = {}) {
  const gates = sources.providers.map((provider) => gateProvider(provider, options));
  const offNotes: ReputationNote[] = sources.off.map(({ name, reason }) => ({ provider: name, outcome: 'skipped', reason }));
  return async function lookUpReputation(address: string): Promise<ReputationFindings> {
    if (NEVER_SENT.has(ipaddr.parse(address).range())) {
      const reason = 'an internal address is never sent to outside providers';
      return { reputation: {}, notes: gates.map(({ name }) => ({ provider: name, outcome: 'skipped', reason })) };
    }
    const answers = await Promise.all(gates.map((gate) => gate.lookup(address)));
    const reputation: Reputation = Object.assign({}, ...answers.flatMap((a) => ('reputation' in a ? [a.reputation] : [])));
    return { reputation, notes: [...answers.flatMap((a) => ('note' in a ? [a.note] : [])), ...offNotes] };
  };
}
