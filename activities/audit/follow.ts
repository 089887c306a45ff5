import { open, stat } from 'node:fs/promises';

const FOLLOW_EVERY_MS = 200;
/** One read's bound, so a burst of records never holds a huge buffer; the rest is read on the next tick. */
const MAX_READ_BYTES = 1024 * 1024;

/**
 * Calls `onLine` with each complete line appended to the file from now on (`tail -F`): polled, because inotify does not
 * see writes made through another mount namespace (the enforcer's container) and is absent on some volumes. A file
 * that shrinks or is replaced (rotation) is read from its start; a missing one is waited for. `ready` settles once the
 * end of the file at the call is known: lines written after it are delivered.
 */
export function followLines(path: string, onLine: (line: string) => void, everyMs = FOLLOW_EVERY_MS): { ready: Promise<void>; stop(): void } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let position: number | undefined;
  let inode: number | undefined;
  let carry = Buffer.alloc(0);

  async function readNew(): Promise<void> {
    let info;
    try {
      info = await stat(path);
    } catch {
      // Absent (not yet written, or rotated away): whatever appears next is new.
      [position, inode, carry] = [0, undefined, Buffer.alloc(0)];
      return;
    }
    if (position === undefined) {
      [position, inode] = [info.size, info.ino];
      return;
    }
    if (info.ino !== inode || info.size < position) [position, inode, carry] = [0, info.ino, Buffer.alloc(0)];
    if (info.size === position) return;
    const length = Math.min(info.size - position, MAX_READ_BYTES);
    const handle = await open(path, 'r');
    try {
      const chunk = Buffer.alloc(length);
      const { bytesRead } = await handle.read(chunk, 0, length, position);
      position += bytesRead;
      // Cut at the last newline in bytes, so a character split between two reads is decoded whole.
      const buffer = Buffer.concat([carry, chunk.subarray(0, bytesRead)]);
      const end = buffer.lastIndexOf(0x0a);
      carry = Buffer.from(buffer.subarray(end + 1));
      if (end >= 0) for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) if (line) onLine(line);
    } finally {
      await handle.close();
    }
  }

  const tick = async () => {
    await readNew().catch(() => undefined);
    if (!stopped) timer = setTimeout(tick, everyMs);
  };
  return {
    ready: tick(),
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
