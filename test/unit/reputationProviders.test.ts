import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAbuseIpdb, parseAbuseIpdbCheck } from '../../activities/enrich/reputation/abuseipdb.ts';
import { createGreyNoise, parseGreyNoiseCommunity } from '../../activities/enrich/reputation/greynoise.ts';
import { RateLimited } from '../../activities/enrich/reputation/provider.ts';
import { createRdap, parseRdapNetwork } from '../../activities/enrich/reputation/rdap.ts';
import { createShodan, parseShodanHost } from '../../activities/enrich/reputation/shodan.ts';
import { createVirusTotal, parseVirusTotalIp } from '../../activities/enrich/reputation/virustotal.ts';
import {
  abuseIpdbCheck, abuseIpdbRateLimited, greyNoiseNotObserved, greyNoiseScanner, rdapNetwork, REPUTATION_KEYS, shodanHost, startFakeReputation, virusTotalIp,
} from '../support/fakeReputation.ts';

const IP = '203.0.113.7';

describe('parsing each provider\'s documented body into its summary', () => {
  test('AbuseIPDB CHECK: confidence, reports, country, usage type, ISP, whitelist', () => {
    assert.deepEqual(parseAbuseIpdbCheck(abuseIpdbCheck(IP, 97, 12)), {
      confidence: 97, reports: 12, country: 'NL', usageType: 'Data Center/Web Hosting/Transit', isp: 'Example Hosting B.V.', whitelisted: false,
    });
    // An address AbuseIPDB knows nothing of has nulls, and no whitelist lookup.
    const unknown = { data: { ...abuseIpdbCheck(IP, 0, 0).data, countryCode: null, usageType: null, isp: null, isWhitelisted: null } };
    assert.deepEqual(parseAbuseIpdbCheck(unknown), { confidence: 0, reports: 0 });
  });

  test('a body that is not the documented shape is a failure naming the provider, never echoing the body', () => {
    assert.throws(() => parseAbuseIpdbCheck({ data: { abuseConfidenceScore: '97' } }), /abuseipdb answered with an unexpected body/);
    assert.throws(() => parseVirusTotalIp({ data: { attributes: { reputation: 0 } } }), /virustotal answered with an unexpected body/);
    assert.throws(() => parseGreyNoiseCommunity({ message: 'Success' }), /greynoise answered with an unexpected body/);
  });

  test('GreyNoise Community: a scanner, a business service, and an address not observed (its 404 body)', () => {
    assert.deepEqual(parseGreyNoiseCommunity(greyNoiseScanner(IP)), { noise: true, riot: false, classification: 'malicious', name: 'unknown', link: `https://viz.greynoise.io/ip/${IP}` });
    const riot = { ip: '198.51.100.1', noise: false, riot: true, classification: 'benign', name: 'Cloudflare', link: 'https://viz.greynoise.io/riot/198.51.100.1', last_seen: '2026-11-29', message: 'Success' };
    assert.deepEqual(parseGreyNoiseCommunity(riot), { noise: false, riot: true, classification: 'benign', name: 'Cloudflare', link: 'https://viz.greynoise.io/riot/198.51.100.1' });
    assert.deepEqual(parseGreyNoiseCommunity(greyNoiseNotObserved(IP)), { noise: false, riot: false });
    assert.equal(parseGreyNoiseCommunity({ ...greyNoiseScanner(IP), link: 'javascript:alert(1)' }).link, undefined, 'only an https link is kept');
  });

  test('VirusTotal: the last analysis counts and the community reputation', () => {
    assert.deepEqual(parseVirusTotalIp(virusTotalIp(IP, 5, 1)), { malicious: 5, suspicious: 1, harmless: 60, reputation: -15 });
  });

  test('Shodan: ports sorted, CVEs and hostnames, organisation; bounded however much the host shows', () => {
    assert.deepEqual(parseShodanHost(shodanHost(IP)), {
      indexed: true, ports: [22, 80, 443], vulns: ['CVE-2021-41617', 'CVE-2023-48795'], hostnames: ['scanner-7.example.net'], org: 'Example Hosting B.V.',
    });
    const busy = { ...shodanHost(IP), ports: Array.from({ length: 50 }, (_, i) => 1000 + i), vulns: Array.from({ length: 300 }, (_, i) => `CVE-2024-${10_000 + i}`), hostnames: Array.from({ length: 40 }, (_, i) => `h${i}.example.net`) };
    const summary = parseShodanHost(busy);
    assert.deepEqual([summary.ports.length, summary.vulns.length, summary.hostnames.length], [20, 20, 5]);
  });

  test('RDAP: network name, handle, country, the registrant organisation from its vCard, the cidr0 prefix or the range', () => {
    assert.deepEqual(parseRdapNetwork(rdapNetwork(IP)), { name: 'EXAMPLE-NET', handle: 'NET-203-0-113-0-1', country: 'NL', org: 'Example Hosting B.V.', range: '203.0.113.0/24' });
    assert.equal(parseRdapNetwork(rdapNetwork('2001:db8::7')).range, '2001:db8::/32');
    assert.equal(parseRdapNetwork({ ...rdapNetwork(IP), cidr0_cidrs: undefined }).range, '203.0.113.0 - 203.0.113.255');
    // RIPE puts the organisation in an `org` property; it wins over the person-like fn.
    const ripe = { ...rdapNetwork(IP), entities: [{ roles: ['registrant'], vcardArray: ['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'ORG-EH1-RIPE'], ['org', {}, 'text', 'Example Holding']]] }] };
    assert.equal(parseRdapNetwork(ripe).org, 'Example Holding');
  });
});

describe('each provider against a local server with its real paths, credentials and answers', () => {
  let fakes: Awaited<ReturnType<typeof startFakeReputation>>;
  before(async () => {
    fakes = await startFakeReputation({ abuseScores: new Map([[IP, 97]]), maliciousEngines: new Map([[IP, 5]]), scanners: new Set([IP]), indexed: new Set([IP]) });
  });
  after(async () => fakes?.close());

  test('AbuseIPDB: GET /api/v2/check with ipAddress, maxAgeInDays and the Key header', async () => {
    const provider = createAbuseIpdb({ apiKey: REPUTATION_KEYS.abuseipdb, baseUrl: fakes.abuseipdb.url, maxAgeInDays: 30 });
    assert.equal((await provider.lookup(IP)).abuseipdb?.confidence, 97);
    const [req] = fakes.abuseipdb.requests.slice(-1);
    assert.equal(req!.path, '/api/v2/check');
    assert.equal(req!.query.get('ipAddress'), IP);
    assert.equal(req!.query.get('maxAgeInDays'), '30');
    assert.equal(req!.headers.accept, 'application/json');
  });

  test('GreyNoise: GET /v3/community/<ip> with the key header; its 404 is an answer', async () => {
    const provider = createGreyNoise({ apiKey: REPUTATION_KEYS.greynoise, baseUrl: fakes.greynoise.url });
    assert.equal((await provider.lookup(IP)).greynoise?.classification, 'malicious');
    assert.deepEqual(await provider.lookup('198.51.100.9'), { greynoise: { noise: false, riot: false } });
    assert.deepEqual(fakes.greynoise.calls().slice(-2), [`GET /v3/community/${IP}`, 'GET /v3/community/198.51.100.9']);
  });

  test('VirusTotal: GET /api/v3/ip_addresses/<ip> with x-apikey', async () => {
    const provider = createVirusTotal({ apiKey: REPUTATION_KEYS.virustotal, baseUrl: fakes.virustotal.url });
    assert.equal((await provider.lookup(IP)).virustotal?.malicious, 5);
    assert.equal(fakes.virustotal.calls().at(-1), `GET /api/v3/ip_addresses/${IP}`);
  });

  test('Shodan: GET /shodan/host/<ip>?key=; its 404 means no information, not a failure', async () => {
    const provider = createShodan({ apiKey: REPUTATION_KEYS.shodan, baseUrl: fakes.shodan.url });
    assert.deepEqual((await provider.lookup(IP)).shodan?.ports, [22, 80, 443]);
    assert.deepEqual(await provider.lookup('2001:db8::9'), { shodan: { indexed: false, ports: [], vulns: [], hostnames: [] } });
    assert.equal(fakes.shodan.requests.at(-1)!.path, '/shodan/host/2001:db8::9');
    await assert.rejects(provider.lookup('2001:DB8::9'), /not canonical/, 'only a canonical address reaches a URL');
  });

  test('RDAP: GET <base>/ip/<ip> asking for rdap+json, no key; a 404 says nothing of the owner', async () => {
    const provider = createRdap({ baseUrl: fakes.rdap.url });
    assert.equal((await provider.lookup(IP)).rdap?.org, 'Example Hosting B.V.');
    assert.match(String(fakes.rdap.requests.at(-1)!.headers.accept), /application\/rdap\+json/);
    fakes.rdap.force({ status: 404, body: { rdapConformance: ['rdap_level_0'], errorCode: 404, title: 'Not Found' } });
    assert.deepEqual(await provider.lookup('198.51.100.200'), {});
  });

  test('a wrong key is a final refusal naming the provider and the status, never the key', async () => {
    const provider = createShodan({ apiKey: 'not-the-right-key-123', baseUrl: fakes.shodan.url });
    await assert.rejects(provider.lookup(IP), (err: Error) => {
      assert.match(err.message, /^shodan answered 401 to GET/);
      assert.ok(!err.message.includes('not-the-right-key'));
      return true;
    });
  });

  test('a 429 is RateLimited for as long as the provider says: Retry-After, else X-RateLimit-Reset, else a minute', async () => {
    const provider = createAbuseIpdb({ apiKey: REPUTATION_KEYS.abuseipdb, baseUrl: fakes.abuseipdb.url, maxAgeInDays: 90 });
    const waitOf = async () => {
      try {
        await provider.lookup(IP);
      } catch (err) {
        assert.ok(err instanceof RateLimited, String(err));
        return err.retryAfterMs;
      }
      assert.fail('expected a RateLimited');
    };
    fakes.abuseipdb.force(abuseIpdbRateLimited(120));
    assert.equal(await waitOf(), 120_000);
    const resetOnly = abuseIpdbRateLimited(300);
    delete resetOnly.headers!['retry-after'];
    fakes.abuseipdb.force(resetOnly);
    const fromReset = await waitOf();
    assert.ok(fromReset >= 299_000 && fromReset <= 301_000, `${fromReset}`);
    fakes.abuseipdb.force({ status: 429, body: { error: { code: 'QuotaExceededError', message: 'Quota exceeded' } } });
    assert.equal(await waitOf(), 60_000);
  });
});
