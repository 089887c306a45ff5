import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { guardOf } from '../../domain/actions/guard.ts';
import type { ActionRecord } from '../../domain/incident.ts';
import { policySchema, type PolicySnapshot } from '../../domain/policy.ts';
import { approvalRefusal, decideStep, type PlanStep, responseStatus, responseSummary } from '../../domain/responsePlan.ts';

function context(document: Record<string, unknown> = {}, playbook = 'lateral-movement', window?: string) {
  const policy: PolicySnapshot = { ...policySchema.parse(document), version: 'v-test' };
  return { incidentId: `${playbook}:ws-1.corp.example`, policy, playbook: policy.playbooks[playbook] ?? policySchema.parse({ playbooks: { x: {} } }).playbooks.x!, guard: guardOf(policy), window };
}

describe('decideStep', () => {
  test('an unknown action or bad parameters are refused, never run', () => {
    assert.deepEqual(decideStep({ kind: 'format_disk', params: {} }, context()).reasons, ['unknown action format_disk']);
    const bad = decideStep({ kind: 'isolate_host', params: { host: 'ws 1' } }, context());
    assert.equal(bad.disposition, 'refused');
    assert.match(bad.reasons[0]!, /invalid parameters for isolate_host: host: /);
  });

  test('a protected host is refused in every mode, with the rule that protects it', () => {
    for (const mode of ['observe', 'approve', 'auto']) {
      const step = decideStep({ kind: 'isolate_host', params: { host: 'dc01.corp.example' } }, context({ protect: { hosts: ['dc*'] }, playbooks: { 'lateral-movement': { mode } } }));
      assert.deepEqual([step.disposition, step.reasons], ['refused', ['dc01.corp.example is protected by dc*']], mode);
    }
  });

  test('an allowlisted address is refused', () => {
    const step = decideStep({ kind: 'block', params: { address: '10.1.2.3', durationMs: 60_000, reason: 'x' } }, context({ allowlist: ['10.0.0.0/8'] }, 'brute-force'));
    assert.deepEqual([step.disposition, step.reasons], ['refused', ['10.1.2.3 overlaps the allowlist entry 10.0.0.0/8']]);
  });

  test('a guard that cannot be built refuses containment, and lets tickets and notifications run', () => {
    const ctx = { ...context(), guard: undefined };
    assert.equal(decideStep({ kind: 'tag_host', params: { host: 'ws-1' } }, ctx).disposition, 'refused');
    assert.equal(decideStep({ kind: 'open_ticket', params: { observables: [] } }, ctx).disposition, 'run');
  });

  test('observe mode records containment only; tickets and notifications still run', () => {
    const ctx = context({ playbooks: { 'lateral-movement': { mode: 'observe' } } });
    assert.equal(decideStep({ kind: 'tag_host', params: { host: 'ws-1' } }, ctx).disposition, 'would_do');
    assert.equal(decideStep({ kind: 'open_ticket', params: { observables: [{ kind: 'host', value: 'ws-1' }] } }, ctx).disposition, 'run');
    assert.equal(decideStep({ kind: 'notify', params: { routes: ['slack'] } }, ctx).disposition, 'run');
  });

  test('a per-action mode overrides the playbook\'s: the tag runs at once while isolation waits', () => {
    const ctx = context({ playbooks: { 'lateral-movement': { mode: 'approve', actionModes: { tag_host: 'auto' } } } });
    assert.equal(decideStep({ kind: 'tag_host', params: { host: 'ws-1' } }, ctx).disposition, 'run');
    const isolate = decideStep({ kind: 'isolate_host', params: { host: 'ws-1' } }, ctx);
    assert.deepEqual([isolate.disposition, isolate.reasons, isolate.approvals], ['approve', ['isolate_host is in approve mode'], 1]);
  });

  test('the two-person rule comes from the policy\'s approvals, per action kind', () => {
    const ctx = context({ approvals: { isolate_host: 2 }, playbooks: { 'lateral-movement': { mode: 'auto' } } });
    const step = decideStep({ kind: 'isolate_host', params: { host: 'ws-1' }, mustApprove: 'isolating a host needs a person' }, ctx);
    assert.deepEqual([step.disposition, step.reasons, step.approvals], ['approve', ['isolating a host needs a person'], 2]);
  });

  test('a range wider than maxBlockWidth waits in auto mode and inside a window, under wide_block approvals', () => {
    const params = { address: '203.0.0.0/16', durationMs: 60_000, reason: 'x' };
    const auto = decideStep({ kind: 'block', params }, context({ approvals: { wide_block: 2 }, playbooks: { 'brute-force': { mode: 'auto' } } }, 'brute-force'));
    assert.deepEqual([auto.disposition, auto.approvals], ['approve', 2]);
    assert.match(auto.reasons[0]!, /wider than \/24/);
    const windowed = decideStep({ kind: 'block', params }, context({ playbooks: { 'brute-force': { mode: 'approve' } } }, 'brute-force', 'Sat-Sun 01:00-05:00'));
    assert.equal(windowed.disposition, 'approve');
  });

  test('inside an auto-approve window approve mode runs at once', () => {
    const step = decideStep({ kind: 'block', params: { address: '203.0.113.7', durationMs: 60_000, reason: 'x' } }, context({ playbooks: { 'brute-force': { mode: 'approve' } } }, 'brute-force', 'Sat-Sun 01:00-05:00'));
    assert.equal(step.disposition, 'run');
  });

  test('the idempotency key is stable for the same incident and target', () => {
    const a = decideStep({ kind: 'tag_host', params: { host: 'ws-1' } }, context());
    const b = decideStep({ kind: 'tag_host', params: { host: 'ws-1', tag: 'riposte:risky' } }, context());
    assert.equal(a.idempotencyKey, b.idempotencyKey);
    assert.equal(a.idempotencyKey, 'lateral-movement:ws-1.corp.example|tag_host|ws-1|riposte:risky');
  });
});

