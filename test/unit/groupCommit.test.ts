import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupCommit, type Pending } from '../../activities/enforce/groupCommit.ts';

interface Op extends Pending {
  n: number;
}

test('calls made together share a batch, in order and at most maxBatch a batch; later calls wait for the next one', async () => {
  const batches: number[][] = [];
  const batched = groupCommit<Op>({ maxBatch: 3, commit: async (ops) => { batches.push(ops.map((op) => op.n)); ops.forEach((op) => op.resolve()); } });
  await Promise.all([1, 2, 3, 4, 5].map((n) => batched({ n })));
  await batched({ n: 6 });
  assert.deepEqual(batches, [[1, 2, 3], [4, 5], [6]]);
});

test('a failed prepare rejects that batch only; a commit that throws rejects every call it had not settled', async () => {
  let prepared = 0;
  const batched = groupCommit<Op>({
    maxBatch: 2,
    prepare: async () => {
      prepared += 1;
      if (prepared === 1) throw new Error('table missing');
    },
    commit: async (ops) => {
      ops[0]!.resolve();
      if (ops.length > 1) throw new Error('batch lost');
    },
  });
  const results = await Promise.allSettled([1, 2, 3, 4].map((n) => batched({ n })));
  assert.deepEqual(results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as Error).message)), ['table missing', 'table missing', 'ok', 'batch lost']);
});
