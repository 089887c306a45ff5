import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizerFor } from '../../api/routes/simulate.ts';
import { type Alert, type AlertInput, alertSchema } from '../../domain/alert.ts';
import { approvalWait, decidePlan, thresholdsMet } from '../../domain/incidentDecision.ts';
import { policySchema, type PolicySnapshot } from '../../domain/policy.ts';
import { compareSimulations } from '../../domain/simulation/diff.ts';
import { replay } from '../../domain/simulation/replay.ts';
import { simulate, type SimulatedIncident } from '../../domain/simulation.ts';

const NOW = Date.parse('2026-01-05T12:00:00Z'); // a Monday

function policyOf(document: Record<string, unknown>, version = 'v-test'): PolicySnapshot {
  return { ...policySchema.parse(document), version };
}

let serial = 0;
const alert = (fields: Partial<AlertInput>): Alert => alertSchema.parse({ id: `a${(serial += 1)}`, source: 'generic', type: 'auth.failure', ...fields });
const incident = (incidents: readonly SimulatedIncident[], id: string) => incidents.find((i) => i.id === id) ?? assert.fail(`no incident ${id} in ${incidents.map((i) => i.id).join(', ')}`);
const decisions = (found: SimulatedIncident) => found.actions.map((a) => [a.kind, a.decision]);

