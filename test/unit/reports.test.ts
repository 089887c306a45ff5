import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AuditRecord } from '../../activities/audit/record.ts';
import { DECISION_EVENT, type DecisionParameters, VERDICT_EVENT } from '../../domain/reports/auditEvents.ts';
import { isoWeek, utcDay } from '../../domain/reports/calendar.ts';
import { percentile } from '../../domain/reports/percentile.ts';
import { promotionRow } from '../../domain/reports/promotion.ts';
import { reportSummary, TOP_ROWS } from '../../domain/reports/summary.ts';

const POLICY = { minPrecision: 0.9, minVerdicts: 2 };
let sequence = 0;

function record(at: string, fields: Partial<AuditRecord> & Pick<AuditRecord, 'phase' | 'action'>, incidentId: string | null, openedAt?: string): AuditRecord {
  sequence += 1;
  return {
    id: `r${sequence}`, at, target: '203.0.113.1', parameters: {}, actor: { kind: 'automation', name: 'automation' }, policyVersion: null, activity: null,
    ...fields,
    trigger: { incidentId, alertIds: [], blockWorkflowId: null, reason: null, ...(openedAt ? { incidentOpenedAt: openedAt } : {}) },
  };
}

const blocked = (at: string, incidentId: string, openedAt: string, point = 'edl') => record(at, { phase: 'after', action: 'block.apply', point, result: 'success' }, incidentId, openedAt);
const verdict = (at: string, incidentId: string, given: 'true_positive' | 'false_positive') => record(at, { phase: 'event', action: VERDICT_EVENT, parameters: { playbook: incidentId.split(':')[0], verdict: given } }, incidentId);
function decided(at: string, incidentId: string, parameters: Partial<DecisionParameters>): AuditRecord {
  const [playbook, entity] = incidentId.split(':') as [string, string];
  const full: DecisionParameters = { playbook, entity, mode: 'approve', rules: ['auth.failure'], alertCount: 1, steps: [{ kind: 'block', target: entity, disposition: 'approve' }], ...parameters };
  return record(at, { phase: 'event', action: DECISION_EVENT, target: entity, parameters: { ...full } }, incidentId, at);
}

const window = (since: string, until: string) => ({ since: Date.parse(since), until: Date.parse(until), playbooks: [{ name: 'brute-force', mode: 'approve' as const }], promotion: POLICY });

describe('report calendar', () => {
  test('ISO weeks start on Monday and week 1 holds the first Thursday, across year ends', () => {
    assert.equal(isoWeek(Date.parse('2024-12-29T23:59:59Z')), '2024-W52'); // a Sunday
    assert.equal(isoWeek(Date.parse('2024-12-30T00:00:00Z')), '2025-W01'); // the Monday of the week holding 2 January 2025
    assert.equal(isoWeek(Date.parse('2021-01-03T12:00:00Z')), '2020-W53');
    assert.equal(isoWeek(Date.parse('2026-01-01T00:00:00Z')), '2026-W01');
    assert.equal(isoWeek(Date.parse('2026-12-03T07:00:00Z')), '2026-W49');
    assert.equal(utcDay(Date.parse('2026-12-03T23:59:59.999Z')), '2026-12-03');
  });

  test('percentiles are nearest-rank: one of the values, never interpolated', () => {
    assert.equal(percentile([7], 0.5), 7);
    assert.equal(percentile([7], 0.95), 7);
    assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 0.95), 95);
    assert.equal(percentile(hundred, 0.5), 50);
    assert.throws(() => percentile([], 0.5), RangeError);
  });
});

