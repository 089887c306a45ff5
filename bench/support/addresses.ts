import { canonicalIp } from '../../domain/ip.ts';

/** Documentation addresses only (RFC 5737, RFC 3849): the bench never names a real host. */
export function ipv4Pool(): string[] {
  const pool: string[] = [];
  for (const prefix of ['198.51.100', '203.0.113', '192.0.2']) {
    for (let host = 2; host <= 254; host += 1) pool.push(`${prefix}.${host}`);
  }
  return pool;
}

/** The n-th address of a /64 reserved for this run, in canonical form: as many distinct addresses as a scenario needs. */
export function ipv6At(run: number, n: number): string {
  // The last group runs 1..ffff and the one before counts the wraps, so every group stays a valid one and none is ::0.
  const high = Math.floor(n / 0xffff) & 0xffff;
  return canonicalIp(`2001:db8:${(run & 0xffff).toString(16)}:${high.toString(16)}::${((n % 0xffff) + 1).toString(16)}`).address;
}
