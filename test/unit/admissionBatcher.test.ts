import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdmissionBatcher } from '../../activities/admissionBatcher.ts';
import type { AdmissionResult, BlockAdmission } from '../../workflows/control.ts';

const admission = (incidentId: string): BlockAdmission => ({ incidentId, automatic: true, maxNewBlocks: 2, windowMs: 60_000 });

/** A stand-in for the control workflow's update: counts in order, and records what each call carried. */
function fakeControl() {
  const calls: { taskQueue: string; ids: string[] }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const counts = new Map<string, number>();
  const send = async (taskQueue: string, admissions: BlockAdmission[]): Promise<AdmissionResult[]> => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    calls.push({ taskQueue, ids: admissions.map((a) => a.incidentId) });
    await new Promise((r) => setTimeout(r, 5));
    inFlight -= 1;
    return admissions.map((a) => {
      const n = (counts.get(taskQueue) ?? 0) + 1;
      counts.set(taskQueue, n);
      return { admitted: n <= a.maxNewBlocks, justTripped: n === a.maxNewBlocks + 1 };
    });
  };
  return { send, calls, maxInFlight: () => maxInFlight };
}

test('concurrent admissions share updates, one in flight per queue, in arrival order, each with its own answer', async () => {
  const control = fakeControl();
  const admit = createAdmissionBatcher(control.send);
  const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => admit('q', admission(id))));
  assert.deepEqual(results.map((r) => r.admitted), [true, true, false, false]);
  assert.deepEqual(results.map((r) => r.justTripped), [false, false, true, false], 'exactly one admission reports the trip');
  assert.equal(control.maxInFlight(), 1);
  assert.deepEqual(control.calls.flatMap((c) => c.ids), ['a', 'b', 'c', 'd']);
  assert.ok(control.calls.length <= 2, `${control.calls.length} updates for 4 admissions`);
});

test('queues are independent, and a failed update fails only the admissions it carried', async () => {
  let fail = true;
  const admit = createAdmissionBatcher(async (taskQueue, admissions) => {
    if (taskQueue === 'broken' && fail) {
      fail = false;
      throw new Error('control workflow unreachable');
    }
    return admissions.map(() => ({ admitted: true, justTripped: false }));
  });
  const [broken, healthy] = await Promise.allSettled([admit('broken', admission('x')), admit('other', admission('y'))]);
  assert.equal(broken.status, 'rejected');
  assert.equal(healthy.status, 'fulfilled');
  assert.deepEqual(await admit('broken', admission('z')), { admitted: true, justTripped: false }, 'the next admission is sent again');
});
