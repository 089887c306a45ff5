/**
 * Preloaded into the bench's Riposte processes (started with --expose-gc): SIGWINCH runs a full garbage collection in
 * the main thread and in every worker thread, where the Temporal SDK keeps its workflow contexts, so the RSS read
 * afterwards is what the process holds, not the garbage it has not collected yet. SIGWINCH because the Temporal
 * runtime shuts the worker down on SIGUSR2 and Node keeps SIGUSR1 for its inspector, while a process without this
 * preload ignores SIGWINCH. Plain JavaScript: worker threads load preloads before tsx can compile TypeScript for them.
 */
import { BroadcastChannel, isMainThread } from 'node:worker_threads';

const gc = globalThis.gc;
// Signals reach only the main thread; a broadcast channel reaches the workflow threads.
const channel = new BroadcastChannel('riposte-bench-gc');
channel.unref();
if (isMainThread) {
  process.on('SIGWINCH', () => {
    gc?.();
    channel.postMessage('gc');
  });
} else {
  channel.onmessage = () => gc?.();
}
