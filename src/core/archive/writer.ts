import { archiveError } from './errors.js';
import type { ArchiveError } from './errors.js';
import type { ArchiveDb } from './open.js';
import { writeBatch } from './write.js';
import type { ArchiveOp } from './write.js';

/**
 * The batch writer: collects archive changes in memory and writes them in one transaction per batch —
 * every `flushMs`, as soon as `maxBatch` are waiting, on `flush()`/`close()`, and on process exit (a
 * synchronous `exit` listener: `node:sqlite` is synchronous). Pushing costs an array push; the ingest
 * path never waits on the disk.
 *
 * A failed batch (disk full, locked past the busy timeout, read-only) is kept and retried on the next
 * flush; nothing already written is touched (the transaction rolls back whole). The failure is reported
 * once through `onError` until a batch goes through again. While failing, at most `maxPending` changes
 * are kept (the oldest go first, and that is said once too).
 */

/** Options of {@link ArchiveWriter}. */
export interface ArchiveWriterOptions {
  /** Longest time (ms) a change waits before it is written (default 250). */
  flushMs?: number;
  /** Changes that trigger a write at once (default 2000). */
  maxBatch?: number;
  /** Changes kept while writes fail (default 100,000). */
  maxPending?: number;
  /** Receives each failure once (one line); the app shows it as a notice. */
  onError?: (err: ArchiveError) => void;
  /** Called after each committed batch with its size (tests, bench). */
  onFlush?: (count: number) => void;
}

/** Batches {@link ArchiveOp}s into transactions. See the module comment. */
export class ArchiveWriter {
  private pending: ArchiveOp[] = [];
  private timer: NodeJS.Timeout | undefined;
  private soon = false;
  private failing = false;
  private droppedSaid = false;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private readonly onError: (err: ArchiveError) => void;
  private readonly onFlush: (count: number) => void;

  constructor(
    private readonly archive: ArchiveDb,
    opts: ArchiveWriterOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 250;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 2000);
    this.maxPending = Math.max(this.maxBatch, opts.maxPending ?? 100_000);
    this.onError = opts.onError ?? (() => undefined);
    this.onFlush = opts.onFlush ?? (() => undefined);
    track(this);
  }

  /** Changes waiting to be written. */
  get size(): number {
    return this.pending.length;
  }

  /** Queues one change; schedules a write. No-op after `close()`. */
  push(op: ArchiveOp): void {
    if (this.closed) return;
    this.pending.push(op);
    if (this.pending.length >= this.maxBatch && !this.failing) {
      if (!this.soon) {
        this.soon = true;
        setImmediate(() => {
          this.soon = false;
          this.flush();
        });
      }
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything waiting now, in one transaction. Returns whether it was written. Never throws. */
  flush(): boolean {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return true;
    const batch = this.pending;
    this.pending = [];
    try {
      writeBatch(this.archive.db, batch);
      this.failing = false;
      this.onFlush(batch.length);
      return true;
    } catch (err) {
      this.pending = batch.concat(this.pending);
      if (this.pending.length > this.maxPending) {
        this.pending.splice(0, this.pending.length - this.maxPending);
        if (!this.droppedSaid) {
          this.droppedSaid = true;
          this.onError(archiveError(err, this.archive.file, `more than ${this.maxPending} changes waiting; the oldest are not archived`));
        }
      }
      if (!this.failing) {
        this.failing = true;
        this.onError(archiveError(err, this.archive.file, 'new messages are kept in memory and written when it works again'));
      }
      if (!this.closed && !this.timer) {
        // Retry later, slower than the normal cadence.
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.flush();
        }, Math.max(this.flushMs, 2000));
        this.timer.unref();
      }
      return false;
    }
  }

  /** Writes what is waiting and stops (later pushes are ignored). Returns whether the last write succeeded. */
  close(): boolean {
    const ok = this.flush();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    untrack(this);
    return ok;
  }
}

/** Open writers, flushed by one `exit` listener (not one listener per writer). */
const open = new Set<ArchiveWriter>();
function flushAll(): void {
  for (const w of open) w.flush();
}
function track(w: ArchiveWriter): void {
  if (open.size === 0) process.on('exit', flushAll);
  open.add(w);
}
function untrack(w: ArchiveWriter): void {
  open.delete(w);
  if (open.size === 0) process.removeListener('exit', flushAll);
}
