import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { blockShardOf, blockShardWorkflowId } from '../../workflows/ids.ts';
import { eventually, startRiposte, type TestRiposte, testPolicy, uniqueAddress } from '../support/temporal.ts';

const policy = testPolicy();
let riposte: TestRiposte;
before(async () => {
  riposte = await startRiposte({ policy });
});
after(() => riposte?.stop());

/** Addresses that all hash to one shard, so its history grows until the server suggests continuing as new. */
function oneShard(count: number): string[] {
  const first = uniqueAddress();
  const addresses = [first];
  while (addresses.length < count) {
    const next = uniqueAddress();
    if (blockShardOf(next) === blockShardOf(first) && !addresses.includes(next)) addresses.push(next);
  }
  return addresses;
}

test('a shard continues as new under a long run of requests and carries every block, lease and expiry', { timeout: 10 * 60_000 }, async () => {
  const addresses = oneShard(5_000);
  const shard = riposte.client.workflow.getHandle(blockShardWorkflowId(riposte.taskQueue, blockShardOf(addresses[0]!)));
  const request = (i: number) => riposte.blocks.request([{ address: addresses[i]!, points: ['edl'], durationMs: 3_600_000, reason: `request ${i}`, requestedBy: `person-${i % 7}` }]);
  await request(0);
  const firstRun = (await shard.describe()).runId;
  // A busy worker takes many signals in one task, so how many requests make the history long enough varies: ask until
  // the run has changed, then a hundred more into the new one. Twenty at a time, as in a SIEM's burst, so that a loaded
  // server is not waited on for one round trip per request.
  let sent = 1;
  const sendTwenty = async () => {
    const from = sent;
    sent = Math.min(sent + 20, addresses.length);
    await Promise.all(Array.from({ length: sent - from }, (_, k) => request(from + k)));
  };
  while ((await shard.describe()).runId === firstRun) {
    assert.ok(sent < addresses.length, 'the shard never continued as new');
    await sendTwenty();
  }
  for (const stop = sent + 100; sent < stop;) await sendTwenty();
  await eventually('every block in the feed', async () => ((await riposte.edl.read()).length === sent ? true : undefined), 5 * 60_000);
  for (const address of [addresses[0]!, addresses[Math.floor(sent / 2)]!, addresses[sent - 1]!]) {
    const block = await riposte.blocks.read(address);
    assert.equal(block?.state, 'active', address);
    assert.equal(block?.leases.length, 1);
    assert.ok(Date.parse(block!.expiresAt!) > Date.now() + 3_000_000);
  }
  assert.equal(await riposte.blocks.lift(addresses[0]!, 'alice', 'after continuing'), true);
  await eventually('the lifted block gone', async () => ((await riposte.blocks.read(addresses[0]!)) === null ? true : undefined));
  assert.equal((await riposte.edl.read()).some((entry) => entry.address === addresses[0]), false);
});
