import { allHandlersFinished, condition, continueAsNew, log, patched, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { Block, type BlockInput } from './block/block.ts';
import { applyEverywhere, failedPoints, removeEverywhere } from './block/enforcement.ts';
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
    await block.tellLifted();
  } while (block.again());
  block.state.state = 'removed';
  upsertSearchAttributes([{ key: statusAttribute, value: 'removed' }, { key: expiresAtAttribute, value: null }]);
  log.info('block removed', { address: block.state.address, by: block.unblockedBy ?? 'expiry' });
  await block.tellIncidents();
  return block.state;
}

const DEFAULT_RETRY_FAILED_MS = 60_000;

/**
 * Until it expires or is lifted: applies each new expiry, tries the points that refused it again, and continues as
 * new when the history grows.
 */
async function hold(block: Block): Promise<void> {
  const { state } = block;
  while (!block.lifted && Date.now() < state.expiresAt) {
    if (state.expiresAt !== block.appliedUntil) await apply(block);
    // Runs recorded before points were tried again waited for the expiry alone.
    const retry = failedPoints(block).length > 0 && patched('retry-failed-points');
    const wait = Math.min(state.expiresAt - Date.now(), retry ? state.retryFailedEveryMs ?? DEFAULT_RETRY_FAILED_MS : Number.POSITIVE_INFINITY);
    const woken = await condition(() => block.lifted || state.expiresAt !== block.appliedUntil || workflowInfo().continueAsNewSuggested, wait);
    if (!woken && retry && Date.now() < state.expiresAt) {
      await killSwitchCleared();
      await applyAt(block, failedPoints(block));
    }
    // An extension that arrived with the suggestion is applied first: the next run takes its expiry as applied.
    const unapplied = state.expiresAt !== block.appliedUntil && patched('apply-before-continue');
    if (workflowInfo().continueAsNewSuggested && !block.lifted && !unapplied) {
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
  await applyAt(block, state.points);
}

/** Applies at these points, then says whether any point holds the block, telling its incidents when that changes. */
async function applyAt(block: Block, points: readonly string[]): Promise<void> {
  const { state } = block;
  const before = state.state;
  await applyEverywhere(block, block.appliedUntil, points);
  const held = state.points.some((point) => state.pointStates?.[point]?.state === 'applied');
  state.state = held ? 'active' : 'failed';
  upsertSearchAttributes([{ key: statusAttribute, value: state.state }]);
  if (state.state === 'failed' ? before !== 'failed' : before === 'failed') await block.tellHealth(state.state);
}
