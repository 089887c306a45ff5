import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { incidentFields, type IncidentNotification } from '../../activities/notify/notification.ts';
import { guardOf } from '../../domain/actions/guard.ts';
import { type PlaybookPolicy, policySchema, type PolicySnapshot } from '../../domain/policy.ts';
import { autoWhenMet, type Reputation, reputationLine } from '../../domain/reputation.ts';
import { decideStep } from '../../domain/responsePlan.ts';
import { bruteForce } from '../../playbooks/brute-force.ts';
import type { Facts } from '../../playbooks/playbook.ts';

const bad: Reputation = {
  abuseipdb: { confidence: 97, reports: 12, country: 'NL', whitelisted: false },
  greynoise: { noise: true, riot: false, classification: 'malicious', name: 'unknown' },
  virustotal: { malicious: 5, suspicious: 1, harmless: 60, reputation: -15 },
  shodan: { indexed: true, ports: [22, 80], vulns: ['CVE-2023-48795'], hostnames: [] },
  rdap: { name: 'EXAMPLE-NET', handle: 'NET-203-0-113-0-1', country: 'NL', org: 'Example Hosting B.V.', range: '203.0.113.0/24' },
};

function policyWith(bruteForcePolicy: Record<string, unknown>, document: Record<string, unknown> = {}): { policy: PolicySnapshot; playbook: PlaybookPolicy } {
  const policy: PolicySnapshot = { ...policySchema.parse({ ...document, playbooks: { 'brute-force': bruteForcePolicy } }), version: 'v-test' };
  return { policy, playbook: policy.playbooks['brute-force']! };
}

describe('autoWhenMet', () => {
  test('AbuseIPDB confidence at or above the threshold, or enough VirusTotal engines, says why', () => {
    assert.equal(autoWhenMet({ abuseConfidenceAtLeast: 90 }, bad), 'AbuseIPDB confidence 97 is at least 90');
    assert.equal(autoWhenMet({ abuseConfidenceAtLeast: 97 }, bad), 'AbuseIPDB confidence 97 is at least 97');
    assert.equal(autoWhenMet({ abuseConfidenceAtLeast: 98 }, bad), undefined);
    assert.equal(autoWhenMet({ abuseConfidenceAtLeast: 98, virusTotalMaliciousAtLeast: 5 }, bad), '5 VirusTotal engines call it malicious, at least 5');
  });

  test('nothing without a condition, without reputation, or without the provider the condition reads', () => {
    assert.equal(autoWhenMet(undefined, bad), undefined);
    assert.equal(autoWhenMet({ abuseConfidenceAtLeast: 90 }, undefined), undefined);
    assert.equal(autoWhenMet({ abuseConfidenceAtLeast: 90 }, { virustotal: bad.virustotal! }), undefined);
  });

  test('never for an address AbuseIPDB whitelists or GreyNoise knows as a business service', () => {
    assert.equal(autoWhenMet({ abuseConfidenceAtLeast: 90 }, { ...bad, abuseipdb: { ...bad.abuseipdb!, whitelisted: true } }), undefined);
    assert.equal(autoWhenMet({ abuseConfidenceAtLeast: 90 }, { ...bad, greynoise: { noise: false, riot: true, name: 'Cloudflare' } }), undefined);
  });
});

test('reputationLine: what each provider said, in one line for people', () => {
  assert.equal(reputationLine(bad), 'AbuseIPDB 97% (12 reports); GreyNoise malicious scanner; VirusTotal 5 malicious, 1 suspicious; Shodan ports 22, 80, 1 CVE(s); RDAP Example Hosting B.V., NL, 203.0.113.0/24');
  assert.equal(reputationLine({ greynoise: { noise: false, riot: false }, shodan: { indexed: false, ports: [], vulns: [], hostnames: [] } }), 'GreyNoise not seen scanning; Shodan no information');
  assert.equal(reputationLine({ greynoise: { noise: false, riot: true, name: 'Cloudflare' } }), 'GreyNoise business service (Cloudflare)');
});

