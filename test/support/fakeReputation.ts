/**
 * Loopback stand-ins for the reputation providers, answering with the bodies their documentation shows: AbuseIPDB's
 * CHECK, GreyNoise's Community API, VirusTotal's IP address object, Shodan's host information and an RDAP IP network
 * (ARIN's layout, with the cidr0 extension). Each checks its credential as the vendor does, keeps every request, and
 * can be made to fail through startFakeServer's `force`/`once`.
 */
import { canonicalIp } from '../../domain/ip.ts';
import { type FakeReply, type FakeRequest, startFakeServer } from './fakeVendors.ts';

export const REPUTATION_KEYS = {
  abuseipdb: 'abuseipdb-test-key-0123456789abcdef',
  greynoise: 'greynoise-test-key-0123456789',
  virustotal: 'virustotal-test-key-0123456789abcdef0123456789',
  shodan: 'shodan-test-key-0123456789',
};

/** `GET /api/v2/check` (docs.abuseipdb.com, CHECK Endpoint), for an address with this score and report count. */
export function abuseIpdbCheck(ip: string, confidence: number, reports: number) {
  return {
    data: {
      ipAddress: ip, isPublic: true, ipVersion: ip.includes(':') ? 6 : 4, isWhitelisted: false, abuseConfidenceScore: confidence,
      countryCode: 'NL', countryName: 'Netherlands', usageType: 'Data Center/Web Hosting/Transit', isp: 'Example Hosting B.V.',
      domain: 'example.net', hostnames: [], isTor: false, totalReports: reports, numDistinctUsers: Math.min(reports, 7),
      lastReportedAt: reports > 0 ? '2026-11-30T08:12:00+00:00' : null,
    },
  };
}

/** AbuseIPDB's 429 (Rate Limiting): the daily limit, with Retry-After and the reset as an epoch second. */
export function abuseIpdbRateLimited(retryAfterS: number): FakeReply {
  return {
    status: 429,
    headers: {
      'retry-after': String(retryAfterS), 'x-ratelimit-limit': '1000', 'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + retryAfterS),
    },
    body: { errors: [{ detail: 'Daily rate limit of 1000 requests exceeded for this endpoint. See headers for additional details.', status: 429 }] },
  };
}

/** `GET /v3/community/{ip}` for an address seen scanning. */
export function greyNoiseScanner(ip: string) {
  return { ip, noise: true, riot: false, classification: 'malicious', name: 'unknown', link: `https://viz.greynoise.io/ip/${ip}`, last_seen: '2026-11-29', message: 'Success' };
}

/** The 404 GreyNoise answers for an address it has not seen. */
export function greyNoiseNotObserved(ip: string) {
  return { ip, noise: false, riot: false, message: 'IP not observed scanning the internet or contained in RIOT data set.' };
}

/** `GET /api/v3/ip_addresses/{ip}` (docs.virustotal.com, IP addresses object), trimmed of the per-engine results. */
export function virusTotalIp(ip: string, malicious: number, suspicious = 0) {
  return {
    data: {
      id: ip, type: 'ip_address', links: { self: `https://www.virustotal.com/api/v3/ip_addresses/${ip}` },
      attributes: {
        as_owner: 'Example Hosting B.V.', asn: 64_496, continent: 'EU', country: 'NL', network: ip.includes(':') ? '2001:db8::/32' : '203.0.113.0/24',
        last_analysis_date: 1_764_490_320,
        last_analysis_stats: { harmless: 60, malicious, suspicious, timeout: 0, undetected: 27 },
        reputation: -malicious * 3, tags: [], total_votes: { harmless: 0, malicious },
      },
    },
  };
}

/** `GET /shodan/host/{ip}` (developer.shodan.io, Host Information) with minify=true. */
export function shodanHost(ip: string) {
  return {
    region_code: null, ip: 3_405_803_783, postal_code: null, country_code: 'NL', city: 'Amsterdam', dma_code: null, last_update: '2026-11-28T10:00:00.000000',
    latitude: 52.37, tags: ['cloud'], area_code: null, country_name: 'Netherlands', hostnames: ['scanner-7.example.net'], org: 'Example Hosting B.V.',
    asn: 'AS64496', isp: 'Example Hosting B.V.', longitude: 4.89, domains: ['example.net'], ip_str: ip, os: null,
    ports: [443, 22, 80], vulns: ['CVE-2023-48795', 'CVE-2021-41617'],
  };
}

export const SHODAN_NOT_FOUND = { error: 'No information available for that IP.' };

