import { archiveError, ArchiveError } from './errors.js';
import type { ChatEvent } from '../events.js';
import { exportMessages } from './export.js';
import { indexBehind, indexPending, rebuildLeft } from './fts.js';
import type { ExportQuery } from './export.js';
import { openArchiveDb } from './open.js';
import type { ArchiveDb } from './open.js';
import { SqliteOutbox } from './outbox.js';
import type { SqliteOutboxOptions } from './outbox.js';
import { pruneMessages } from './prune.js';
import type { PruneLimits } from './prune.js';
import { archivedRooms, lastMessages, messagesAfter, messagesBefore } from './read.js';
import type { Cursor } from './read.js';
import { ftsQuery, searchMessages } from './search.js';
import type { SearchHit, SearchQuery } from './search.js';
import { archiveStats } from './stats.js';
import type { ArchiveStats } from './stats.js';
import type { ArchivedMessage } from './types.js';
import { ArchiveWriter } from './writer.js';
import type { ArchiveWriterOptions } from './writer.js';

/**
 * The archive of one config directory: what the store saw (messages, edits, deletes), written in
 * batches, read back for the first frame, scrollback, search and export; and the outbox, in the same
 * database. Every method maps SQLite's errors to an {@link ArchiveError} (one line); `record` never
 * throws (the writer reports through `onError`).
 */
export class Archive {
  private readonly writer: ArchiveWriter;
  private constructor(
    readonly handle: ArchiveDb,
    writer: ArchiveWriterOptions,
  ) {
    this.writer = new ArchiveWriter(handle, writer);
  }

  /**
   * Opens (creating, migrating) the archive at `file`. `readOnly` opens an existing file for reading.
   * Throws ArchiveError when it cannot be opened (locked, corrupt, unwritable, full).
   */
  static open(file: string, opts: ArchiveWriterOptions & { readOnly?: boolean } = {}): Archive {
    return new Archive(openArchiveDb(file, { readOnly: opts.readOnly ?? false }), opts);
  }

  /** The database file. */
  get file(): string {
    return this.handle.file;
  }

  /** Changes waiting in the batch writer. */
  get pending(): number {
    return this.writer.size;
  }

  /**
   * Queues what a store event changes in the archive: a message (upsert by profile, room, id), an edit,
   * a delete. Other events are ignored. Never throws; written by the next batch.
   */
  record(ev: ChatEvent): void {
    this.writer.push(ev);
  }

  /** Starts the writer thread now (when writing on one), ahead of the first batch; resolves when it is up. */
  startWriter(): Promise<void> {
    return this.writer.start();
  }

  /** Writes what is queued now; returns whether it was written (a failure went to `onError`). */
  flush(): boolean {
    return this.writer.flush();
  }

  /** The newest `limit` messages of a room, oldest first (flushes first, so it sees what was recorded). */
  last(profile: string, room: string, limit: number): ArchivedMessage[] {
    return this.read('the room history cannot be read', () => lastMessages(this.handle.db, profile, room, limit));
  }

  /** Up to `limit` messages of a room before `cursor`, oldest first. */
  before(profile: string, room: string, cursor: Cursor, limit: number): ArchivedMessage[] {
    return this.read('older messages cannot be read', () => messagesBefore(this.handle.db, profile, room, cursor, limit));
  }

  /** Up to `limit` messages of a room after `cursor`, oldest first. */
  after(profile: string, room: string, cursor: Cursor, limit: number): ArchivedMessage[] {
    return this.read('newer messages cannot be read', () => messagesAfter(this.handle.db, profile, room, cursor, limit));
  }

  /** Rooms of a profile with archived messages. */
  rooms(profile: string): string[] {
    return this.read('the archived rooms cannot be read', () => archivedRooms(this.handle.db, profile));
  }

  /**
   * Full-text search (search.ts), after indexing what the index does not hold yet (fts.ts): the new
   * rows, and the rest of a rebuild unless `q.waitForRebuild` is false. An empty text finds nothing
   * and indexes nothing.
   */
  search(q: SearchQuery): SearchHit[] {
    return this.read('search failed', () => {
      if (ftsQuery(q.text) === undefined) return [];
      indexPending(this.handle.db, Number.POSITIVE_INFINITY, q.waitForRebuild ?? true);
      return searchMessages(this.handle.db, q);
    });
  }

  /** Whether the search index has rows to catch up on (fts.ts `indexBehind`); cheap, for deciding to start the writer thread. */
  searchIndexBehind(): boolean {
    return this.read('search failed', () => indexBehind(this.handle.db));
  }

  /** How many older messages a search index rebuild has not indexed yet (fts.ts; 0 when none runs). */
  searchRebuildLeft(): number {
    return this.read('search failed', () => rebuildLeft(this.handle.db));
  }

  /** Every message of an export query, oldest first (export.ts). */
  *export(q: ExportQuery): Generator<ArchivedMessage> {
    this.flush();
    try {
      yield* exportMessages(this.handle.db, q);
    } catch (err) {
      throw err instanceof ArchiveError ? err : archiveError(err, this.file, 'export failed');
    }
  }

  /** Prunes by the limits (prune.ts); returns how many went. */
  prune(limits: PruneLimits, now?: number): number {
    this.flush();
    return this.read('old messages were not pruned', () => pruneMessages(this.handle.db, limits, now));
  }

  /** Size, rows and integrity (stats.ts) for `doctor`. */
  stats(): ArchiveStats {
    return this.read('it cannot be checked', () => archiveStats(this.handle));
  }

  /** The outbox on this database (outbox.ts). */
  outbox(opts: SqliteOutboxOptions = {}): SqliteOutbox {
    return new SqliteOutbox(this.handle, opts);
  }

  /** Lets the writer thread (if any) finish what it was handed, then closes (see close). */
  async closeAsync(): Promise<boolean> {
    const ok = await this.writer.closeAsync();
    try {
      this.handle.db.close();
    } catch {
      // already closed
    }
    return ok;
  }

  /** Writes what is queued and closes the database. Returns whether the last write succeeded. */
  close(): boolean {
    const ok = this.writer.close();
    try {
      this.handle.db.close();
    } catch {
      // already closed
    }
    return ok;
  }

  private read<T>(doing: string, f: () => T): T {
    this.writer.flush();
    try {
      return f();
    } catch (err) {
      throw archiveError(err, this.file, doing);
    }
  }
}