describe('policy: autoWhen', () => {
  test('is optional, with no default, so policies recorded before it read the same', () => {
    assert.equal(policyWith({}).playbook.autoWhen, undefined);
    assert.deepEqual(policyWith({ autoWhen: { abuseConfidenceAtLeast: 90 } }).playbook.autoWhen, { abuseConfidenceAtLeast: 90 });
  });

  test('an empty condition, an unknown one or an out-of-range threshold is refused with its path', () => {
    const issues = (autoWhen: unknown) => policySchema.safeParse({ playbooks: { 'brute-force': { autoWhen } } }).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.deepEqual(issues({}), ['playbooks.brute-force.autoWhen: name at least one condition: abuseConfidenceAtLeast, virusTotalMaliciousAtLeast']);
    assert.match(issues({ abuseScore: 90 })![0]!, /^playbooks\.brute-force\.autoWhen: Unrecognized key: "abuseScore"/);
    assert.match(issues({ abuseConfidenceAtLeast: 101 })![0]!, /^playbooks\.brute-force\.autoWhen\.abuseConfidenceAtLeast: /);
  });
});

describe('brute-force plan and decideStep with autoWhen', () => {
  const facts = (reputation?: Reputation): Facts => ({ entity: '203.0.113.7', alertCount: 12, maxSeverity: 6, samples: [], previousIncidents: 0, priorOffences: 0, ...(reputation ? { reputation } : {}) });
  const decide = (bruteForcePolicy: Record<string, unknown>, reputation?: Reputation, document: Record<string, unknown> = {}) => {
    const { policy, playbook } = policyWith(bruteForcePolicy, document);
    const [planned] = bruteForce.plan(facts(reputation), playbook);
    return { planned: planned!, step: decideStep(planned!, { incidentId: 'brute-force:203.0.113.7', policy, playbook, guard: guardOf(policy) }) };
  };

  test('approve mode blocks at once when the reputation meets autoWhen, and waits when it does not', () => {
    const met = decide({ mode: 'approve', autoWhen: { abuseConfidenceAtLeast: 90 } }, bad);
    assert.equal(met.planned.autoBecause, 'AbuseIPDB confidence 97 is at least 90');
    assert.deepEqual([met.step.disposition, met.step.reasons], ['run', []]);
    const low = decide({ mode: 'approve', autoWhen: { abuseConfidenceAtLeast: 90 } }, { abuseipdb: { confidence: 40, reports: 2 } });
    assert.equal('autoBecause' in low.planned, false);
    assert.deepEqual([low.step.disposition, low.step.reasons], ['approve', ['block is in approve mode']]);
    assert.equal(decide({ mode: 'approve' }, bad).step.disposition, 'approve', 'no autoWhen, no waiver');
  });

  test('observe mode still only records; a range wider than maxBlockWidth still waits for a person', () => {
    assert.equal(decide({ mode: 'observe', autoWhen: { abuseConfidenceAtLeast: 90 } }, bad).step.disposition, 'would_do');
    const wide = decide({ mode: 'approve', autoWhen: { abuseConfidenceAtLeast: 90 }, blockPrefix: { ipv4: 16 } }, bad, { maxBlockWidth: { ipv4: 24 } });
    assert.equal(wide.step.disposition, 'approve');
    assert.deepEqual(wide.step.reasons, ['block is in approve mode', '203.0.0.0/16 is wider than /24: ranges that wide need approval in every mode']);
  });

  test('the allowlist refuses whatever the reputation says', () => {
    const { step } = decide({ mode: 'approve', autoWhen: { abuseConfidenceAtLeast: 90 } }, bad, { allowlist: ['203.0.113.0/24'] });
    assert.equal(step.disposition, 'refused');
  });
});

test('notifications show the reputation among the incident\'s fields, and only when there is one', () => {
  const n: IncidentNotification = {
    incidentId: 'brute-force:203.0.113.7', playbook: 'brute-force', title: 'Brute force from 203.0.113.7', entity: '203.0.113.7', alertCount: 12, severity: 6,
    mode: 'approve', status: 'contained', action: 'Blocked', links: {},
  };
  assert.equal(incidentFields(n).some(([label]) => label === 'Reputation'), false);
  assert.deepEqual(incidentFields({ ...n, reputation: { abuseipdb: { confidence: 97, reports: 12 } } }).find(([label]) => label === 'Reputation'), ['Reputation', 'AbuseIPDB 97% (12 reports)']);
  assert.equal(incidentFields({ ...n, reputation: {} }).some(([label]) => label === 'Reputation'), false);
});
