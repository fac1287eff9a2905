import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { archiveError } from './errors.js';
import { migrate } from './schema.js';
import { sqlite } from './sqlite.js';
import type { DatabaseSync, StatementSync } from './sqlite.js';

/**
 * Opening the archive database: one file per config directory, shared by every chat-tui process on it.
 * - The directory is created 0700 and the file 0600 before SQLite opens it (SQLite gives its `-wal` and
 *   `-shm` files the database file's mode: sqlite.org/tempfiles.html);
 * - `busy_timeout` first, so a second process waits for the writer instead of failing at once;
 * - WAL (sqlite.org/wal.html): readers never block the writer; `synchronous = FULL`, so a committed
 *   transaction survives a crash, `kill -9` or power loss;
 * - then the schema migration (schema.ts).
 */

/** How long (ms) a process waits for another one's write lock before SQLITE_BUSY (writers hold it for milliseconds; a loaded machine needs the margin). */
export const BUSY_TIMEOUT_MS = 5000;

/** An open archive database and the file it is in. */
export interface ArchiveDb {
  db: DatabaseSync;
  file: string;
}

/**
 * Opens (creating when missing) the database at `file` and migrates it. `readOnly`: open an existing
 * file for reading only (the CLI's search and export; nothing is created). Throws ArchiveError (one line).
 */
export function openArchiveDb(file: string, opts: { readOnly?: boolean } = {}): ArchiveDb {
  let db: DatabaseSync | undefined;
  try {
    if (!opts.readOnly) prepareFile(file);
    const { DatabaseSync } = sqlite();
    db = new DatabaseSync(file, opts.readOnly ? { readOnly: true } : {});
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!opts.readOnly) {
      db.exec('PRAGMA journal_mode = WAL');
      db.exec('PRAGMA synchronous = FULL');
      migrate(db);
    } else {
      db.prepare('PRAGMA user_version').get();
    }
    return { db, file };
  } catch (err) {
    try {
      db?.close();
    } catch {
      // already closed
    }
    throw archiveError(err, file, opts.readOnly ? 'it cannot be read' : 'messages are not archived and sends are kept in memory only');
  }
}

/** Creates the 0700 directory and the 0600 file, tightening looser modes (POSIX only). */
function prepareFile(file: string): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  closeSync(openSync(file, 'a', 0o600));
  if (process.platform === 'win32') return;
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}

const cache = new WeakMap<DatabaseSync, Map<string, StatementSync>>();

/** A prepared statement of `db` for `sql`, prepared once per database and reused. */
export function stmt(db: DatabaseSync, sql: string): StatementSync {
  let m = cache.get(db);
  if (!m) cache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare(sql)));
  return s;
}

/**
 * Runs `work` in one `BEGIN IMMEDIATE` … `COMMIT` transaction (the write lock is taken at BEGIN, so a
 * second process waits on the busy timeout rather than failing mid-way); rolls back and rethrows on
 * any error, so either all of `work` is written or none of it.
 */
export function transaction<T>(db: DatabaseSync, work: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  try {
    const out = work();
    db.exec('COMMIT');
    return out;
  } catch (err) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // SQLite may have rolled back already (SQLITE_FULL does)
    }
    throw err;
  }
}
