import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createIncidentCoalescer } from '../../api/incidentCoalescer.ts';
import { type AlertBatch, type AlertSummary, addToBatch, EMPTY_BATCH, MAX_SAMPLES } from '../../domain/alert.ts';
import type { IncidentInput } from '../../domain/incident.ts';

const summary = (n: number, count = 1, severity = 5): AlertSummary => ({ id: `a${n}`, source: 'generic', type: 'auth.failure', severity, count, receivedAt: '2026-01-01T00:00:00Z' });
const input = {} as IncidentInput;

test('a batch counts every alert and keeps the first samples and the latest', () => {
  let batch = EMPTY_BATCH;
  for (let i = 0; i < 50; i += 1) batch = addToBatch(batch, [summary(i, 2, i % 10)]);
  assert.deepEqual([batch.alerts, batch.count, batch.maxSeverity], [50, 100, 9]);
  assert.deepEqual(batch.samples.map((s) => s.id), ['a0', 'a1', 'a2', 'a3', 'a49']);
  assert.equal(batch.samples.length, MAX_SAMPLES);
  const merged = addToBatch(batch, addToBatch(EMPTY_BATCH, [summary(100, 7, 10)]));
  assert.deepEqual([merged.alerts, merged.count, merged.maxSeverity, merged.samples.at(-1)?.id], [51, 107, 10, 'a100']);
});

test('submissions for one incident within the window share one signal; others get their own', async () => {
  const sent: { id: string; batch: AlertBatch }[] = [];
  const coalescer = createIncidentCoalescer(async (id, _input, batch) => {
    sent.push({ id, batch });
    return { started: true };
  }, 5);
  const results = await Promise.all([
    coalescer.submit('brute-force:192.0.2.1', input, addToBatch(EMPTY_BATCH, [summary(1)])),
    coalescer.submit('brute-force:192.0.2.1', input, addToBatch(EMPTY_BATCH, [summary(2), summary(3)])),
    coalescer.submit('brute-force:192.0.2.2', input, addToBatch(EMPTY_BATCH, [summary(4)])),
  ]);
  assert.deepEqual(sent.map((s) => [s.id, s.batch.alerts]), [['brute-force:192.0.2.1', 3], ['brute-force:192.0.2.2', 1]]);
  assert.deepEqual(results.map((r) => r.started), [true, false, true], 'only the first caller of a starting batch sees it started');
});

test('every caller of a failed signal sees the failure, and nothing is answered before the send settles', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const coalescer = createIncidentCoalescer(async () => {
    await gate;
    throw new Error('temporal unavailable');
  }, 0);
  let settled = 0;
  const calls = [1, 2].map((n) => coalescer.submit('brute-force:192.0.2.9', input, addToBatch(EMPTY_BATCH, [summary(n)])).finally(() => {
    settled += 1;
  }));
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(settled, 0);
  release();
  for (const call of calls) await assert.rejects(call, /temporal unavailable/);
});

test('while a signal is in flight, later alerts for the incident wait and go together in the next one', async () => {
  const sent: number[] = [];
  let release!: () => void;
  let calls = 0;
  const coalescer = createIncidentCoalescer(async (_id, _input, batch) => {
    sent.push(batch.alerts);
    calls += 1;
    if (calls === 1) await new Promise<void>((r) => {
      release = r;
    });
    return { started: calls === 1 };
  }, 0);
  const first = coalescer.submit('brute-force:192.0.2.5', input, addToBatch(EMPTY_BATCH, [summary(1)]));
  await new Promise((r) => setTimeout(r, 5));
  const later = [2, 3, 4].map((n) => coalescer.submit('brute-force:192.0.2.5', input, addToBatch(EMPTY_BATCH, [summary(n)])));
  await new Promise((r) => setTimeout(r, 5));
  assert.deepEqual(sent, [1], 'nothing more is sent while the first signal is in flight');
  release();
  const results = await Promise.all([first, ...later]);
  assert.deepEqual(sent, [1, 3]);
  assert.deepEqual(results.map((r) => r.started), [true, false, false, false]);
});
