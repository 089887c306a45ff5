import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { withActionMetrics } from '../../activities/audit/actionMetrics.ts';
import { type AuditRecord, discardAudit } from '../../activities/audit/index.ts';
import { parseExposition, sampleValue } from '../support/prometheus.ts';

const OPENED = '2030-01-01T00:00:00.000Z';
const later = (seconds: number) => new Date(Date.parse(OPENED) + seconds * 1000).toISOString();

let n = 0;
function after(action: string, incidentId: string | null, extra: Partial<AuditRecord> & { openedAt?: string } = {}): AuditRecord {
  const { openedAt, ...overrides } = extra;
  return {
    id: `r${++n}`,
    at: later(90),
    phase: 'after',
    action,
    target: '2001:db8::7',
    parameters: {},
    trigger: { incidentId, alertIds: [], blockWorkflowId: null, reason: null, ...(openedAt ? { incidentOpenedAt: openedAt } : {}) },
    actor: { kind: 'automation', name: 'automation' },
    policyVersion: 'v1',
    activity: null,
    result: 'success',
    ...overrides,
  };
}

async function scrape(registry: Registry) {
  return parseExposition(await registry.metrics());
}

test('every after record is counted by audit name, point or route, and outcome; before records are not', async () => {
  const registry = new Registry();
  const sink = withActionMetrics(discardAudit, registry);
  await sink.append([
    { ...after('block.apply', 'brute-force:2001:db8::7', { point: 'edl' }), phase: 'before', result: undefined },
    after('block.apply', 'brute-force:2001:db8::7', { point: 'edl' }),
    after('block.apply', 'brute-force:2001:db8::8', { point: 'edl' }),
    after('block.apply', 'brute-force:2001:db8::9', { point: 'nftables', result: 'failure', error: 'nft: busy' }),
    after('notify', 'brute-force:2001:db8::7', { route: 'slack', result: 'skipped' }),
    after('block.request', 'brute-force:2001:db8::7'),
  ]);
  const samples = await scrape(registry);
  assert.equal(sampleValue(samples, 'riposte_actions_total', { kind: 'block.apply', point: 'edl', outcome: 'success' }), 2);
  assert.equal(sampleValue(samples, 'riposte_actions_total', { kind: 'block.apply', point: 'nftables', outcome: 'failure' }), 1);
  assert.equal(sampleValue(samples, 'riposte_actions_total', { kind: 'notify', point: 'slack', outcome: 'skipped' }), 1);
  assert.equal(sampleValue(samples, 'riposte_actions_total', { kind: 'block.request', point: 'none', outcome: 'success' }), 1);
  assert.equal(samples.filter((s) => s.name === 'riposte_actions_total').reduce((sum, s) => sum + s.value, 0), 5);
});

test('time to contain: one sample per incident, from its opening to its first containment that held', async () => {
  const registry = new Registry();
  const sink = withActionMetrics(discardAudit, registry);
  await sink.append([
    after('block.request', 'brute-force:2001:db8::7', { openedAt: OPENED, at: later(10) }),
    after('block.apply', 'brute-force:2001:db8::7', { openedAt: OPENED, point: 'nftables', result: 'failure' }),
    after('block.apply', 'brute-force:2001:db8::7', { openedAt: OPENED, point: 'edl', at: later(90) }),
    after('block.apply', 'brute-force:2001:db8::7', { openedAt: OPENED, point: 'nftables', at: later(200) }),
    after('disable_user.apply', 'account-compromise:bob@example.org', { openedAt: OPENED, at: later(3_600) }),
    after('open_ticket.apply', 'phishing:alice@example.org', { openedAt: OPENED, at: later(5) }),
    after('block.apply', 'brute-force:2001:db8::8', { point: 'edl' }),
  ]);
  await sink.append([after('block.apply', 'brute-force:2001:db8::7', { openedAt: OPENED, point: 'edl', at: later(9_000) })]);
  const samples = await scrape(registry);
  assert.equal(sampleValue(samples, 'riposte_time_to_contain_seconds_count', { playbook: 'brute-force' }), 1, 'the block request, a failure, another point and a repeat are no second sample; a record without the opening time is none');
  assert.equal(sampleValue(samples, 'riposte_time_to_contain_seconds_sum', { playbook: 'brute-force' }), 90);
  assert.equal(sampleValue(samples, 'riposte_time_to_contain_seconds_bucket', { playbook: 'brute-force', le: '60' }), 0);
  assert.equal(sampleValue(samples, 'riposte_time_to_contain_seconds_bucket', { playbook: 'brute-force', le: '120' }), 1);
  assert.equal(sampleValue(samples, 'riposte_time_to_contain_seconds_sum', { playbook: 'account-compromise' }), 3_600);
  assert.equal(sampleValue(samples, 'riposte_time_to_contain_seconds_count', { playbook: 'phishing' }), undefined, 'a ticket contains nothing');
});

test('a record the store refused is not counted: its attempt fails, and is counted when it is retried', async () => {
  const registry = new Registry();
  const refusing = withActionMetrics({ append: () => Promise.reject(new Error('disk full')), close: async () => undefined }, registry);
  await assert.rejects(refusing.append([after('block.apply', 'brute-force:2001:db8::7', { openedAt: OPENED, point: 'edl' })]), /disk full/);
  const samples = await scrape(registry);
  assert.equal(sampleValue(samples, 'riposte_actions_total', { kind: 'block.apply' }), undefined);
  assert.equal(sampleValue(samples, 'riposte_time_to_contain_seconds_count', { playbook: 'brute-force' }), undefined);
});
