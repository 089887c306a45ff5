/**
 * Reputation enrichment end to end: the real workers and API, each provider a local server answering with its
 * documented shapes, wired from the environment as production wires them (runtime/adapters.ts). Shodan's key is left
 * out, so it is skipped with a note.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { IncidentNotification } from '../../activities/notify/notification.ts';
import type { TimelineEntry } from '../../domain/incident.ts';
import { loadReputationSources } from '../../runtime/adapters.ts';
import { abuseIpdbRateLimited, startFakeReputation } from '../support/fakeReputation.ts';
import { eventually, startApi, startRiposte, type TestApi, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const policy = testPolicy({ playbooks: { 'brute-force': { mode: 'approve', autoWhen: { abuseConfidenceAtLeast: 90 }, blockDuration: '1h', reviewWindow: '1m', notify: ['webhook'] } } });
const notified: IncidentNotification[] = [];
const abuseScores = new Map<string, number>();
const scanners = new Set<string>();
let fakes: Awaited<ReturnType<typeof startFakeReputation>>;
let riposte: TestRiposte;
let api: TestApi;

before(async () => {
  fakes = await startFakeReputation({ abuseScores, scanners, maliciousEngines: new Map() });
  const env = { ...fakes.env };
  delete env.SHODAN_API_KEY;
  riposte = await startRiposte({ policy, responders: { reputation: loadReputationSources(env) }, notifiers: [{ name: 'webhook', send: async (n) => { notified.push(n); } }] });
  api = await startApi(riposte, policy);
});
after(async () => {
  await api?.close();
  await riposte?.stop();
  await fakes?.close();
});

async function incidentFor(ip: string, status: string) {
  assert.equal((await api.call('POST', '/v1/alerts', { id: `a-${ip}`, source: 'generic', type: 'auth.failure', sourceIp: ip, severity: 6 })).status, 202);
  return eventually(`brute-force:${ip} ${status}`, async () => {
    const { json } = await api.call('GET', `/v1/incidents/${encodeURIComponent(`brute-force:${ip}`)}`);
    return json?.status === status ? json : undefined;
  });
}

const event = (incident: { timeline: TimelineEntry[] }, name: string) => incident.timeline.find((e) => e.event === name)?.detail;
const inFeed = async (ip: string) => (await riposte.edl.read()).some((t) => t.address === ip);

test('AbuseIPDB at 97 blocks at once in approve mode; an otherwise identical address at 40 waits for approval', async () => {
  const [worst, milder] = [uniqueAddress(), uniqueAddress()];
  abuseScores.set(worst, 97).set(milder, 40);
  scanners.add(worst).add(milder);

  const blocked = await incidentFor(worst, 'contained');
  assert.equal(blocked.approval, undefined, 'nobody approved it');
  assert.equal(blocked.actions.find((a: { kind: string }) => a.kind === 'block').outcome, 'done');
  await eventually(`${worst} in the feed`, async () => ((await inFeed(worst)) ? true : undefined));
  assert.deepEqual(blocked.reputation.abuseipdb, { confidence: 97, reports: 12, country: 'NL', usageType: 'Data Center/Web Hosting/Transit', isp: 'Example Hosting B.V.', whitelisted: false });
  assert.equal(blocked.reputation.greynoise.classification, 'malicious');
  assert.deepEqual(blocked.reputation.virustotal, { malicious: 0, suspicious: 0, harmless: 60, reputation: 0 });
  assert.equal(blocked.reputation.rdap.org, 'Example Hosting B.V.');
  assert.equal(blocked.reputation.shodan, undefined);
  assert.equal(event(blocked, 'reputation_meets_auto_when'), 'AbuseIPDB confidence 97 is at least 90');
  assert.match(event(blocked, 'reputation')!, /^AbuseIPDB 97% \(12 reports\); GreyNoise malicious scanner; VirusTotal 0 malicious/);
  assert.equal(event(blocked, 'reputation_skipped'), 'shodan: SHODAN_API_KEY not set');
  assert.equal(fakes.shodan.requests.length, 0, 'a provider without its key is never asked');
  const told = await eventually('the contained notification', () => notified.find((n) => n.entity === worst && n.status === 'contained'));
  assert.equal(told.reputation?.abuseipdb?.confidence, 97);

  const waiting = await incidentFor(milder, 'awaiting_approval');
  assert.deepEqual(waiting.approvalReasons, ['block is in approve mode']);
  assert.equal(waiting.reputation.abuseipdb.confidence, 40);
  assert.equal(event(waiting, 'reputation_meets_auto_when'), undefined);
  assert.equal(await inFeed(milder), false);
});

test('a 429 with Retry-After skips AbuseIPDB with a note and holds it back, without holding up the incident', async () => {
  const [first, second] = [uniqueAddress(), uniqueAddress()];
  abuseScores.set(first, 99).set(second, 99);
  const asked = () => fakes.abuseipdb.to('GET', '/api/v2/check').length;
  fakes.abuseipdb.force(abuseIpdbRateLimited(600));
  const before = asked();

  // Without AbuseIPDB's answer the policy's autoWhen is not met: the block waits for a person, nothing else does.
  const limited = await incidentFor(first, 'awaiting_approval');
  assert.match(event(limited, 'reputation_skipped')!, /^abuseipdb: answered 429: rate limited until \d{4}-\d\d-\d\dT[\d:.]+Z; shodan: SHODAN_API_KEY not set$/);
  assert.equal(limited.reputation.abuseipdb, undefined);
  assert.equal(limited.reputation.rdap.name, 'EXAMPLE-NET', 'the other providers still answer');

  const next = await incidentFor(second, 'awaiting_approval');
  assert.match(event(next, 'reputation_skipped')!, /^abuseipdb: rate limited until /);
  assert.equal(asked(), before + 1, 'nothing is sent to AbuseIPDB while it asked us to wait');
});
