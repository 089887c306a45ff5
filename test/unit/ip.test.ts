import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  allowlistMatch,
  allowlistOverlap,
  canonicalBlockTarget,
  canonicalCidr,
  canonicalIp,
  cidrContains,
  cidrOverlaps,
  InvalidIpError,
  isCanonicalIp,
  type CanonicalIp,
  prefixMask,
} from '../../domain/ip.ts';

/** Inputs that must be accepted, with the one canonical text and family each must give. */
const ACCEPTED: ReadonlyArray<[input: string, address: string, family: 4 | 6]> = [
  ['203.0.113.7', '203.0.113.7', 4],
  ['0.0.0.0', '0.0.0.0', 4],
  ['255.255.255.255', '255.255.255.255', 4],
  // IPv4-mapped IPv6, dotted and hex forms, any case: folded to the IPv4 address it stands for.
  ['::ffff:203.0.113.7', '203.0.113.7', 4],
  ['::ffff:cb00:7107', '203.0.113.7', 4],
  ['::FFFF:CB00:7107', '203.0.113.7', 4],
  ['::FFFF:203.0.113.7', '203.0.113.7', 4],
  ['0:0:0:0:0:ffff:cb00:7107', '203.0.113.7', 4],
  ['0000:0000:0000:0000:0000:ffff:7f00:0001', '127.0.0.1', 4],
  ['::ffff:0:0', '0.0.0.0', 4],
  ['0000:0000:0000:0000:0000:ffff:255.255.255.255', '255.255.255.255', 4], // 45 characters, the longest form
  // RFC 5952 output: lower case, no leading zeros, longest zero run compressed, a single zero group not.
  ['2001:DB8:0:0:0:0:0:1', '2001:db8::1', 6],
  ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1', 6],
  ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', 6],
  ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1', 6],
  ['2001:db8:0:0:1:0:0:0', '2001:db8:0:0:1::', 6],
  ['0:0:0:0:0:0:0:0', '::', 6],
  ['::1', '::1', 6],
  ['fe80::1', 'fe80::1', 6],
  // Embedded dotted quad in a non-mapped IPv6 address: stays IPv6, written in hex.
  ['2001:db8::192.0.2.1', '2001:db8::c000:201', 6],
  ['64:ff9b::192.0.2.1', '64:ff9b::c000:201', 6],
];

/** Inputs that must be refused: each is read differently by some parser, or is not an address at all. */
const REFUSED: ReadonlyArray<[input: string, why: string]> = [
  ['010.0.0.1', 'leading zero (octal 8.0.0.1 to inet_aton)'],
  ['1.2.3.04', 'leading zero in last octet'],
  ['00.0.0.0', 'double zero octet'],
  ['2130706433', 'integer form of 127.0.0.1'],
  ['0x7f000001', 'hex integer form'],
  ['0x7f.0.0.1', 'hex octet'],
  ['127.1', 'two-part short form'],
  ['1.2.3', 'three-part short form'],
  ['256.1.1.1', 'octet above 255'],
  ['1.2.3.256', 'last octet above 255'],
  ['1.2.3.1000', 'four-digit octet'],
  ['-1.2.3.4', 'negative octet'],
  [' 1.2.3.4', 'leading space'],
  ['1.2.3.4 ', 'trailing space'],
  ['\t1.2.3.4\n', 'tab and newline'],
  [' 2001:db8::1', 'leading space on IPv6'],
  ['2001:db8::1 ', 'trailing space on IPv6'],
  ['', 'empty'],
  ['fe80::1%eth0', 'zone id'],
  ['fe80::1%25eth0', 'URL-encoded zone id'],
  ['fe80::1%1', 'numeric zone id'],
  ['::ffff:010.0.0.1', 'mapped with leading-zero octet'],
  ['::ffff:127.1', 'mapped with short embedded form'],
  ['::ffff:256.0.0.1', 'mapped with octet above 255'],
  ['::ffff:1.2.3.4.5', 'mapped with five octets'],
  ['1.2.3.4.', 'trailing dot'],
  ['.1.2.3.4', 'leading dot'],
  ['1..2.3', 'empty octet'],
  ['\u0661.\u0662.\u0663.\u0664', 'Arabic-Indic digits'],
  ['\uff11.\uff12.\uff13.\uff14', 'full-width digits'],
  ['1.2.3.4'.replace('.', '\u3002'), 'ideographic full stop'],
  ['1:2:3:4:5:6:7:8:9', 'nine groups'],
  ['1::2::3', 'two double colons'],
  [':::1', 'triple colon'],
  ['00001::1', 'five-digit group'],
  ['2001:db8::g', 'non-hex digit'],
  ['1.2.3.4::', 'dotted quad before double colon'],
  ['::1.2.3.4:1', 'dotted quad not last'],
  ['[2001:db8::1]', 'URL brackets'],
  ['2001:db8::1/64', 'a range is not an address'],
  ['localhost', 'a name'],
  ['0000:0000:0000:0000:0000:ffff:255.255.255.2550', 'one character over the longest text form (46)'],
  ['1'.repeat(10_000), 'very long'],
];

