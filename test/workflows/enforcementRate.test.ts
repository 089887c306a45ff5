import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { EdlFile } from '../../activities/enforce/edlFile.ts';
import { createEdlEnforcer } from '../../activities/enforce/edlEnforcer.ts';
import { blockShardOf } from '../../workflows/ids.ts';
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

/** Addresses of as many different shards: each shard's lane makes its own call, so every block is a call of its own. */
function addressesOfDistinctShards(count: number): string[] {
  const byShard = new Map<number, string>();
  while (byShard.size < count) {
    const address = uniqueAddress();
    if (!byShard.has(blockShardOf(address))) byShard.set(blockShardOf(address), address);
  }
  return [...byShard.values()];
}

/** Addresses of one shard: its lane sends them to the point in one batch. */
function addressesOfOneShard(count: number): string[] {
  const first = uniqueAddress();
  const addresses = [first];
  while (addresses.length < count) {
    const address = uniqueAddress();
    if (blockShardOf(address) === blockShardOf(first)) addresses.push(address);
  }
  return addresses;
}

async function stormOf(addresses: string[]): Promise<number> {
  applied.length = 0;
  // One request carrying every block: their shards are signalled at once.
  await riposte.blocks.request(addresses.map((address) => ({ address, durationMs: 3_600_000, reason: 'storm', requestedBy: 'test', points: ['edl'] })));
  await eventually('every block applied', () => (applied.length === addresses.length ? true : undefined), 30_000);
  // A block held back by the rate is applied later, never recorded as a failure.
  for (const address of addresses) {
    const view = await eventually(`${address} held`, async () => {
      const seen = await riposte.blocks.read(address);
      return seen?.points.edl?.state === 'applied' ? seen : undefined;
    });
    assert.deepEqual([view.state, view.points.edl?.error, view.points.edl?.recovered], ['active', undefined, undefined], address);
  }
  return Math.max(...applied) - Math.min(...applied);
}

// BLOCKS actions at RATE/s cannot all start within 2 s, whatever burst the limiter allows the first ones.
test('enforcement is held to the policy\'s actions per second, counted per block, when many blocks arrive at once in one batch', async () => {
  const spanMs = await stormOf(addressesOfOneShard(BLOCKS));
  assert.ok(spanMs >= 2_000, `${BLOCKS} blocks of one batch applied within ${spanMs} ms at ${RATE}/s`);
});

test('enforcement is held to the policy\'s actions per second when many blocks arrive at once across shards', async () => {
  const spanMs = await stormOf(addressesOfDistinctShards(BLOCKS));
  assert.ok(spanMs >= 2_000, `${BLOCKS} enforcement calls spread over only ${spanMs} ms at ${RATE}/s`);
});