describe('simulate', () => {
  test('each mode as the workflow decides it: auto runs, approve waits with its reasons, observe only records', () => {
    const policy = policyOf({
      playbooks: { 'brute-force': { mode: 'auto' }, 'account-compromise': { mode: 'approve' }, 'lateral-movement': { mode: 'observe' } },
    });
    const { incidents } = simulate([[
      alert({ sourceIp: '198.51.100.7' }),
      alert({ type: 'account.compromise', user: 'alice@corp.example' }),
      alert({ type: 'process.lateral_movement', host: 'ws-042.corp.example' }),
    ]], policy, { now: NOW });
    const block = incident(incidents, 'brute-force:198.51.100.7');
    assert.deepEqual([block.status, decisions(block)], ['contained', [['block', 'run']]]);
    assert.equal(block.actions[0]!.description, 'block 198.51.100.7 for 24h');
    const compromise = incident(incidents, 'account-compromise:alice@corp.example');
    assert.equal(compromise.status, 'awaiting_approval');
    assert.deepEqual(decisions(compromise), [['disable_user', 'approve'], ['open_ticket', 'run']]);
    assert.deepEqual(compromise.approval, { reasons: ['disable_user is in approve mode', 'disabling an account always needs a person'], approvals: 1 });
    const lateral = incident(incidents, 'lateral-movement:ws-042.corp.example');
    assert.deepEqual([lateral.status, decisions(lateral)], ['observed', [['tag_host', 'would_do'], ['open_ticket', 'run'], ['isolate_host', 'would_do']]]);
  });

  test('the allowlist and protect refuse in every mode, and the incident says which', () => {
    const policy = policyOf({ allowlist: ['203.0.113.0/28'], protect: { users: ['svc-*'] }, playbooks: { 'brute-force': { mode: 'auto' }, 'account-compromise': { mode: 'auto' } } });
    const { incidents } = simulate([[alert({ sourceIp: '203.0.113.5' }), alert({ type: 'account.compromise', user: 'svc-backup@corp.example' })]], policy, { now: NOW });
    const allowlisted = incident(incidents, 'brute-force:203.0.113.5');
    assert.deepEqual([allowlisted.status, allowlisted.actions[0]!.decision, allowlisted.actions[0]!.reasons], ['allowlisted', 'refused', ['203.0.113.5 overlaps the allowlist entry 203.0.113.0/28']]);
    const protectedUser = incident(incidents, 'account-compromise:svc-backup@corp.example');
    assert.deepEqual([protectedUser.status, protectedUser.actions[0]!.reasons], ['protected', ['svc-backup@corp.example is protected by svc-*']]);
  });

  test('an incident decides on the request that reaches its thresholds, with the facts of that moment, and later alerts only add to it', () => {
    const policy = policyOf({ playbooks: { 'brute-force': { mode: 'auto', thresholds: { minAlerts: 3 } } } });
    const at = (iso: string) => alert({ sourceIp: '198.51.100.8', occurredAt: iso });
    const requests = [[at('2026-01-01T10:00:00Z')], [at('2026-01-01T10:01:00Z'), at('2026-01-01T10:02:00Z')], [at('2026-01-01T10:03:00Z')]];
    const [decided] = simulate(requests, policy, { now: NOW }).incidents;
    assert.equal(decided!.facts!.alertCount, 3);
    assert.equal(decided!.decidedAt, '2026-01-01T10:02:00.000Z');
    assert.match(decided!.actions[0]!.idempotencyKey, /^brute-force:198\.51\.100\.8\|block\|/);
    assert.deepEqual([decided!.alerts, decided!.alertCount], [4, 4]);

    const [watched] = simulate(requests.slice(0, 1), policy, { now: NOW }).incidents;
    assert.deepEqual([watched!.status, watched!.actions, watched!.facts], ['below_threshold', [], undefined]);
  });

  test('an auto-approve window is read at the time the alerts happened, not when the simulation runs', () => {
    const policy = policyOf({ playbooks: { 'brute-force': { mode: 'approve', autoApproveWindows: ['Sat-Sun 01:00-05:00'] } } });
    const saturdayNight = simulate([[alert({ sourceIp: '198.51.100.9', occurredAt: '2026-01-03T03:00:00Z' })]], policy, { now: NOW }).incidents[0]!;
    assert.deepEqual([saturdayNight.actions[0]!.decision, saturdayNight.autoApprovedBy], ['run', 'Sat-Sun 01:00-05:00']);
    const monday = simulate([[alert({ sourceIp: '198.51.100.9' })]], policy, { now: NOW }).incidents[0]!;
    assert.deepEqual([monday.actions[0]!.decision, monday.autoApprovedBy], ['approve', undefined]);
  });

  test('the caller\'s entity history climbs the ladder for addresses only; ranges wider than maxBlockWidth wait under wide_block', () => {
    const policy = policyOf({ approvals: { wide_block: 2 }, playbooks: { 'brute-force': { mode: 'auto', blockDuration: ['1h', '7d'], blockPrefix: { ipv4: 16 } } } });
    const [wide] = simulate([[alert({ sourceIp: '198.51.100.10' })]], policy, { now: NOW, priorOffences: 1 }).incidents;
    assert.equal(wide!.actions[0]!.description, 'block 198.51.0.0/16 for 7d');
    assert.deepEqual([wide!.actions[0]!.decision, wide!.actions[0]!.approvals], ['approve', 2]);
    assert.deepEqual(wide!.facts, { alertCount: 1, maxSeverity: 5, previousIncidents: 0, priorOffences: 1 });
    const [user] = simulate([[alert({ type: 'account.compromise', user: 'bob@corp.example' })]], policy, { now: NOW, priorOffences: 1, previousIncidents: 2 }).incidents;
    assert.deepEqual(user!.facts, { alertCount: 1, maxSeverity: 5, previousIncidents: 2, priorOffences: 0 });
  });

  test('alerts no playbook takes are counted by type, and sign-ins go to the login history undecided', () => {
    const simulation = simulate([[
      alert({ type: 'wazuh.rule-5501' }),
      alert({ type: 'wazuh.rule-5501' }),
      alert({ type: '__proto__' }),
      alert({ type: 'auth.success', user: 'carol@corp.example', sourceIp: '198.51.100.11', occurredAt: '2026-01-01T10:00:00Z' }),
    ]], policyOf({}), { now: NOW });
    assert.equal(simulation.unmatched.alerts, 3);
    assert.deepEqual(Object.entries(simulation.unmatched.types), [['wazuh.rule-5501', 2], ['__proto__', 1]]);
    assert.deepEqual(simulation.loginHistory, { users: 1, alerts: 1 });
    assert.deepEqual([simulation.alerts, simulation.incidents.length], [4, 0]);
  });

  test('totals count each action kind by decision and each incident by status', () => {
    const policy = policyOf({ allowlist: ['203.0.113.0/28'], playbooks: { 'brute-force': { mode: 'auto' } } });
    const { totals } = simulate([[alert({ sourceIp: '198.51.100.12' }), alert({ sourceIp: '198.51.100.13' }), alert({ sourceIp: '203.0.113.1' })]], policy, { now: NOW });
    assert.deepEqual(totals, { actions: { block: { run: 2, refused: 1 } }, statuses: { contained: 2, allowlisted: 1 } });
  });
});