describe('approvalRefusal', () => {
  test('the requester and a repeat approver are refused; a new person is not', () => {
    assert.match(approvalRefusal('alice', [], 'alice')!, /asked for this action/);
    assert.match(approvalRefusal('alice', [{ by: 'alice' }], undefined)!, /already approved/);
    assert.equal(approvalRefusal('carol', [{ by: 'alice' }], 'bob'), undefined);
  });
});

describe('responseStatus', () => {
  const step = (kind: string, key: string, containment: boolean, holds = containment) => ({ kind, idempotencyKey: key, containment, holds }) as PlanStep;
  const action = (kind: string, key: string, outcome: ActionRecord['outcome']): ActionRecord => ({ kind, target: 'x', detail: '', outcome, at: '', idempotencyKey: key });
  const notification = (outcome: ActionRecord['outcome']): ActionRecord => ({ kind: 'notify', target: 'slack', detail: 'Awaiting approval', outcome, at: '' });
  const steps = [step('tag_host', 't', true, false), step('isolate_host', 'i', true), step('open_ticket', 'o', false), step('block', 'b', true)];

  test('contained, observed, failed, protected, allowlisted, responded', () => {
    assert.equal(responseStatus([action('isolate_host', 'i', 'done'), action('open_ticket', 'o', 'done')], steps), 'contained');
    assert.equal(responseStatus([action('isolate_host', 'i', 'would_do'), action('open_ticket', 'o', 'done')], steps), 'observed');
    assert.equal(responseStatus([action('isolate_host', 'i', 'done'), action('open_ticket', 'o', 'failed')], steps), 'failed');
    assert.equal(responseStatus([action('isolate_host', 'i', 'refused'), action('tag_host', 't', 'refused'), action('open_ticket', 'o', 'done')], steps), 'protected');
    assert.equal(responseStatus([action('block', 'b', 'refused')], steps), 'allowlisted');
    assert.equal(responseStatus([action('open_ticket', 'o', 'done')], steps), 'responded');
  });

  test('a tag holds nothing: tagged with the isolation only observed is observed, not contained', () => {
    assert.equal(responseStatus([action('tag_host', 't', 'done'), action('isolate_host', 'i', 'would_do')], steps), 'observed');
    assert.equal(responseStatus([action('tag_host', 't', 'done'), action('isolate_host', 'i', 'skipped')], steps), 'responded');
  });

  test('a status notification that failed fails nothing', () => {
    assert.equal(responseStatus([notification('failed'), action('block', 'b', 'done')], steps), 'contained');
  });
});

describe('responseSummary', () => {
  const action = (kind: string, outcome: ActionRecord['outcome'], detail: string, error?: string): ActionRecord => ({ kind, target: 'x', detail, outcome, at: '', ...(error ? { error } : {}) });
  test('says what was done, skipped, refused or failed, never the notifications themselves', () => {
    const done = [action('tag_host', 'done', 'tagged ws-1'), action('notify', 'done', 'Awaiting approval')];
    assert.equal(responseSummary('contained', done, []), 'Done: tagged ws-1');
    assert.equal(responseSummary('responded', [action('open_ticket', 'skipped', 'no ticket system')], []), 'Done: nothing to do; skipped: no ticket system');
    assert.equal(responseSummary('observed', [], ['block 203.0.113.7 for 24h']), 'Would block 203.0.113.7 for 24h (observe mode)');
    assert.equal(responseSummary('failed', [action('block', 'failed', 'block 203.0.113.7', 'timed out')], []), 'FAILED: block 203.0.113.7: timed out');
    assert.equal(responseSummary('protected', [action('isolate_host', 'refused', 'dc01 is protected by dc*')], []), 'Not done: dc01 is protected by dc*');
  });
});
