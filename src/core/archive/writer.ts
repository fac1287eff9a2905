import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { archiveError, ArchiveError } from './errors.js';
import type { ArchiveFailure } from './errors.js';
import type { ArchiveDb } from './open.js';
import type { ChatEvent } from '../events.js';
import { pushDelete, pushEdit, pushMessage, writeBatch } from './write.js';
import type { Batch } from './write.js';

/**
 * The batch writer: collects archive changes in memory and writes them in one transaction per batch —
 * every `flushMs`, as soon as `maxBatch` are waiting, on `flush()`/`close()`, and on process exit (a
 * synchronous `exit` listener: `node:sqlite` is synchronous). Pushing appends a change's fields to a
 * flat array (write.ts): no object per message.
 *
 * With `worker: true` (the TUI) the transactions run on a worker thread with its own connection to the
 * same file (WAL lets the main thread read meanwhile): a message's row and index entries cost several
 * µs, which on the UI thread would slow a flood down (and the search index more: fts.ts builds it
 * later). Each full batch (`maxBatch`) is handed over at once, the rest after `flushMs`; the writer thread
 * runs at the lowest CPU priority (writer-worker.ts), so on a machine with few cores it takes the CPU the
 * flood leaves rather than competing with it. A batch handed to the worker stays in memory
 * until the worker says it is committed; at exit whatever is not yet acknowledged is written again on
 * the main connection (every change is idempotent: upserts by key, edits/deletes by id).
 *
 * A failed batch (disk full, locked past the busy timeout, read-only) is kept and retried later;
 * nothing already written is touched (the transaction rolls back whole). The failure is reported once
 * through `onError` until a batch goes through again. While failing, at most `maxPending` changes are
 * kept (the oldest go first, and that is said once too).
 */

/** Options of {@link ArchiveWriter}. */
export interface ArchiveWriterOptions {
  /** Longest time (ms) a change waits before it is written (default 250). */
  flushMs?: number;
  /** Changes that trigger a write at once (default 2000). */
  maxBatch?: number;
  /** Changes kept while writes fail (default 100,000). */
  maxPending?: number;
  /** Write on a worker thread (default false: on the caller's thread). */
  worker?: boolean;
  /** Receives each failure once (one line); the app shows it as a notice. */
  onError?: (err: ArchiveError) => void;
  /** Called after each committed batch with its size (tests, bench). */
  onFlush?: (count: number) => void;
}

/** What the worker answers for a batch. */
interface Ack {
  id: number;
  ok: boolean;
  error?: { kind: ArchiveFailure; message: string };
}

/** A batch and how many changes it holds. */
interface Counted {
  batch: Batch;
  count: number;
}