describe('the decisions the workflow shares', () => {
  const policy = policyOf({ playbooks: { 'brute-force': { mode: 'approve', autoApproveWindows: ['Sat 00:00-24:00'] } } });
  const rules = policy.playbooks['brute-force']!;
  const planned = [{ kind: 'block', params: { address: '198.51.100.1', durationMs: 60_000, reason: 'x' } }, { kind: 'isolate_host', params: { host: 'ws-1' }, mustApprove: 'isolating a host needs a person' }];

  test('thresholds are met only when both the count and the severity reach them', () => {
    const thresholds = { minAlerts: 3, minSeverity: 7 };
    assert.equal(thresholdsMet(thresholds, { alertCount: 3, maxSeverity: 7 }), true);
    assert.equal(thresholdsMet(thresholds, { alertCount: 2, maxSeverity: 9 }), false);
    assert.equal(thresholdsMet(thresholds, { alertCount: 9, maxSeverity: 6 }), false);
  });

  test('a window waives approve mode, never a mandatory reason, and names itself only when containment runs', () => {
    const inside = decidePlan(planned, { incidentId: 'i', policy, playbook: rules, guard: undefined, at: Date.parse('2026-01-03T12:00:00Z') });
    assert.deepEqual(inside.steps.map((s) => s.disposition), ['refused', 'refused'], 'no guard: containment refused');
    const guard = { allowlist: [], protect: { users: [], hosts: [], domains: [] } };
    const saturday = decidePlan(planned, { incidentId: 'i', policy, playbook: rules, guard, at: Date.parse('2026-01-03T12:00:00Z') });
    assert.deepEqual([saturday.steps.map((s) => s.disposition), saturday.autoApprovedBy], [['run', 'approve'], 'Sat 00:00-24:00']);
    const monday = decidePlan(planned, { incidentId: 'i', policy, playbook: rules, guard, at: NOW });
    assert.deepEqual([monday.steps.map((s) => s.disposition), monday.autoApprovedBy], [['approve', 'approve'], undefined]);
    assert.deepEqual(approvalWait(monday.steps), { reasons: ['block is in approve mode', 'isolate_host is in approve mode', 'isolating a host needs a person'], approvals: 1 });
    assert.equal(approvalWait(saturday.steps.slice(0, 1)), undefined);
  });
});

describe('compareSimulations', () => {
  test('names what only one policy acts on, what each decides differently, and counts the incidents decided alike', () => {
    const requests = [[
      alert({ sourceIp: '198.51.100.20' }),
      alert({ type: 'process.lateral_movement', host: 'ws-7.corp.example' }),
      alert({ type: 'account.compromise', user: 'dave@corp.example' }),
    ]];
    const current = simulate(requests, policyOf({ playbooks: { 'brute-force': { mode: 'approve' }, 'lateral-movement': { mode: 'auto' } } }), { now: NOW });
    const proposed = simulate(requests, policyOf({ playbooks: { 'brute-force': { mode: 'auto', blockDuration: '1h' }, 'lateral-movement': { mode: 'observe' }, phishing: { mode: 'auto' } } }), { now: NOW });
    const { changes, unchanged } = compareSimulations(proposed, current);
    assert.equal(unchanged, 1, 'account-compromise is decided alike');
    const block = changes.find((c) => c.kind === 'block')!;
    assert.deepEqual([block.policy?.decision, block.policy?.description, block.against?.decision, block.against?.description, block.onlyUnder], ['run', 'block 198.51.100.20 for 1h', 'approve', 'block 198.51.100.20 for 24h', undefined]);
    const tag = changes.find((c) => c.kind === 'tag_host')!;
    assert.deepEqual([tag.policy?.decision, tag.against?.decision, tag.onlyUnder], ['would_do', 'run', 'against']);
    assert.deepEqual(changes.map((c) => c.kind).sort(), ['block', 'isolate_host', 'tag_host']);
  });

  test('an incident below its thresholds under one policy plans nothing there: its actions are only the other\'s', () => {
    const requests = [[alert({ sourceIp: '198.51.100.21' })]];
    const strict = simulate(requests, policyOf({ playbooks: { 'brute-force': { mode: 'auto', thresholds: { minAlerts: 5 } } } }), { now: NOW });
    const eager = simulate(requests, policyOf({ playbooks: { 'brute-force': { mode: 'auto' } } }), { now: NOW });
    const [change] = compareSimulations(eager, strict).changes;
    assert.deepEqual([change!.policy?.decision, change!.against, change!.onlyUnder], ['run', undefined, 'policy']);
  });
});

