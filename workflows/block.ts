import { allHandlersFinished, condition, continueAsNew, log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { Block, type BlockInput } from './block/block.ts';
import { applyEverywhere, removeEverywhere } from './block/enforcement.ts';
import { killSwitchCleared } from './killSwitch.ts';
import type { BlockState } from './messages.ts';
import { expiresAtAttribute, statusAttribute, entityAttribute } from './searchAttributes.ts';

export type { BlockInput };

/** One address's block, `block:<address>`: apply everywhere, hold until expiry or unblock, remove everywhere. */
export async function blockWorkflow(input: BlockInput): Promise<BlockState> {
  const block = new Block(input);
  block.listen();
  await condition(() => block.state.expiresAt > 0 || block.lifted);
  do {
    await hold(block);
    block.state.state = 'removing';
    upsertSearchAttributes([{ key: statusAttribute, value: 'removing' }]);
    await removeEverywhere(block);
  } while (block.again());
  block.state.state = 'removed';
  upsertSearchAttributes([{ key: statusAttribute, value: 'removed' }, { key: expiresAtAttribute, value: null }]);
  log.info('block removed', { address: block.state.address, by: block.unblockedBy ?? 'expiry' });
  await block.tellIncidents();
  return block.state;
}

/** Until it expires or is lifted: applies each new expiry, and continues as new when the history grows. */
async function hold(block: Block): Promise<void> {
  const { state } = block;
  while (!block.lifted && Date.now() < state.expiresAt) {
    if (state.expiresAt !== block.appliedUntil) await apply(block);
    await condition(() => block.lifted || state.expiresAt !== block.appliedUntil || workflowInfo().continueAsNewSuggested, state.expiresAt - Date.now());
    if (workflowInfo().continueAsNewSuggested && !block.lifted) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof blockWorkflow>({ ...block.input, state });
    }
  }
}

async function apply(block: Block): Promise<void> {
  const { state } = block;
  // A manual block, or one whose incident passed its own check just before a pause, waits here too.
  await killSwitchCleared();
  state.state = 'applying';
  block.appliedUntil = state.expiresAt;
  // Listed with its expiry from the start, so no listing shows a block that looks permanent.
  upsertSearchAttributes([
    { key: entityAttribute, value: state.address },
    { key: statusAttribute, value: 'applying' },
    { key: expiresAtAttribute, value: new Date(block.appliedUntil) },
  ]);
  await applyEverywhere(block, block.appliedUntil);
  state.state = 'active';
  upsertSearchAttributes([{ key: statusAttribute, value: 'active' }]);
}
