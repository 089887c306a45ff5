import { type CanonicalCidr, canonicalCidr, type IpFamily, prefixMask } from '../../domain/ip.ts';

/**
 * Where each block lives in Riposte's nftables table, and the chain that looks them up.
 *
 * A single address goes in `blocked4` or `blocked6`, hash sets with a timeout per element, as it always has. A range
 * goes in the set of its prefix length (`blocked4_24`, `blocked6_64`), as its network address, and the chain looks the
 * source address up there masked to that length. The obvious design, `flags interval` on blocked4/blocked6, was tried
 * with nft 1.0.6 on Linux 6.18 and refused for three reasons:
 *  - an interval set refuses any overlap ("interval overlaps with an existing one"): an address inside a blocked
 *    range, a range over blocked addresses, nested ranges. Each is a block of its own, with its own workflow, expiry
 *    and removal, so none may be refused or merged away.
 *  - `auto-merge` accepts them by merging them into one element with one timeout, not the longest: a 600 s block
 *    merged with a 60 s one ended after 60 s whichever came first and whichever held the other, and a merged piece
 *    can no longer be removed alone ("element does not exist").
 *  - set flags cannot change in place. Adding `interval` to an existing deployment's sets means deleting and making
 *    them again, which lifts every block the kernel holds; block workflows apply only when an expiry changes, so none
 *    would be put back until its next extension.
 * Two networks of one prefix length are equal or disjoint, so sets per length never overlap, keep the hash sets'
 * add/delete/add way of rewriting a timeout, and leave the sets of existing deployments as they are. A length's set and
 * rule are made the first time a block of that length arrives, so the chain holds only lookups in use.
 */

export const CHAIN = 'prerouting';

export interface NftSet {
  name: string;
  family: IpFamily;
  prefix: number;
}

const FULL_LENGTH = { 4: 32, 6: 128 } as const;

function makeSets(family: IpFamily): NftSet[] {
  return Array.from({ length: FULL_LENGTH[family] + 1 }, (_, prefix) => ({
    name: prefix === FULL_LENGTH[family] ? `blocked${family}` : `blocked${family}_${prefix}`,
    family,
    prefix,
  }));
}

// Made once: the group commit looks a set up for every call, 100k at a time.
const SETS = { 4: makeSets(4), 6: makeSets(6) } as const;
const BY_NAME = new Map([...SETS[4], ...SETS[6]].map((set) => [set.name, set]));

/** The set holding a target. */
export function setFor(target: CanonicalCidr): NftSet {
  return SETS[target.family][target.prefix]!;
}

/** The set of this name in Riposte's layout; undefined for any other set. */
export function setNamed(name: string): NftSet | undefined {
  return BY_NAME.get(name);
}

export function isRangeSet(set: NftSet): boolean {
  return set.prefix < FULL_LENGTH[set.family];
}

/** The canonical target of an element of `set` whose value nft printed as `value`. */
export function targetOf(set: NftSet, value: string): string {
  return canonicalCidr(isRangeSet(set) ? `${value}/${set.prefix}` : value).text;
}

/**
 * Statements that make the address sets and `rangeSets` (`add` leaves existing sets and their elements alone), and
 * rewrite the chain to look up every one of them. One transaction, so no packet ever meets a half-written chain.
 */
export function layoutText(table: string, rangeSets: Iterable<NftSet>): string[] {
  const sets = [SETS[4][32]!, SETS[6][128]!, ...rangeSets];
  return [
    ...sets.map((set) => `add set ${table} ${set.name} { type ${set.family === 4 ? 'ipv4_addr' : 'ipv6_addr'}; flags timeout; }`),
    // Raw prerouting runs before conntrack, so packets of already-open connections are dropped as well.
    `add chain ${table} ${CHAIN} { type filter hook prerouting priority raw; policy accept; }`,
    `flush chain ${table} ${CHAIN}`,
    ...sets.map((set) => {
      const source = set.family === 4 ? 'ip saddr' : 'ip6 saddr';
      const key = isRangeSet(set) ? `${source} & ${prefixMask(set.family, set.prefix)}` : source;
      return `add rule ${table} ${CHAIN} ${key} @${set.name} drop`;
    }),
  ];
}
