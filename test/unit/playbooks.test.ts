import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AlertInput, type AlertSummary, alertSchema, summarizeAlert } from '../../domain/alert.ts';
import { policySchema, type PlaybookPolicy } from '../../domain/policy.ts';
import { canonicalIncidentId, findPlaybook, isIncidentId, playbookByName } from '../../playbooks/index.ts';
import { incidentKey, type Facts } from '../../playbooks/playbook.ts';
import { blockShardOf, blockShardWorkflowId, blockWorkflowId, controlWorkflowId } from '../../workflows/ids.ts';

const AT = '2026-12-01T10:00:00Z';
const alert = (fields: Partial<AlertInput>) => alertSchema.parse({ id: 'a-1', source: 'generic', type: 'x', ...fields });
const policyOf = (playbook: string, fields: Record<string, unknown> = {}): PlaybookPolicy => policySchema.parse({ playbooks: { [playbook]: fields } }).playbooks[playbook]!;
const factsOf = (entity: string, samples: AlertSummary[]): Facts => ({ entity, alertCount: samples.length, maxSeverity: 5, samples, previousIncidents: 0, priorOffences: 0 });

describe('routing alerts to playbooks', () => {
  const cases: [string, Partial<AlertInput>, string | undefined][] = [
    ['auth.failure with an address', { type: 'auth.failure', sourceIp: '203.0.113.7' }, 'brute-force:203.0.113.7'],
    ['auth.success with user, address and time', { type: 'auth.success', user: 'Alice@Example.ORG', sourceIp: '81.2.69.142', occurredAt: AT }, 'impossible-travel:alice@example.org'],
    ['auth.success without a time', { type: 'auth.success', user: 'alice@example.org', sourceIp: '81.2.69.142' }, undefined],
    ['phishing.click with user and URL', { type: 'phishing.click', user: 'alice@example.org', url: 'http://login.evil.example/x' }, 'phishing:alice@example.org'],
    ['phishing.click without a URL', { type: 'phishing.click', user: 'alice@example.org' }, undefined],
    ['process.lateral_movement with a host', { type: 'process.lateral_movement', host: 'WS-042.corp.example' }, 'lateral-movement:ws-042.corp.example'],
    ['malware.ransomware with a host', { type: 'malware.ransomware', host: 'ws-042' }, 'lateral-movement:ws-042'],
    ['account.compromise with a user', { type: 'account.compromise', user: 'CORP\\Bob' }, 'account-compromise:corp\\bob'],
    ['an unknown type', { type: 'dns.query', user: 'alice@example.org' }, undefined],
  ];
  for (const [name, fields, id] of cases) {
    test(name, () => {
      const parsed = alert(fields);
      const playbook = findPlaybook(parsed);
      assert.equal(playbook ? incidentKey(playbook, parsed) : undefined, id);
      if (id) assert.equal(isIncidentId(id), true, id);
    });
  }

  test('incident ids are canonical entities of the playbook\'s kind', () => {
    for (const id of ['phishing:Alice@example.org', 'lateral-movement:203.0.113.7', 'brute-force:ws-1', 'nope:x', 'phishing:']) assert.equal(isIncidentId(id), false, id);
  });

  test('the API resolves any spelling of an entity to its incident, and no spelling of another workflow\'s id to anything', () => {
    assert.equal(canonicalIncidentId('phishing:Alice@Example.org'), 'phishing:alice@example.org');
    assert.equal(canonicalIncidentId('lateral-movement:WS-042.corp.example.'), 'lateral-movement:ws-042.corp.example');
    for (const id of ['phishing:not a user', 'brute-force:ws-1', 'nope:x', 'phishing:']) assert.equal(canonicalIncidentId(id), undefined, id);
    const others = [controlWorkflowId('riposte'), blockShardWorkflowId('riposte', blockShardOf('203.0.113.7')), blockShardWorkflowId('riposte', 0), blockWorkflowId('203.0.113.7'), blockWorkflowId('2001:db8::1')];
    for (const id of others) assert.equal(canonicalIncidentId(id), undefined, id);
  });

  test('no block workflow id is an incident id: neither a shard of today nor a block workflow of before the shards', () => {
    for (const id of [blockShardWorkflowId('riposte', blockShardOf('203.0.113.7')), blockShardWorkflowId('riposte', 0), blockWorkflowId('203.0.113.7'), blockWorkflowId('2001:db8::1')]) {
      assert.equal(isIncidentId(id), false, id);
    }
  });
});

