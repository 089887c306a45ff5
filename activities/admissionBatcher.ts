import type { AdmissionResult, BlockAdmission } from '../workflows/control.ts';

interface Waiting {
  admission: BlockAdmission;
  resolve(result: AdmissionResult): void;
  reject(err: unknown): void;
}

/**
 * One update in flight per control workflow from this process; admissions that arrive meanwhile go together in the
 * next. The server holds only a handful of in-flight updates per workflow and makes the rest retry, so a burst of
 * incidents each sending its own would queue for seconds, where one batch per round trip keeps up.
 */
export function createAdmissionBatcher(send: (taskQueue: string, admissions: BlockAdmission[]) => Promise<AdmissionResult[]>) {
  const queues = new Map<string, { waiting: Waiting[]; sending: boolean }>();

  async function drain(taskQueue: string): Promise<void> {
    const queue = queues.get(taskQueue)!;
    queue.sending = true;
    while (queue.waiting.length > 0) {
      const batch = queue.waiting.splice(0, queue.waiting.length);
      try {
        const results = await send(taskQueue, batch.map((w) => w.admission));
        batch.forEach((w, i) => w.resolve(results[i]!));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
    }
    queue.sending = false;
  }

  return (taskQueue: string, admission: BlockAdmission): Promise<AdmissionResult> => new Promise((resolve, reject) => {
    let queue = queues.get(taskQueue);
    if (!queue) queues.set(taskQueue, (queue = { waiting: [], sending: false }));
    queue.waiting.push({ admission, resolve, reject });
    if (!queue.sending) void drain(taskQueue);
  });
}