describe('promotion', () => {
  test('no verdicts: no precision, and not enough of them', () => {
    const row = promotionRow('brute-force', 'observe', [undefined, undefined], POLICY);
    assert.deepEqual({ ...row, why: undefined }, {
      playbook: 'brute-force', mode: 'observe', nextMode: 'approve', wouldHaveActed: 2, confirmed: 0, refuted: 0, precision: null,
      threshold: 0.9, minVerdicts: 2, recommendation: 'not_enough_verdicts', why: undefined,
    });
    assert.match(row.why, /0 verdict\(s\) on 2 incident\(s\).*2 are needed/);
    assert.equal(promotionRow('brute-force', 'approve', [], POLICY).recommendation, 'not_enough_verdicts');
  });

  test('promote at the threshold exactly, keep below it; approve leads to auto', () => {
    const at = promotionRow('brute-force', 'approve', Array(9).fill('true_positive').concat(['false_positive']), POLICY);
    assert.equal(at.precision, 0.9);
    assert.equal(at.recommendation, 'promote');
    assert.equal(at.nextMode, 'auto');
    assert.match(at.why, /9 of 10 verdicts confirmed it \(precision 0\.90, threshold 0\.90\): move brute-force from approve to auto/);
    const below = promotionRow('brute-force', 'approve', ['true_positive', 'false_positive', undefined], POLICY);
    assert.deepEqual([below.confirmed, below.refuted, below.wouldHaveActed, below.precision, below.recommendation], [1, 1, 3, 0.5, 'keep']);
    assert.match(below.why, /below the threshold 0\.90, so brute-force stays in approve/);
  });
});

