/** The engine-ceiling scenario's own task queue. */
export const CEILING_TASK_QUEUE = 'bench-ceiling';
