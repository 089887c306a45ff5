import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createBlockActivities } from '../../activities/blocks.ts';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const RATE = 2;
const BLOCKS = 8;
const policy = testPolicy({ enforcement: { points: ['edl'], maxActionsPerSecond: RATE } });
const applied: number[] = [];
let riposte: TestRiposte;

before(async () => {
  riposte = await startRiposte({
    policy,
    points: (dir) => {
      const edl = createEdlEnforcer(new EdlFile(join(dir, 'edl.json')));
      return [{ ...edl, apply: (target) => {
        applied.push(Date.now());
        return edl.apply(target);
      } }];
    },
  });
});
after(() => riposte?.stop());

test('the server holds enforcement to the policy\'s actions per second, however many blocks arrive at once', async () => {
  const { requestBlock } = createBlockActivities({ client: riposte.client, taskQueue: riposte.taskQueue, enforcementTaskQueue: `${riposte.taskQueue}-enforcement` });
  await Promise.all(Array.from({ length: BLOCKS }, () => requestBlock({ address: uniqueAddress(), durationMs: 3_600_000, reason: 'storm', requestedBy: 'test', points: ['edl'] })));
  await eventually('every block applied', () => (applied.length === BLOCKS ? true : undefined), 30_000);
  const spanMs = Math.max(...applied) - Math.min(...applied);
  // 8 actions at 2/s cannot all start within 2 s, whatever burst the limiter allows the first ones.
  assert.ok(spanMs >= 2_000, `${BLOCKS} enforcement calls spread over only ${spanMs} ms at ${RATE}/s`);
});