describe('report summary', () => {
  const opened = '2026-11-30T10:00:00.000Z';

  test('enforcements are counted once per incident and target whatever the points, false positives per week of the verdict', () => {
    const records = [
      blocked('2026-11-30T10:00:30Z', 'brute-force:203.0.113.1', opened),
      blocked('2026-11-30T10:00:31Z', 'brute-force:203.0.113.1', opened, 'log'),
      blocked('2026-12-07T00:00:00Z', 'brute-force:203.0.113.2', '2026-12-06T23:59:00Z'),
      verdict('2026-12-06T23:59:59Z', 'brute-force:203.0.113.1', 'false_positive'),
      record('2026-11-30T10:00:40Z', { phase: 'after', action: 'block.apply', point: 'edl', result: 'failure' }, 'brute-force:203.0.113.3', opened),
      record('2026-11-30T10:00:40Z', { phase: 'after', action: 'block.remove', point: 'edl', result: 'success' }, 'brute-force:203.0.113.1', opened),
      record('2026-11-30T10:00:41Z', { phase: 'after', action: 'disable_user.apply', target: 'alice', result: 'success' }, 'account-compromise:alice', opened),
    ];
    const report = reportSummary(records, window('2026-11-01T00:00:00Z', '2026-12-08T00:00:00Z'));
    assert.deepEqual(report.enforcementsVsFalsePositives, [
      { playbook: 'account-compromise', week: '2026-W49', enforcements: 1, falsePositives: 0 },
      { playbook: 'brute-force', week: '2026-W49', enforcements: 1, falsePositives: 1 },
      { playbook: 'brute-force', week: '2026-W50', enforcements: 1, falsePositives: 0 },
    ]);
  });

  test('time to contain: the first containment of each incident opened in the window, per day of containment', () => {
    const records = [
      blocked('2026-11-30T10:00:10Z', 'brute-force:203.0.113.1', opened),
      blocked('2026-11-30T10:05:00Z', 'brute-force:203.0.113.1', opened, 'log'), // a second point: not a second sample
      blocked('2026-11-30T10:00:20Z', 'brute-force:203.0.113.2', opened),
      blocked('2026-11-30T11:00:00Z', 'brute-force:203.0.113.3', opened),
      blocked('2026-12-01T00:00:30Z', 'brute-force:203.0.113.4', '2026-12-01T00:00:00Z'),
      blocked('2026-11-30T10:00:00Z', 'brute-force:203.0.113.5', '2026-10-01T00:00:00Z'), // opened before the window
    ];
    const report = reportSummary(records, window('2026-11-01T00:00:00Z', '2026-12-08T00:00:00Z'));
    assert.deepEqual(report.timeToContain, [
      { day: '2026-11-30', count: 3, p50Seconds: 20, p95Seconds: 3600 },
      { day: '2026-12-01', count: 1, p50Seconds: 30, p95Seconds: 30 },
    ]);
  });

  test('records outside [since, until) are left out; an empty window has empty figures', () => {
    const records = [blocked('2026-11-30T10:00:10Z', 'brute-force:203.0.113.1', opened), verdict('2026-12-08T00:00:00Z', 'brute-force:203.0.113.1', 'false_positive')];
    const report = reportSummary(records, window('2026-12-01T00:00:00Z', '2026-12-08T00:00:00Z'));
    assert.equal(report.since, '2026-12-01T00:00:00.000Z');
    assert.equal(report.until, '2026-12-08T00:00:00.000Z');
    assert.deepEqual([report.enforcementsVsFalsePositives, report.timeToContain, report.topRules, report.topEntities], [[], [], [], []]);
    assert.equal(report.promotion[0]!.recommendation, 'not_enough_verdicts');
  });

  test('top rules count their incidents\' alerts, top entities their incidents, at most ten, largest first', () => {
    const records = [
      decided('2026-12-01T00:00:00Z', 'brute-force:203.0.113.1', { rules: ['auth.failure', 'ssh.failure'], alertCount: 5 }),
      decided('2026-12-02T00:00:00Z', 'brute-force:203.0.113.1', { rules: ['auth.failure'], alertCount: 3 }),
      decided('2026-12-02T00:00:00Z', 'brute-force:203.0.113.2', { rules: ['ssh.failure'], alertCount: 1 }),
      ...Array.from({ length: 12 }, (_, i) => decided('2026-12-03T00:00:00Z', `phishing:user${String(i).padStart(2, '0')}@example.org`, { rules: [`rule-${i}`], alertCount: 1 })),
    ];
    const report = reportSummary(records, window('2026-12-01T00:00:00Z', '2026-12-08T00:00:00Z'));
    assert.deepEqual(report.topRules.slice(0, 3), [{ rule: 'auth.failure', alerts: 8 }, { rule: 'ssh.failure', alerts: 6 }, { rule: 'rule-0', alerts: 1 }]);
    assert.equal(report.topRules.length, TOP_ROWS);
    assert.deepEqual(report.topEntities.slice(0, 2), [{ entity: '203.0.113.1', incidents: 2 }, { entity: '203.0.113.2', incidents: 1 }]);
    assert.equal(report.topEntities.length, TOP_ROWS);
  });

  test('promotion counts the plans of the current mode and the verdicts on those incidents, a verdict going to the latest decision', () => {
    const records = [
      decided('2026-12-01T00:00:00Z', 'brute-force:203.0.113.1', {}),
      verdict('2026-12-01T01:00:00Z', 'brute-force:203.0.113.1', 'true_positive'),
      decided('2026-12-02T00:00:00Z', 'brute-force:203.0.113.1', {}), // the same entity again: a new incident, no verdict yet
      decided('2026-12-02T00:00:00Z', 'brute-force:203.0.113.2', {}),
      verdict('2026-12-02T01:00:00Z', 'brute-force:203.0.113.2', 'true_positive'),
      decided('2026-12-02T00:00:00Z', 'brute-force:203.0.113.3', { mode: 'observe', steps: [{ kind: 'block', target: '203.0.113.3', disposition: 'would_do' }] }),
      verdict('2026-12-02T01:00:00Z', 'brute-force:203.0.113.3', 'false_positive'), // decided in another mode
      decided('2026-12-02T00:00:00Z', 'brute-force:203.0.113.4', { steps: [{ kind: 'block', target: '203.0.113.4', disposition: 'refused' }] }),
      verdict('2026-12-03T00:00:00Z', 'brute-force:203.0.113.9', 'false_positive'), // decided before the window
    ];
    const options = { ...window('2026-12-01T00:00:00Z', '2026-12-08T00:00:00Z'), playbooks: [{ name: 'brute-force', mode: 'approve' as const }, { name: 'phishing', mode: 'auto' as const }, { name: 'impossible-travel', mode: 'observe' as const }] };
    const [bruteForce, impossibleTravel, ...rest] = reportSummary(records, options).promotion;
    assert.equal(rest.length, 0, 'a playbook in auto mode has nothing to be promoted to');
    assert.deepEqual([bruteForce!.playbook, bruteForce!.wouldHaveActed, bruteForce!.confirmed, bruteForce!.refuted, bruteForce!.precision, bruteForce!.recommendation], ['brute-force', 3, 2, 0, 1, 'promote']);
    assert.deepEqual([impossibleTravel!.playbook, impossibleTravel!.mode, impossibleTravel!.wouldHaveActed, impossibleTravel!.precision], ['impossible-travel', 'observe', 0, null]);
  });
});
