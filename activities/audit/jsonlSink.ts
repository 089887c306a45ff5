import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { AuditRecord, AuditSink } from './record.ts';

export interface JsonlSinkOptions {
  /** Record ids remembered for dedupe, the newest ones: loaded from the file's tail at open, then kept as written. */
  maxKeys?: number;
  /** How much of the file's end is read at open to load those ids. */
  tailBytes?: number;
  /** Largest single write; a bigger backlog is written in several. */
  maxBatchBytes?: number;
}

interface Pending {
  id: string;
  line: string;
  done: (err?: unknown) => void;
}

const DEFAULTS = { maxKeys: 100_000, tailBytes: 16 * 1024 * 1024, maxBatchBytes: 1024 * 1024 };
const NEWLINE = 0x0a;

/**
 * The audit store of record: an append-only JSON-lines file.
 *
 * - Append-only: opened with O_APPEND and never rewritten; a torn last line (a crash mid-write) is skipped by readers
 *   and the next write starts on a fresh line.
 * - Durable: `append` resolves only after the lines are written and fdatasync'd.
 * - Group commit: one writer per file per process; appends that arrive while a write is under way share the next
 *   write and fsync, so a burst of records costs one fsync, not one each.
 * - Idempotent: a record whose id was already written (or is being written) is not written again. The ids of the
 *   newest `maxKeys` records are kept, loaded from the file's tail at open, so a re-delivered attempt is recognised
 *   after a restart too.
 */
export class JsonlAuditSink implements AuditSink {
  private readonly seen = new Set<string>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private queue: Pending[] = [];
  private writing: Promise<void> | undefined;
  private closed = false;
  /** The file does not end in a newline (torn tail, failed write): the next write starts with one. */
  private needsNewline: boolean;
  readonly stats = { writes: 0, records: 0, duplicates: 0 };

  private constructor(readonly path: string, private readonly handle: FileHandle, private readonly options: Required<JsonlSinkOptions>, tail: { ids: string[]; needsNewline: boolean }) {
    for (const id of tail.ids) this.remember(id);
    this.needsNewline = tail.needsNewline;
  }

  static async open(path: string, options: JsonlSinkOptions = {}): Promise<JsonlAuditSink> {
    const opts = { ...DEFAULTS, ...options };
    await mkdir(dirname(path), { recursive: true });
    const existed = await stat(path).then(() => true, () => false);
    const handle = await open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o640);
    try {
      if (!existed) await fsyncDirectory(dirname(path));
      return new JsonlAuditSink(path, handle, opts, await readTail(path, opts.tailBytes));
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  append(records: readonly AuditRecord[]): Promise<void> {
    if (this.closed) return Promise.reject(new Error('audit file is closed'));
    const waits: Promise<void>[] = [];
    for (const record of records) {
      if (this.seen.has(record.id)) {
        this.stats.duplicates += 1;
        const pending = this.inFlight.get(record.id);
        if (pending) waits.push(pending);
        continue;
      }
      const line = `${JSON.stringify(record)}\n`;
      const written = new Promise<void>((ok, fail) => this.queue.push({ id: record.id, line, done: (err) => (err === undefined ? ok() : fail(err)) }));
      this.seen.add(record.id);
      this.inFlight.set(record.id, written);
      // The caller awaits `written`; this branch only forgets the id after a failure, so a retry can write it.
      written.then(() => this.inFlight.delete(record.id), () => {
        this.inFlight.delete(record.id);
        this.seen.delete(record.id);
      });
      waits.push(written);
    }
    // drain() only clears `writing` after an await, so it must not start on an empty queue.
    if (this.queue.length > 0) this.writing ??= this.drain();
    return Promise.all(waits).then(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.writing;
    await this.handle.close();
    if (writers.get(this.path) === this.opened) writers.delete(this.path);
  }

  /** Set by openJsonlAuditSink so close() can leave the per-process registry. */
  opened: Promise<JsonlAuditSink> | undefined;

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.takeBatch();
      try {
        const parts = batch.map((p) => p.line);
        if (this.needsNewline) parts.unshift('\n');
        const buffer = Buffer.from(parts.join(''), 'utf8');
        this.needsNewline = true;
        for (let offset = 0; offset < buffer.length;) {
          const { bytesWritten } = await this.handle.write(buffer, offset, buffer.length - offset);
          offset += bytesWritten;
        }
        this.needsNewline = false;
        await this.handle.datasync();
        this.stats.writes += 1;
        this.stats.records += batch.length;
        for (const p of batch) p.done();
        this.trimSeen();
      } catch (err) {
        for (const p of batch) p.done(err);
      }
    }
    this.writing = undefined;
  }

  private takeBatch(): Pending[] {
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && (n === 0 || bytes + this.queue[n]!.line.length <= this.options.maxBatchBytes)) {
      bytes += this.queue[n]!.line.length;
      n += 1;
    }
    return this.queue.splice(0, n);
  }

  private remember(id: string): void {
    this.seen.delete(id);
    this.seen.add(id);
    this.trimSeen();
  }

  private trimSeen(): void {
    for (const id of this.seen) {
      if (this.seen.size <= this.options.maxKeys) break;
      if (!this.inFlight.has(id)) this.seen.delete(id);
    }
  }
}

/** One writer per file per process: every caller asking for the same path shares it. */
const writers = new Map<string, Promise<JsonlAuditSink>>();

export function openJsonlAuditSink(path: string, options?: JsonlSinkOptions): Promise<JsonlAuditSink> {
  const key = resolve(path);
  let opened = writers.get(key);
  if (!opened) {
    opened = JsonlAuditSink.open(key, options);
    const registered = opened;
    writers.set(key, registered);
    registered.then((sink) => {
      sink.opened = registered;
    }, () => writers.delete(key));
  }
  return opened;
}

async function readTail(path: string, tailBytes: number): Promise<{ ids: string[]; needsNewline: boolean }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return { ids: [], needsNewline: false };
    const start = Math.max(0, size - tailBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    if (start > 0) lines.shift(); // starts mid-line
    const ids: string[] = [];
    for (const line of lines) {
      const id = idOf(line);
      if (id) ids.push(id);
    }
    return { ids, needsNewline: buffer[buffer.length - 1] !== NEWLINE };
  } finally {
    await handle.close();
  }
}

function idOf(line: string): string | undefined {
  if (!line) return undefined;
  try {
    const id = (JSON.parse(line) as { id?: unknown }).id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
