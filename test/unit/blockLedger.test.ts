import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type BlockEntry, entryState, expireIfDue, finished, grant, type LeaseRequest, lift, nextExpiry, nextRetry, pointWork, recordHold, withdraw,
} from '../../domain/blockLedger.ts';

const T0 = 1_000_000;
const request = (over: Partial<LeaseRequest> = {}): LeaseRequest => ({
  address: '192.0.2.7', points: ['nftables'], durationMs: 60_000, reason: 'brute force', requestedBy: 'brute-force:192.0.2.7', incidentId: 'brute-force:192.0.2.7', leaseId: 'run-1', ...over,
});
const manual = (over: Partial<LeaseRequest> = {}) => request({ requestedBy: 'rita', incidentId: undefined, leaseId: 'm-1', ...over });
const work = (entry: BlockEntry, now: number, point = 'nftables') => pointWork([entry], point, now, new Set(), 100);

describe('grant', () => {
  test('one entry per address: a later request extends it, a shorter one never shortens it', () => {
    const first = grant(undefined, request(), T0);
    assert.equal(first.expiresAt, T0 + 60_000);
    const extended = grant(first, manual({ durationMs: 3_600_000 }), T0 + 1_000);
    assert.equal(extended.expiresAt, T0 + 1_000 + 3_600_000);
    assert.equal(extended.trigger.requestedBy, 'rita', 'the request that set the expiry is the one audited');
    const shorter = grant(extended, request({ incidentId: 'x:1', requestedBy: 'x:1', durationMs: 1_000 }), T0 + 2_000);
    assert.equal(shorter.expiresAt, T0 + 1_000 + 3_600_000);
    assert.equal(shorter.trigger.requestedBy, 'rita');
    assert.deepEqual(Object.keys(shorter.leases).sort(), ['brute-force:192.0.2.7', 'rita', 'x:1']);
    assert.equal(shorter.requests, 3);
  });

  test('keeps at most five alert ids of a request', () => {
    const entry = grant(undefined, request({ alertIds: ['1', '2', '3', '4', '5', '6', '7'] }), T0);
    assert.deepEqual(entry.trigger.alertIds, ['1', '2', '3', '4', '5']);
  });
});

describe('withdraw and lift', () => {
  test('a withdrawal takes back only the lease granted under its id, and shrinks the block to what is left', () => {
    const entry = grant(grant(undefined, request({ durationMs: 3_600_000 }), T0), manual({ durationMs: 60_000 }), T0);
    assert.equal(withdraw(entry, 'brute-force:192.0.2.7', 'an-older-run', 'dave', 'fp', T0 + 1), 'already_ended');
    assert.equal(entry.expiresAt, T0 + 3_600_000);
    assert.equal(withdraw(entry, 'brute-force:192.0.2.7', 'run-1', 'dave', 'fp', T0 + 1), 'withdrawn');
    assert.equal(entry.expiresAt, T0 + 60_000, 'rita\'s lease keeps the block, for her time');
    assert.equal(entry.ending, undefined);
  });

  test('withdrawing the last live lease lifts the block; a lapsed lease does not keep it', () => {
    const entry = grant(grant(undefined, manual({ durationMs: 1_000 }), T0), request({ durationMs: 60_000 }), T0);
    assert.equal(withdraw(entry, 'brute-force:192.0.2.7', 'run-1', 'dave', 'fp', T0 + 5_000), 'withdrawn');
    assert.deepEqual(entry.ending, { how: 'lifted', by: 'dave', reason: 'fp', at: T0 + 5_000 });
    assert.equal(withdraw(entry, 'rita', 'm-1', 'dave', undefined, T0 + 5_001), 'already_ended');
  });

  test('a lift clears every lease and remembers the incidents to tell', () => {
    const entry = grant(grant(undefined, request(), T0), manual(), T0);
    lift(entry, 'alice', 'pentest', T0 + 1);
    assert.deepEqual(entry.leases, {});
    assert.deepEqual(entry.liftedIncidents, ['brute-force:192.0.2.7']);
    assert.equal(entryState(entry), 'removing');
  });
});

