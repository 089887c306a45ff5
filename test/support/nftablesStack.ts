import { after, before } from 'node:test';
import { createNftablesEnforcer, removeNftablesTable } from '../../activities/enforce/nftablesEnforcer.ts';
import type { PolicySnapshot } from '../../domain/policy.ts';
import { createNetnsPair, type NetnsPair } from './netns.ts';
import { startApi, startRiposte, type TestApi, type TestRiposte } from './temporal.ts';

/**
 * Two network namespaces, workers whose one point is nftables in the server's namespace, and an API, for the tests of
 * a describe block: started before them; stopped, the table removed and the namespaces deleted after. The fields are
 * set once the block's `before` has run.
 */
export function nftablesStack(policy: PolicySnapshot): { pair: NetnsPair; riposte: TestRiposte; api: TestApi } {
  const stack = {} as { pair: NetnsPair; riposte: TestRiposte; api: TestApi };
  before(async () => {
    stack.pair = await createNetnsPair();
    stack.riposte = await startRiposte({ policy, points: () => [createNftablesEnforcer({ netns: stack.pair.server, allowlist: [] })] });
    stack.api = await startApi(stack.riposte, policy);
  });
  after(async () => {
    await stack.api?.close();
    await stack.riposte?.stop();
    if (stack.pair) {
      await removeNftablesTable({ netns: stack.pair.server }).catch(() => undefined);
      await stack.pair.cleanup();
    }
  });
  return stack;
}
