import ipaddr from 'ipaddr.js';

/**
 * The project's one IP parser. Attackers and buggy SIEM fields send addresses that different parsers read
 * differently (`010.0.0.1` is 8.0.0.1 to glibc, `2130706433` is 127.0.0.1), so anything but the plain
 * dotted-decimal or RFC 4291 text forms is refused rather than guessed at.
 */
export type IpFamily = 4 | 6;

export interface CanonicalIp {
  address: string;
  family: IpFamily;
}

export interface CanonicalCidr {
  /** Network address with host bits cleared. */
  network: string;
  prefix: number;
  family: IpFamily;
  /** `network/prefix`, or just the address for a full-length prefix. */
  text: string;
}

export class InvalidIpError extends Error {
  constructor(readonly input: string, reason: string) {
    super(`invalid IP address ${JSON.stringify(input.slice(0, 64))}: ${reason}`);
    this.name = 'InvalidIpError';
  }
}

const DOTTED_QUAD = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;
const IPV6_CHARS = /^[0-9a-fA-F:.]+$/;

function parseStrict(input: string): ipaddr.IPv4 | ipaddr.IPv6 {
  if (input.length === 0 || input.length > 45) throw new InvalidIpError(input, 'empty or too long');
  if (input.includes('%')) throw new InvalidIpError(input, 'zone ids are not accepted');
  if (input.includes(':')) {
    if (!IPV6_CHARS.test(input)) throw new InvalidIpError(input, 'not an IPv6 address');
    const embedded = input.slice(input.lastIndexOf(':') + 1);
    if (embedded.includes('.') && !DOTTED_QUAD.test(embedded)) {
      throw new InvalidIpError(input, 'embedded IPv4 part is not plain dotted decimal');
    }
    if (!ipaddr.IPv6.isValid(input)) throw new InvalidIpError(input, 'not an IPv6 address');
    const parsed = ipaddr.IPv6.parse(input);
    // ipaddr.js reads the deprecated IPv4-compatible form ::a.b.c.d as the mapped ::ffff:a.b.c.d, another address.
    if (embedded.includes('.') && parsed.isIPv4MappedAddress() && !/ffff:[^:]*$/i.test(input)) {
      throw new InvalidIpError(input, 'the deprecated IPv4-compatible form ::a.b.c.d is not accepted');
    }
    return parsed;
  }
  const quad = input.match(DOTTED_QUAD);
  if (!quad) throw new InvalidIpError(input, 'IPv4 must be four decimal octets without leading zeros');
  if (quad.slice(1).some((octet) => Number(octet) > 255)) throw new InvalidIpError(input, 'octet above 255');
  return ipaddr.IPv4.parse(input);
}

function fold(addr: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  // A mapped address in an IPv6 set never matches IPv4 traffic, so it is stored as the IPv4 it stands for.
  return addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()
    ? (addr as ipaddr.IPv6).toIPv4Address()
    : addr;
}

function text(addr: ipaddr.IPv4 | ipaddr.IPv6): string {
  return addr.kind() === 'ipv6' ? (addr as ipaddr.IPv6).toRFC5952String() : addr.toString();
}

/** Canonical text of a single address; throws InvalidIpError for anything ambiguous. */
export function canonicalIp(input: string): CanonicalIp {
  const addr = fold(parseStrict(input));
  return { address: text(addr), family: addr.kind() === 'ipv4' ? 4 : 6 };
}

export function isCanonicalIp(input: string): boolean {
  try {
    return canonicalIp(input).address === input;
  } catch {
    return false;
  }
}