describe('pointWork and recordHold', () => {
  test('a new block is applied; once held at its expiry there is nothing to do; an extension is applied again', () => {
    const entry = grant(undefined, request(), T0);
    assert.deepEqual(work(entry, T0).apply.map((e) => e.address), ['192.0.2.7']);
    assert.equal(work(entry, T0, 'edl').apply.length, 0, 'only at its own points');
    assert.equal(recordHold(entry, 'nftables', { ok: true, expiresAt: entry.expiresAt }, T0), undefined);
    assert.equal(entryState(entry), 'active');
    assert.equal(work(entry, T0).apply.length, 0);
    grant(entry, manual({ durationMs: 600_000 }), T0 + 1);
    assert.equal(work(entry, T0 + 1).apply.length, 1);
  });

  test('a block every point refused is failed, retried with back-off, and recovers', () => {
    const entry = grant(undefined, request({ retryFailedEveryMs: 3_000 }), T0);
    assert.equal(recordHold(entry, 'nftables', { ok: false, error: 'no such netns' }, T0), 'failed');
    assert.equal(entryState(entry), 'failed');
    assert.equal(work(entry, T0 + 999).apply.length, 0, 'not before its back-off');
    assert.equal(work(entry, T0 + 1_000).apply.length, 1);
    assert.equal(nextRetry([entry], 'nftables', T0), T0 + 1_000);
    assert.equal(nextRetry([entry], 'nftables', T0 + 1_000), undefined, 'a back-off already past is not waited for');
    assert.equal(nextExpiry([entry]), T0 + 60_000);
    recordHold(entry, 'nftables', { ok: false, error: 'no such netns' }, T0 + 1_000);
    assert.equal(entry.holds.nftables!.retryAt, T0 + 3_000, 'doubling');
    recordHold(entry, 'nftables', { ok: false, error: 'no such netns' }, T0 + 3_000);
    assert.equal(entry.holds.nftables!.retryAt, T0 + 6_000, 'capped at retryFailedEvery');
    assert.equal(recordHold(entry, 'nftables', { ok: true, expiresAt: entry.expiresAt }, T0 + 6_000), 'active');
    assert.equal(entry.holds.nftables!.recovered, true);
  });

  test('a failed extension leaves the point holding the old expiry', () => {
    const entry = grant(undefined, request(), T0);
    recordHold(entry, 'nftables', { ok: true, expiresAt: entry.expiresAt }, T0);
    grant(entry, manual({ durationMs: 600_000 }), T0 + 1);
    assert.equal(recordHold(entry, 'nftables', { ok: false, error: 'busy' }, T0 + 2), undefined);
    assert.equal(entry.holds.nftables!.state, 'applied');
    assert.equal(entryState(entry), 'active');
  });

  test('an expired block is removed at each point it reached, then finished', () => {
    const entry = grant(undefined, request({ points: ['nftables', 'edl'] }), T0);
    recordHold(entry, 'nftables', { ok: true, expiresAt: entry.expiresAt }, T0);
    assert.equal(expireIfDue(entry, T0 + 59_999), false);
    assert.equal(expireIfDue(entry, T0 + 60_000), true);
    assert.equal(work(entry, T0 + 60_000).remove.length, 1);
    assert.equal(work(entry, T0 + 60_000, 'edl').remove.length, 1, 'a point never told is still told to remove');
    assert.equal(finished(entry), false);
    recordHold(entry, 'nftables', { ok: true }, T0 + 60_001);
    recordHold(entry, 'edl', { ok: false, error: 'disk full' }, T0 + 60_001);
    assert.equal(finished(entry), false, 'a failed removal is tried again');
    recordHold(entry, 'edl', { ok: true }, T0 + 61_001);
    assert.equal(finished(entry), true);
  });

  test('addresses with a call under way are left out, and a batch stops at its size', () => {
    const entries = ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((address) => grant(undefined, request({ address }), T0));
    assert.deepEqual(pointWork(entries, 'nftables', T0, new Set(['192.0.2.2']), 100).apply.map((e) => e.address), ['192.0.2.1', '192.0.2.3']);
    assert.equal(pointWork(entries, 'nftables', T0, new Set(), 2).apply.length, 2);
  });
});