/** An RDAP IP network (RFC 9083 §5.4) as ARIN answers it, the registrant's vCard included. */
export function rdapNetwork(ip: string) {
  const v6 = ip.includes(':');
  return {
    rdapConformance: ['nro_rdap_profile_0', 'rdap_level_0', 'cidr0', 'arin_originas0'],
    notices: [{ title: 'Terms of Service', description: ['By using the ARIN RDAP/Whois service, you are agreeing to the RDAP/Whois Terms of Use'] }],
    objectClassName: 'ip network', handle: v6 ? 'NET6-2001-DB8-1' : 'NET-203-0-113-0-1',
    startAddress: v6 ? '2001:db8::' : '203.0.113.0', endAddress: v6 ? '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff' : '203.0.113.255',
    ipVersion: v6 ? 'v6' : 'v4', name: 'EXAMPLE-NET', type: 'ASSIGNMENT', parentHandle: 'NET-203-0-0-0-0', country: 'NL', status: ['active'],
    cidr0_cidrs: [v6 ? { v6prefix: '2001:db8::', length: 32 } : { v4prefix: '203.0.113.0', length: 24 }],
    entities: [
      {
        objectClassName: 'entity', handle: 'EXH-1', roles: ['registrant'],
        vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Example Hosting B.V.'], ['adr', { label: 'Keizersgracht 1\nAmsterdam\nNL' }, 'text', ['', '', '', '', '', '', '']], ['kind', {}, 'text', 'org']]],
      },
      {
        objectClassName: 'entity', handle: 'ABUSE-EXH', roles: ['abuse'],
        vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Abuse Desk'], ['kind', {}, 'text', 'group'], ['email', {}, 'text', 'abuse@example.net']]],
      },
    ],
    port43: 'whois.arin.net',
  };
}

const lastSegment = (req: FakeRequest) => canonicalIp(decodeURIComponent(req.path.slice(req.path.lastIndexOf('/') + 1))).address;

/**
 * All five providers. `abuseScores` and `maliciousEngines` decide what AbuseIPDB and VirusTotal say of each address
 * (0 for the rest); GreyNoise has seen `scanners` only, Shodan knows `indexed` only.
 */
export async function startFakeReputation(world: { abuseScores?: Map<string, number>; maliciousEngines?: Map<string, number>; scanners?: Set<string>; indexed?: Set<string> } = {}) {
  const abuseipdb = await startFakeServer((req) => {
    if (req.headers.key !== REPUTATION_KEYS.abuseipdb) return { status: 401, body: { errors: [{ detail: 'Authentication failed. Your API key is either missing, incorrect, or revoked.', status: 401 }] } };
    if (req.path !== '/api/v2/check') return { status: 404, body: { errors: [{ detail: 'Not found', status: 404 }] } };
    const ip = canonicalIp(req.query.get('ipAddress') ?? '').address;
    const score = world.abuseScores?.get(ip) ?? 0;
    return { status: 200, body: abuseIpdbCheck(ip, score, score > 0 ? 12 : 0) };
  });
  const greynoise = await startFakeServer((req) => {
    if (req.headers.key !== REPUTATION_KEYS.greynoise) return { status: 401, body: { message: 'Authentication required' } };
    const ip = lastSegment(req);
    return world.scanners?.has(ip) ? { status: 200, body: greyNoiseScanner(ip) } : { status: 404, body: greyNoiseNotObserved(ip) };
  });
  const virustotal = await startFakeServer((req) => {
    if (req.headers['x-apikey'] !== REPUTATION_KEYS.virustotal) return { status: 401, body: { error: { code: 'WrongCredentialsError', message: 'Wrong API key' } } };
    const ip = lastSegment(req);
    return { status: 200, body: virusTotalIp(ip, world.maliciousEngines?.get(ip) ?? 0) };
  });
  const shodan = await startFakeServer((req) => {
    if (req.query.get('key') !== REPUTATION_KEYS.shodan) return { status: 401, body: { error: 'Please provide a valid API key' } };
    const ip = lastSegment(req);
    return world.indexed?.has(ip) ? { status: 200, body: shodanHost(ip) } : { status: 404, body: SHODAN_NOT_FOUND };
  });
  const rdap = await startFakeServer((req) => (req.path.startsWith('/ip/') ? { status: 200, body: rdapNetwork(lastSegment(req)) } : { status: 400, body: { errorCode: 400, title: 'Bad Request' } }));
  const servers = { abuseipdb, greynoise, virustotal, shodan, rdap };
  return {
    ...servers,
    /** The environment that points every provider at its fake, with its key; drop a key to turn its provider off. */
    env: {
      ABUSEIPDB_API_KEY: REPUTATION_KEYS.abuseipdb, ABUSEIPDB_URL: abuseipdb.url,
      GREYNOISE_API_KEY: REPUTATION_KEYS.greynoise, GREYNOISE_URL: greynoise.url,
      VIRUSTOTAL_API_KEY: REPUTATION_KEYS.virustotal, VIRUSTOTAL_URL: virustotal.url,
      SHODAN_API_KEY: REPUTATION_KEYS.shodan, SHODAN_URL: shodan.url,
      RIPOSTE_RDAP_URL: rdap.url,
    } as Record<string, string>,
    close: () => Promise.all(Object.values(servers).map((s) => s.close())),
  };
}