/** Canonical network for `addr/prefix` or a bare address (a full-length prefix). Host bits are cleared. */
export function canonicalCidr(input: string): CanonicalCidr {
  const slash = input.indexOf('/');
  if (slash === -1) {
    // The common case, 100k at a time in the enforcer: a bare address is its own network, with nothing to clear.
    const { address, family } = canonicalIp(input);
    return { network: address, prefix: family === 4 ? 32 : 128, family, text: address };
  }
  const rawPrefix = input.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(rawPrefix)) throw new InvalidIpError(input, 'prefix must be a decimal number');
  let addr = parseStrict(input.slice(0, slash));
  let prefix = Number(rawPrefix);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress()) {
    if (prefix < 96) throw new InvalidIpError(input, 'an IPv4-mapped range needs a prefix of at least 96');
    addr = (addr as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
  }
  const max = addr.kind() === 'ipv4' ? 32 : 128;
  if (prefix > max) throw new InvalidIpError(input, `prefix above ${max}`);
  const network = addr.kind() === 'ipv4'
    ? ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${prefix}`)
    : ipaddr.IPv6.networkAddressFromCIDR(`${addr.toString()}/${prefix}`);
  const networkText = text(network);
  return {
    network: networkText,
    prefix,
    family: max === 32 ? 4 : 6,
    text: prefix === max ? networkText : `${networkText}/${prefix}`,
  };
}

/**
 * What a block applies to: one address, or a network written as `network/prefix`; `text` is its one spelling (a /32
 * or /128 is the bare address). Unlike canonicalCidr, host bits are refused: `203.0.113.7/24` is more likely a typo
 * for the address than a request for its whole /24, and widening it silently would block addresses nobody named.
 */
export function canonicalBlockTarget(input: string): CanonicalCidr {
  const cidr = canonicalCidr(input);
  const slash = input.indexOf('/');
  if (slash !== -1 && canonicalIp(input.slice(0, slash)).address !== cidr.network) {
    throw new InvalidIpError(input, `host bits are set: the network is ${cidr.text}; give the network or a single address`);
  }
  return cidr;
}

/** Whether two canonical networks share any address: one always contains the other, or they are disjoint. */
export function cidrOverlaps(a: CanonicalCidr, b: CanonicalCidr): boolean {
  if (a.family !== b.family) return false;
  const bits = Math.min(a.prefix, b.prefix);
  const [x, y] = [ipaddr.parse(a.network), ipaddr.parse(b.network)];
  return x.kind() === 'ipv4' ? (x as ipaddr.IPv4).match(y as ipaddr.IPv4, bits) : (x as ipaddr.IPv6).match(y as ipaddr.IPv6, bits);
}

/** The first allowlist entry sharing an address with the target: one inside the range, or one containing it. */
export function allowlistOverlap(target: CanonicalCidr, allowlist: readonly CanonicalCidr[]): CanonicalCidr | undefined {
  return allowlist.find((entry) => cidrOverlaps(entry, target));
}

/** The netmask of a prefix length in canonical text, e.g. 255.255.255.0 for a /24 or ffff:ffff:ffff:ffff:: for a /64. */
export function prefixMask(family: IpFamily, prefix: number): string {
  return family === 4
    ? ipaddr.IPv4.subnetMaskFromPrefixLength(prefix).toString()
    : ipaddr.IPv6.subnetMaskFromPrefixLength(prefix).toRFC5952String();
}

/** Whether a canonical address lies inside a canonical network. Families never match across. */
export function cidrContains(cidr: CanonicalCidr, ip: CanonicalIp): boolean {
  if (cidr.family !== ip.family) return false;
  const addr = ipaddr.parse(ip.address);
  const net = ipaddr.parse(cidr.network);
  return addr.kind() === 'ipv4'
    ? (addr as ipaddr.IPv4).match(net as ipaddr.IPv4, cidr.prefix)
    : (addr as ipaddr.IPv6).match(net as ipaddr.IPv6, cidr.prefix);
}

/** The first allowlist entry containing the address, if any. */
export function allowlistMatch(ip: CanonicalIp, allowlist: readonly CanonicalCidr[]): CanonicalCidr | undefined {
  return allowlist.find((cidr) => cidrContains(cidr, ip));
}
