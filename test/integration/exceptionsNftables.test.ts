/**
 * An exception against a real firewall: the kernel element of the attacker's block is removed when an exception covers
 * it, and the attacker gets through. Needs root and network namespaces; skipped otherwise.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { type HttpServer, netnsSkipReason } from '../support/netns.ts';
import { nftablesStack } from '../support/nftablesStack.ts';
import { eventually, testPolicy } from '../support/temporal.ts';

const skip = await netnsSkipReason();

describe('an exception lifts the kernel element of a block', { skip }, () => {
  const stack = nftablesStack(testPolicy({ enforcement: { points: ['nftables'] } }));
  let http: HttpServer;
  before(async () => {
    http = await stack.pair.startHttpServer();
  });

  const curl = () => stack.pair.exec(stack.pair.attacker, ['curl', '-sS', '-m', '2', `http://${stack.pair.serverIp}:${http.port}/`]);
  const inKernel = async () => (await stack.pair.exec(stack.pair.server, ['nft', 'get', 'element', 'inet', 'riposte', 'blocked4', `{ ${stack.pair.attackerIp} }`])).code === 0;

  it('the element leaves the set, the attacker gets through, and a new block is refused', async () => {
    const { api, pair } = stack;
    assert.equal((await api.call('POST', '/v1/blocks', { ip: pair.attackerIp, duration: '1h', reason: 'scanning' })).status, 202);
    await eventually('the element in the kernel', async () => ((await inKernel()) ? true : undefined), 20_000);
    assert.equal((await curl()).code, 28, 'dropped');

    const added = await api.call('POST', '/v1/exceptions', { kind: 'address', value: '192.0.2.64/26', reason: 'partner lab', for: '1h' });
    assert.deepEqual([added.status, added.json.lifted], [201, [pair.attackerIp]], added.text);
    await eventually('the element gone from the kernel', async () => ((await inKernel()) ? undefined : true), 20_000);
    assert.equal((await curl()).stdout, 'ok', 'the attacker gets through');
    assert.equal((await api.call('POST', '/v1/blocks', { ip: pair.attackerIp, duration: '1h', reason: 'again' })).status, 403);
  });
});