describe('canonicalIp', () => {
  for (const [input, address, family] of ACCEPTED) {
    test(`accepts ${JSON.stringify(input)} as ${address}`, () => {
      assert.deepEqual(canonicalIp(input), { address, family });
    });
  }

  for (const [input, why] of REFUSED) {
    test(`refuses ${JSON.stringify(input.slice(0, 50))} (${why})`, () => {
      assert.throws(() => canonicalIp(input), InvalidIpError);
      assert.equal(isCanonicalIp(input), false);
    });
  }

  test('the error names the input, truncated, and keeps it whole on the error', () => {
    const long = '9'.repeat(200);
    const err = (() => {
      try {
        canonicalIp(long);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof InvalidIpError);
    assert.equal(err.input, long);
    assert.ok(err.message.includes('9'.repeat(64)));
    assert.ok(!err.message.includes('9'.repeat(65)), 'message must not echo unbounded input');
  });

  // RFC 4291 §2.2: `::192.0.2.1` (the deprecated IPv4-compatible form) is the IPv6 address ::c000:201, not an
  // IPv4-mapped one, though ipaddr.js reads it as `::ffff:a.b.c.d`. Either both must refuse or both must agree.
  test('the deprecated IPv4-compatible form `::192.0.2.1` canonicalises like its hex spelling `::c000:201`', () => {
    let dotted: CanonicalIp | Error;
    try {
      dotted = canonicalIp('::192.0.2.1');
    } catch (err) {
      dotted = err as Error;
    }
    if (dotted instanceof Error) return; // refusing the deprecated form would be fine too
    assert.deepEqual(dotted, canonicalIp('::c000:201'));
  });
});

describe('isCanonicalIp', () => {
  const cases: ReadonlyArray<[string, boolean]> = [
    ['203.0.113.7', true],
    ['2001:db8::1', true],
    ['::', true],
    ['2001:DB8::1', false],
    ['2001:db8:0:0:0:0:0:1', false],
    ['2001:0db8::1', false],
    ['::ffff:203.0.113.7', false],
    ['::ffff:cb00:7107', false],
    ['010.0.0.1', false],
    ['', false],
  ];
  for (const [input, expected] of cases) {
    test(`${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(isCanonicalIp(input), expected);
    });
  }
});

describe('canonicalCidr', () => {
  const accepted: ReadonlyArray<[input: string, network: string, prefix: number, family: 4 | 6, text: string]> = [
    ['203.0.113.77/24', '203.0.113.0', 24, 4, '203.0.113.0/24'],
    ['203.0.113.0/24', '203.0.113.0', 24, 4, '203.0.113.0/24'],
    ['10.255.255.255/8', '10.0.0.0', 8, 4, '10.0.0.0/8'],
    ['203.0.113.77/32', '203.0.113.77', 32, 4, '203.0.113.77'],
    ['203.0.113.77', '203.0.113.77', 32, 4, '203.0.113.77'],
    ['0.0.0.0/0', '0.0.0.0', 0, 4, '0.0.0.0/0'],
    ['192.0.2.1/0', '0.0.0.0', 0, 4, '0.0.0.0/0'],
    ['2001:DB8::1', '2001:db8::1', 128, 6, '2001:db8::1'],
    ['2001:db8::1/128', '2001:db8::1', 128, 6, '2001:db8::1'],
    ['2001:db8:0:0:1::1/64', '2001:db8::', 64, 6, '2001:db8::/64'],
    ['2001:db8::ffff/127', '2001:db8::fffe', 127, 6, '2001:db8::fffe/127'],
    ['::/0', '::', 0, 6, '::/0'],
    ['::ffff:192.0.2.0/120', '192.0.2.0', 24, 4, '192.0.2.0/24'],
    ['::ffff:c000:2ff/120', '192.0.2.0', 24, 4, '192.0.2.0/24'],
    ['::ffff:192.0.2.9/128', '192.0.2.9', 32, 4, '192.0.2.9'],
    ['::ffff:192.0.2.9', '192.0.2.9', 32, 4, '192.0.2.9'],
    ['::ffff:192.0.2.9/96', '0.0.0.0', 0, 4, '0.0.0.0/0'],
  ];
  for (const [input, network, prefix, family, text] of accepted) {
    test(`${input} → ${text}`, () => {
      assert.deepEqual(canonicalCidr(input), { network, prefix, family, text });
    });
  }

  const refused: ReadonlyArray<[input: string, why: string]> = [
    ['10.0.0.1/033', 'prefix with a leading zero'],
    ['10.0.0.1/33', 'IPv4 prefix above 32'],
    ['2001:db8::/129', 'IPv6 prefix above 128'],
    ['::ffff:192.0.2.0/95', 'mapped range with prefix below 96'],
    ['::ffff:192.0.2.0/64', 'mapped range with prefix 64'],
    ['::ffff:192.0.2.0/129', 'mapped range with prefix above 128'],
    ['10.0.0.0/', 'empty prefix'],
    ['10.0.0.0/-1', 'negative prefix'],
    ['10.0.0.0/+8', 'signed prefix'],
    ['10.0.0.0/0x8', 'hex prefix'],
    ['10.0.0.0/ 8', 'space in prefix'],
    ['10.0.0.0/8 ', 'trailing space'],
    [' 10.0.0.0/8', 'leading space'],
    ['10.0.0.0/8/8', 'two prefixes'],
    ['10.0.0.0/\u0668', 'Arabic-Indic prefix digit'],
    ['010.0.0.0/8', 'leading-zero octet'],
    ['10/8', 'short form'],
    ['fe80::%eth0/64', 'zone id'],
    ['/8', 'no address'],
    ['', 'empty'],
  ];
  for (const [input, why] of refused) {
    test(`refuses ${JSON.stringify(input)} (${why})`, () => {
      assert.throws(() => canonicalCidr(input), InvalidIpError);
    });
  }
});

describe('cidrContains and allowlistMatch', () => {
  const cases: ReadonlyArray<[cidr: string, ip: string, inside: boolean]> = [
    ['203.0.113.0/24', '203.0.113.7', true],
    ['203.0.113.0/24', '203.0.113.255', true],
    ['203.0.113.0/24', '203.0.114.0', false],
    ['203.0.113.0/24', '203.0.112.255', false],
    ['203.0.113.7', '203.0.113.7', true],
    ['203.0.113.7', '203.0.113.8', false],
    // A mapped address is folded before the check, so it is inside the IPv4 range.
    ['203.0.113.0/24', '::ffff:203.0.113.7', true],
    ['203.0.113.0/24', '::ffff:cb00:7107', true],
    ['::ffff:203.0.113.0/120', '203.0.113.9', true],
    // Families never match across.
    ['0.0.0.0/0', '2001:db8::1', false],
    ['::/0', '203.0.113.7', false],
    ['::/0', '::ffff:203.0.113.7', false],
    ['2001:db8::/32', '2001:db8:ffff::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['2001:db8::/32', '2001:db8::', true],
    // /0 covers the whole of its own family.
    ['0.0.0.0/0', '0.0.0.0', true],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['::/0', '::', true],
    ['::/0', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', true],
  ];
  for (const [cidr, ip, inside] of cases) {
    test(`${ip} ${inside ? 'is' : 'is not'} in ${cidr}`, () => {
      assert.equal(cidrContains(canonicalCidr(cidr), canonicalIp(ip)), inside);
    });
  }

  const allowlist = ['10.0.0.0/8', '192.0.2.0/24', '192.0.2.7', '2001:db8::/48'].map(canonicalCidr);

  test('returns the first entry containing the address', () => {
    assert.equal(allowlistMatch(canonicalIp('192.0.2.7'), allowlist)?.text, '192.0.2.0/24');
    assert.equal(allowlistMatch(canonicalIp('10.20.30.40'), allowlist)?.text, '10.0.0.0/8');
    assert.equal(allowlistMatch(canonicalIp('2001:db8:0:ffff::1'), allowlist)?.text, '2001:db8::/48');
  });

  test('matches a mapped address against an IPv4 entry', () => {
    assert.equal(allowlistMatch(canonicalIp('::ffff:10.1.2.3'), allowlist)?.text, '10.0.0.0/8');
  });

  test('returns undefined when nothing matches, and for an empty allowlist', () => {
    assert.equal(allowlistMatch(canonicalIp('11.0.0.1'), allowlist), undefined);
    assert.equal(allowlistMatch(canonicalIp('2001:db8:1::1'), allowlist), undefined);
    assert.equal(allowlistMatch(canonicalIp('10.0.0.1'), []), undefined);
  });
});

describe('canonicalBlockTarget', () => {
  const accepted: ReadonlyArray<[input: string, text: string, prefix: number, family: 4 | 6]> = [
    ['203.0.113.7', '203.0.113.7', 32, 4],
    ['203.0.113.0/24', '203.0.113.0/24', 24, 4],
    // A full-length prefix is the address itself, so it shares the address's block workflow.
    ['203.0.113.7/32', '203.0.113.7', 32, 4],
    ['2001:DB8::7/128', '2001:db8::7', 128, 6],
    ['2001:0DB8:0001:0002:0000:0000:0000:0000/64', '2001:db8:1:2::/64', 64, 6],
    ['0.0.0.0/0', '0.0.0.0/0', 0, 4],
    ['::/0', '::/0', 0, 6],
    ['255.255.255.254/31', '255.255.255.254/31', 31, 4],
    // IPv4-mapped ranges fold to the IPv4 range they stand for.
    ['::ffff:203.0.113.0/120', '203.0.113.0/24', 24, 4],
    ['::ffff:0:0/96', '0.0.0.0/0', 0, 4],
    ['::ffff:203.0.113.7/128', '203.0.113.7', 32, 4],
  ];
  for (const [input, text, prefix, family] of accepted) {
    test(`${input} → ${text}`, () => {
      const target = canonicalBlockTarget(input);
      assert.deepEqual([target.text, target.prefix, target.family], [text, prefix, family]);
    });
  }

  const hostBits: ReadonlyArray<[input: string, network: string]> = [
    ['203.0.113.7/24', '203.0.113.0/24'],
    ['203.0.113.1/31', '203.0.113.0/31'],
    ['192.0.2.1/0', '0.0.0.0/0'],
    ['2001:db8::1/64', '2001:db8::/64'],
    ['::ffff:203.0.113.7/120', '203.0.113.0/24'],
    ['::ffff:192.0.2.9/96', '0.0.0.0/0'],
  ];
  for (const [input, network] of hostBits) {
    test(`refuses ${input}: host bits set, and names the network rather than widening to it`, () => {
      assert.throws(() => canonicalBlockTarget(input), (err: Error) => {
        assert.ok(err instanceof InvalidIpError);
        assert.equal(err.message, `invalid IP address ${JSON.stringify(input)}: host bits are set: the network is ${network}; give the network or a single address`);
        return true;
      });
    });
  }

  test('refuses what canonicalCidr refuses', () => {
    for (const input of ['10.0.0.0/33', '010.0.0.0/8', '10.0.0.0/08', '2001:db8::/129', 'fe80::%eth0/64', '::ffff:192.0.2.0/95', '']) {
      assert.throws(() => canonicalBlockTarget(input), InvalidIpError, input);
    }
  });
});

describe('cidrOverlaps and allowlistOverlap', () => {
  const cases: ReadonlyArray<[a: string, b: string, overlap: boolean, why: string]> = [
    ['203.0.113.0/24', '203.0.113.7', true, 'an address inside the range'],
    ['203.0.113.0/24', '203.0.113.0/25', true, 'a range inside the range'],
    ['203.0.113.0/24', '203.0.0.0/16', true, 'a range containing the range'],
    ['203.0.113.0/24', '203.0.113.0/24', true, 'the same range'],
    ['203.0.113.0/24', '203.0.114.0/24', false, 'adjacent ranges'],
    ['203.0.113.0/25', '203.0.113.128/25', false, 'the two halves of a /24'],
    ['203.0.113.0/24', '203.0.112.255', false, 'the address just below'],
    ['0.0.0.0/0', '255.255.255.255', true, '/0 covers the top of IPv4'],
    ['0.0.0.0/0', '0.0.0.0/0', true, '/0 against itself'],
    ['0.0.0.0/0', '::/0', false, 'families never overlap, even at /0'],
    ['203.0.113.0/24', '::ffff:203.0.113.7', true, 'a mapped address folds into the IPv4 range'],
    ['::ffff:203.0.113.0/120', '203.0.113.128/25', true, 'a mapped range folds into the IPv4 range'],
    ['::/0', '::ffff:203.0.113.7', false, 'a mapped address is IPv4, not IPv6'],
    ['203.0.113.7', '203.0.113.7/32', true, 'a /32 is its address'],
    ['203.0.113.7', '203.0.113.8', false, 'two different addresses'],
    ['2001:db8:1:2::/64', '2001:db8:1::/48', true, 'IPv6 /64 inside a /48'],
    ['2001:db8:1:2::/64', '2001:db8:1:3::1', false, 'IPv6 address in the next /64'],
    ['2001:db8::/32', '2001:db9::/32', false, 'adjacent IPv6 /32s'],
  ];
  for (const [a, b, overlap, why] of cases) {
    test(`${a} and ${b}: ${overlap ? 'overlap' : 'disjoint'} (${why})`, () => {
      assert.equal(cidrOverlaps(canonicalCidr(a), canonicalCidr(b)), overlap);
      assert.equal(cidrOverlaps(canonicalCidr(b), canonicalCidr(a)), overlap, 'symmetric');
    });
  }

  const allowlist = ['198.51.100.7', '10.0.0.0/8', '2001:db8:a11::/48'].map(canonicalCidr);
  const targets: ReadonlyArray<[target: string, entry: string | undefined]> = [
    ['198.51.100.0/24', '198.51.100.7'],
    ['198.51.100.0/29', '198.51.100.7'],
    ['198.51.100.8/29', undefined],
    ['198.51.100.7', '198.51.100.7'],
    ['10.1.2.0/24', '10.0.0.0/8'],
    ['8.0.0.0/6', '10.0.0.0/8'],
    ['0.0.0.0/0', '198.51.100.7'],
    ['2001:db8:a11:5::/64', '2001:db8:a11::/48'],
    ['2001:db8::/32', '2001:db8:a11::/48'],
    ['2001:db8:a12::/48', undefined],
    ['::/0', '2001:db8:a11::/48'],
  ];
  for (const [target, entry] of targets) {
    test(`a block of ${target} ${entry ? `is refused by ${entry}` : 'overlaps nothing'}`, () => {
      assert.equal(allowlistOverlap(canonicalBlockTarget(target), allowlist)?.text, entry);
    });
  }

  test('an empty allowlist overlaps nothing', () => {
    assert.equal(allowlistOverlap(canonicalBlockTarget('0.0.0.0/0'), []), undefined);
  });
});

describe('prefixMask', () => {
  const cases: ReadonlyArray<[family: 4 | 6, prefix: number, mask: string]> = [
    [4, 0, '0.0.0.0'],
    [4, 24, '255.255.255.0'],
    [4, 31, '255.255.255.254'],
    [4, 32, '255.255.255.255'],
    [6, 0, '::'],
    [6, 48, 'ffff:ffff:ffff::'],
    [6, 64, 'ffff:ffff:ffff:ffff::'],
    [6, 127, 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe'],
  ];
  for (const [family, prefix, mask] of cases) {
    test(`IPv${family} /${prefix} → ${mask}`, () => {
      assert.equal(prefixMask(family, prefix), mask);
    });
  }
});

/** mulberry32: a small seeded PRNG, so a failing case can be reproduced from the seed. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RFC 5952 text for eight 16-bit groups, written independently of domain/ip.ts. */
function rfc5952(groups: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

describe('property: canonical text is a fixed point (seeded, 500 cases per family)', () => {
  const SEED = 0x5eed;
  const CASES = 500;

  test('random IPv4 addresses', () => {
    const random = prng(SEED);
    for (let n = 0; n < CASES; n += 1) {
      const octets = Array.from({ length: 4 }, () => Math.floor(random() * 256));
      const input = octets.join('.');
      const first = canonicalIp(input);
      assert.deepEqual(first, { address: input, family: 4 }, `seed ${SEED} case ${n}`);
      assert.deepEqual(canonicalIp(first.address), first, `seed ${SEED} case ${n}`);
      assert.ok(isCanonicalIp(first.address), `seed ${SEED} case ${n}: ${first.address}`);
      // The same address spelled as mapped IPv6 folds to it.
      assert.equal(canonicalIp(`::ffff:${input}`).address, input, `seed ${SEED} case ${n}`);
    }
  });

  test('random IPv6 addresses in random spellings', () => {
    const random = prng(SEED + 1);
    for (let n = 0; n < CASES; n += 1) {
      // Zero groups are frequent so that the `::` rules (longest run, first on a tie, never a single group) get exercised.
      const groups = Array.from({ length: 8 }, () => (random() < 0.4 ? 0 : Math.floor(random() * 0x10000)));
      if (groups[0] === 0 && groups.slice(1, 5).every((g) => g === 0) && groups[5] === 0xffff) groups[0] = 1; // keep it unmapped
      const spelled = groups.map((g) => {
        const padded = random() < 0.5 ? g.toString(16).padStart(4, '0') : g.toString(16);
        return random() < 0.5 ? padded.toUpperCase() : padded;
      });
      const input = spelled.join(':');
      const expected = rfc5952(groups);
      const first = canonicalIp(input);
      assert.deepEqual(first, { address: expected, family: 6 }, `seed ${SEED + 1} case ${n}: ${input}`);
      assert.deepEqual(canonicalIp(first.address), first, `seed ${SEED + 1} case ${n}`);
      assert.ok(isCanonicalIp(first.address), `seed ${SEED + 1} case ${n}: ${first.address}`);
      assert.equal(isCanonicalIp(input), input === expected, `seed ${SEED + 1} case ${n}: ${input}`);
    }
  });
});