describe('replay', () => {
  test('bodies go through the source\'s own normaliser; a refused body is named with its fields and left out of both policies', () => {
    const bodies = [
      { at: 'line 1', body: { hostname: 'bastion-1', ip: '198.51.100.30', count: 9 } },
      { at: 'line 2', body: { hostname: 'bastion-1', ip: '010.0.0.1' } },
      { at: 'line 3', body: [{ hostname: 'bastion-1', ip: '198.51.100.31' }, { hostname: 'bastion-2', ip: '198.51.100.32' }] },
    ];
    const report = replay(bodies, normalizerFor('humio', new Date(NOW)), policyOf({ playbooks: { 'brute-force': { mode: 'auto' } } }), policyOf({}), { now: NOW });
    assert.equal(report.bodies, 3);
    assert.deepEqual(report.refused.map((r) => [r.at, r.issues.map((i) => i.path)]), [['line 2', ['ip']]]);
    assert.deepEqual(report.policy.incidents.map((i) => [i.id, i.alertCount]), [['brute-force:198.51.100.30', 9], ['brute-force:198.51.100.31', 1], ['brute-force:198.51.100.32', 1]]);
    assert.equal(report.against!.alerts, 3);
    assert.equal(report.diff!.changes.length, 3);
  });

  test('each policy\'s own source mapping types the alerts it simulates', () => {
    const seen: string[] = [];
    const normalize = (body: unknown, policy: PolicySnapshot) => {
      seen.push(policy.version);
      const type = policy.sources.humio?.types['rule:5501'] ?? 'humio.rule-5501';
      return [alert({ source: 'humio', type, sourceIp: (body as { ip: string }).ip })];
    };
    const mapped = policyOf({ sources: { humio: { types: { 'rule:5501': 'auth.failure' } } }, playbooks: { 'brute-force': { mode: 'auto' } } }, 'mapped');
    const report = replay([{ at: 'line 1', body: { ip: '198.51.100.33' } }], normalize, mapped, policyOf({}, 'plain'), { now: NOW });
    assert.deepEqual(seen, ['mapped', 'plain']);
    assert.deepEqual([report.policy.incidents.length, report.against!.unmatched.alerts, report.diff!.changes[0]!.onlyUnder], [1, 1, 'policy']);
  });

  test('10,000 exported alerts are simulated under two policies', () => {
    const bodies = Array.from({ length: 10_000 }, (_, i) => ({ at: `line ${i + 1}`, body: { id: `e${i}`, source: 'generic', type: 'auth.failure', sourceIp: `2001:db8:5:${(i % 2000).toString(16)}::1` } }));
    const report = replay(bodies, normalizerFor('generic', new Date(NOW)), policyOf({ playbooks: { 'brute-force': { mode: 'auto' } } }), policyOf({}), { now: NOW });
    assert.deepEqual([report.policy.alerts, report.policy.incidents.length, report.diff!.changes.length], [10_000, 2000, 2000]);
  });
});
