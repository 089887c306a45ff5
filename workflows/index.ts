export { incidentWorkflow } from './incident.ts';
export { blockWorkflow } from './block.ts';
export { blockShardWorkflow } from './blockShard.ts';
export { controlWorkflow } from './control.ts';
export { offenceHistoryWorkflow } from './offences.ts';
export { loginHistoryWorkflow } from './logins.ts';
export { reconcileWorkflow } from './reconcile.ts';