describe('plans', () => {
  test('phishing: a ticket with URL, domain, user and address; the domain feed only when the policy says so', () => {
    const click = summarizeAlert(alert({ type: 'phishing.click', user: 'alice@example.org', url: 'https://user:pw@Login.Evil.Example/p?q=1#f', sourceIp: '198.51.100.9' }), AT);
    const plan = playbookByName('phishing')!.plan(factsOf('alice@example.org', [click]), policyOf('phishing'));
    assert.deepEqual(plan, [{
      kind: 'open_ticket',
      params: {
        observables: [
          { kind: 'url', value: 'https://login.evil.example/p?q=1' },
          { kind: 'domain', value: 'login.evil.example' },
          { kind: 'user', value: 'alice@example.org' },
          { kind: 'ip', value: '198.51.100.9' },
        ],
        tags: ['phishing'],
      },
    }]);
    const withFeed = playbookByName('phishing')!.plan(factsOf('alice@example.org', [click]), policyOf('phishing', { domainBlockDuration: '7d' }));
    assert.deepEqual(withFeed[1], { kind: 'blocklist_domain', params: { domain: 'login.evil.example', durationMs: 7 * 86_400_000 } });
  });

  test('lateral movement: tag, ticket, and an isolation that always needs a person', () => {
    const seen = summarizeAlert(alert({ type: 'process.lateral_movement', host: 'ws-042', user: 'bob', sourceIp: '192.0.2.5' }), AT);
    const plan = playbookByName('lateral-movement')!.plan(factsOf('ws-042', [seen]), policyOf('lateral-movement'));
    assert.deepEqual(plan.map((a) => [a.kind, a.mustApprove]), [['tag_host', undefined], ['open_ticket', undefined], ['isolate_host', 'isolating a host needs a person']]);
    assert.deepEqual(plan[1]!.params.observables, [{ kind: 'host', value: 'ws-042' }, { kind: 'user', value: 'bob' }, { kind: 'ip', value: '192.0.2.5' }]);
  });

  test('account compromise: the disable always needs a person', () => {
    const plan = playbookByName('account-compromise')!.plan(factsOf('bob@example.org', []), policyOf('account-compromise', { mode: 'auto' }));
    assert.deepEqual(plan[0], { kind: 'disable_user', params: { user: 'bob@example.org' }, mustApprove: 'disabling an account always needs a person' });
  });

  test('impossible travel: the manager and a ticket; disabling only when the policy adds it', () => {
    const detail = 'sign-ins from London and Seattle';
    const samples = [
      { ...summarizeAlert(alert({ type: 'auth.success', user: 'alice@example.org', sourceIp: '81.2.69.142', occurredAt: AT }), AT), detail },
      { ...summarizeAlert(alert({ type: 'auth.success', user: 'alice@example.org', sourceIp: '54.240.196.1', occurredAt: AT }), AT), detail },
    ];
    const plan = playbookByName('impossible-travel')!.plan(factsOf('alice@example.org', samples), policyOf('impossible-travel', { notify: ['email'] }));
    assert.deepEqual(plan.map((a) => a.kind), ['notify', 'open_ticket']);
    assert.deepEqual(plan[0]!.params, { routes: ['email'], managerOf: 'alice@example.org', message: detail });
    const strict = playbookByName('impossible-travel')!.plan(factsOf('alice@example.org', samples), policyOf('impossible-travel', { travel: { disableUser: true } }));
    assert.equal(strict.at(-1)?.kind, 'disable_user');
  });
});
