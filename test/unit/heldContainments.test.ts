import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditRecord } from '../../activities/audit/record.ts';
import { decidesContainment, heldContainments } from '../../domain/heldContainments.ts';

let sequence = 0;
function after(at: string, action: string, target: string, result: AuditRecord['result'], incidentId = `account-compromise:${target}`, by = 'automation'): AuditRecord {
  sequence += 1;
  return {
    id: `r${sequence}`, at, phase: 'after', action, target, result, parameters: {}, policyVersion: null, activity: null,
    actor: { kind: by === 'automation' ? 'automation' : 'principal', name: by },
    trigger: { incidentId, alertIds: [], blockWorkflowId: null, reason: null },
  };
}

const newestFirst = (records: AuditRecord[]) => [...records].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));

test('an account disabled and never re-enabled is held; one re-enabled since is not; one disabled again after that is', () => {
  const records = newestFirst([
    after('2026-12-01T10:00:00Z', 'disable_user.apply', 'bob@example.org', 'success'),
    after('2026-12-01T10:00:00Z', 'disable_user.apply', 'erin@example.org', 'success'),
    after('2026-12-01T11:00:00Z', 'disable_user.revert', 'erin@example.org', 'success', undefined, 'dave'),
    after('2026-12-01T09:00:00Z', 'isolate_host.apply', 'ws-17', 'success', 'lateral-movement:ws-17', 'alice'),
    after('2026-12-01T09:30:00Z', 'isolate_host.revert', 'ws-17', 'success'),
    after('2026-12-02T09:00:00Z', 'isolate_host.apply', 'ws-17', 'success', 'lateral-movement:ws-17#2', 'carol'),
  ]);
  assert.deepEqual(heldContainments(records), [
    { kind: 'isolate_host', target: 'ws-17', at: '2026-12-02T09:00:00Z', incidentId: 'lateral-movement:ws-17#2', by: 'carol' },
    { kind: 'disable_user', target: 'bob@example.org', at: '2026-12-01T10:00:00Z', incidentId: 'account-compromise:bob@example.org', by: 'automation' },
  ]);
});

test('a failed or skipped attempt decides nothing, in either direction', () => {
  const records = newestFirst([
    after('2026-12-01T10:00:00Z', 'disable_user.apply', 'bob@example.org', 'success'),
    after('2026-12-01T11:00:00Z', 'disable_user.revert', 'bob@example.org', 'failure'),
    after('2026-12-01T10:00:00Z', 'disable_user.apply', 'gina@example.org', 'skipped'),
    after('2026-12-01T10:00:00Z', 'isolate_host.apply', 'ws-9', 'failure'),
  ]);
  assert.deepEqual(heldContainments(records).map((c) => c.target), ['bob@example.org']);
  assert.deepEqual(records.filter(decidesContainment).map((r) => r.target), ['bob@example.org']);
});

test('blocks, tickets, tags, before-records and events are not containments listed here', () => {
  const before = { ...after('2026-12-01T10:00:00Z', 'disable_user.apply', 'frank@example.org', 'success'), phase: 'before' as const };
  const records = [
    after('2026-12-01T10:00:00Z', 'block.apply', '203.0.113.7', 'success'),
    after('2026-12-01T10:00:00Z', 'open_ticket.apply', 'bob@example.org', 'success'),
    after('2026-12-01T10:00:00Z', 'tag_host.apply', 'ws-1', 'success'),
    before,
  ];
  assert.deepEqual(heldContainments(records), []);
  assert.equal(records.some(decidesContainment), false);
});

test('a blocklisted domain is listed with the accounts and hosts', () => {
  assert.deepEqual(heldContainments([after('2026-12-01T10:00:00Z', 'blocklist_domain.apply', 'evil.example', 'success', 'phishing:evil.example')]).map((c) => c.kind), ['blocklist_domain']);
});