/** Batches message/edit/delete events into transactions. See the module comment. */
export class ArchiveWriter {
  private pending: Batch = [];
  private pendingCount = 0;
  /** Batches handed to the worker, not yet acknowledged, by id (in order). */
  private readonly inflight = new Map<number, Counted>();
  /** `start()` calls waiting for the writer thread's first answer, by id. */
  private readonly started = new Map<number, () => void>();
  private nextId = 1;
  private worker: Worker | undefined;
  private idle: (() => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private soon = false;
  private failing = false;
  private droppedSaid = false;
  private closed = false;
  private readonly flushMs: number;
  private readonly maxBatch: number;
  private readonly maxPending: number;
  private useWorker: boolean;
  private readonly onError: (err: ArchiveError) => void;
  private readonly onFlush: (count: number) => void;

  constructor(
    private readonly archive: ArchiveDb,
    opts: ArchiveWriterOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 250;
    this.maxBatch = Math.max(1, opts.maxBatch ?? 2000);
    this.maxPending = Math.max(this.maxBatch, opts.maxPending ?? 100_000);
    this.useWorker = opts.worker === true;
    this.onError = opts.onError ?? (() => undefined);
    this.onFlush = opts.onFlush ?? (() => undefined);
    track(this);
  }

  /** Changes not yet known to be written (waiting, or handed to the worker). */
  get size(): number {
    let n = this.pendingCount;
    for (const b of this.inflight.values()) n += b.count;
    return n;
  }

  /** Queues a message, edit or delete (other events are ignored); schedules a write. No-op after `close()`. */
  push(ev: ChatEvent): void {
    if (this.closed) return;
    if (ev.type === 'message') pushMessage(this.pending, ev);
    else if (ev.type === 'message.edit') pushEdit(this.pending, ev);
    else if (ev.type === 'message.delete') pushDelete(this.pending, ev);
    else return;
    if (++this.pendingCount >= this.maxBatch && !this.failing) {
      // A full batch: handed to the writer thread now (one postMessage), or written on this thread
      // after the current turn of the event loop.
      if (this.useWorker) this.flush();
      else if (!this.soon) {
        this.soon = true;
        setImmediate(() => {
          this.soon = false;
          this.flush();
        });
      }
    } else if (!this.timer) this.schedule(this.flushMs);
  }

  /**
   * Writes everything waiting now, in one transaction: on this thread (returns whether it was written),
   * or handed to the worker (returns true; the outcome comes later). Never throws.
   */
  flush(): boolean {
    this.clearTimer();
    if (this.pendingCount === 0) return true;
    if (this.useWorker && !this.closed) {
      const w = this.ensureWorker();
      const entry = this.take();
      const id = this.nextId++;
      this.inflight.set(id, entry);
      w.postMessage({ id, batch: entry.batch });
      return true;
    }
    return this.flushSync();
  }

  /**
   * Writes on this thread, now, what the worker has not acknowledged and what is waiting, in order, in
   * one transaction. Returns whether it was written. Never throws.
   */
  flushSync(): boolean {
    this.clearTimer();
    const parts = [...this.inflight.values(), this.take()];
    this.inflight.clear();
    const entry: Counted = { batch: parts.flatMap((p) => p.batch), count: parts.reduce((n, p) => n + p.count, 0) };
    if (entry.count === 0) return true;
    try {
      writeBatch(this.archive.db, entry.batch);
      this.succeeded(entry.count);
      return true;
    } catch (err) {
      this.failed(entry, archiveError(err, this.archive.file, 'new messages are kept in memory and written when it works again'));
      return false;
    }
  }

  /** Takes the waiting changes out as one batch. */
  private take(): Counted {
    const entry = { batch: this.pending, count: this.pendingCount };
    this.pending = [];
    this.pendingCount = 0;
    return entry;
  }

  /**
   * Hands what is waiting to the worker and waits (at most `timeoutMs`) until it is committed, then
   * stops the worker and writes anything left on this thread. Returns whether everything was written.
   */
  async closeAsync(timeoutMs = 5000): Promise<boolean> {
    if (this.useWorker && this.worker && !this.closed) {
      this.flush();
      if (this.inflight.size > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, timeoutMs);
          this.idle = () => {
            clearTimeout(t);
            resolve();
          };
        });
      }
    }
    return this.close();
  }

  /** Stops the worker, writes what is left on this thread and stops (later pushes are ignored). */
  close(): boolean {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
    const ok = this.flushSync();
    this.clearTimer();
    untrack(this);
    return ok;
  }

  /**
   * Starts the writer thread now (worker mode), so that its start-up is not paid when the first batch
   * comes; resolves once it has opened the database (at once without a worker).
   */
  start(): Promise<void> {
    if (!this.useWorker || this.closed) return Promise.resolve();
    const w = this.ensureWorker();
    const id = this.nextId++;
    return new Promise<void>((resolve) => {
      this.started.set(id, resolve);
      w.postMessage({ id, batch: [] });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const js = new URL('./writer-worker.js', import.meta.url);
    const url = existsSync(js) ? js : new URL('./writer-worker.ts', import.meta.url);
    const w = new Worker(url, { workerData: { file: this.archive.file } });
    w.unref();
    w.on('message', (ack: Ack) => this.acked(ack));
    w.on('error', (err) => {
      // The worker is gone: write on this thread from now on.
      this.worker = undefined;
      this.useWorker = false;
      this.onError(archiveError(err, this.archive.file, 'writing on the main thread instead'));
      this.schedule(this.flushMs);
    });
    this.worker = w;
    return w;
  }

  private acked(ack: Ack): void {
    const ready = this.started.get(ack.id);
    if (ready) {
      this.started.delete(ack.id);
      ready();
      return;
    }
    const entry = this.inflight.get(ack.id);
    if (!entry) return;
    this.inflight.delete(ack.id);
    if (ack.ok) this.succeeded(entry.count);
    else this.failed(entry, new ArchiveError(ack.error?.kind ?? 'error', ack.error?.message ?? `archive ${this.archive.file} failed`));
    if (this.inflight.size === 0) {
      const idle = this.idle;
      this.idle = undefined;
      idle?.();
    }
  }

  private succeeded(count: number): void {
    this.failing = false;
    this.onFlush(count);
  }

  private failed(entry: Counted, err: ArchiveError): void {
    this.pending = entry.batch.concat(this.pending);
    this.pendingCount += entry.count;
    if (this.pendingCount > this.maxPending) {
      this.pending = dropOldest(this.pending, this.pendingCount - this.maxPending);
      this.pendingCount = this.maxPending;
      if (!this.droppedSaid) {
        this.droppedSaid = true;
        this.onError(new ArchiveError(err.kind, `${err.message.replace(/:[^:]*$/, '')}: more than ${this.maxPending} changes waiting; the oldest are not archived`));
      }
    }
    if (!this.failing) {
      this.failing = true;
      this.onError(err);
    }
    // Retry later, slower than the normal cadence.
    if (!this.closed && !this.timer) this.schedule(Math.max(this.flushMs, 2000));
  }

  /** Flushes after `ms`. */
  private schedule(ms: number): void {
    this.clearTimer();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** The batch without its first `n` records (record lengths: message 10, edit 5, delete 4). */
function dropOldest(b: Batch, n: number): Batch {
  let i = 0;
  for (let k = 0; k < n && i < b.length; k++) i += b[i] === 'm' ? 10 : b[i] === 'e' ? 5 : 4;
  return b.slice(i);
}

/** Open writers, written out by one `exit` listener (not one listener per writer). */
const open = new Set<ArchiveWriter>();
function flushAll(): void {
  for (const w of open) w.flushSync();
}
function track(w: ArchiveWriter): void {
  if (open.size === 0) process.on('exit', flushAll);
  open.add(w);
}
function untrack(w: ArchiveWriter): void {
  open.delete(w);
  if (open.size === 0) process.removeListener('exit', flushAll);
}
