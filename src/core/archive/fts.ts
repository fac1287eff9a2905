import { stmt, transaction } from './open.js';
import type { DatabaseSync } from './sqlite.js';

/**
 * The search index is built behind the writes: inserting a message costs its row and two B-tree
 * entries, and FTS5 indexing (the dearest part, ~4× the rest) happens later, in chunks of rowids
 * above `meta.search_rowid` — on the writer thread when it is idle, and before every search for what is
 * left (so a search never misses a message that was written). Rows are indexed with their current text,
 * under the search rowid `-messages.rowid` (schema.ts v5); edits and deletes of indexed rows go through
 * the triggers of schema.ts.
 */

/** Rows indexed per transaction. */
export const FTS_CHUNK = 2000;

/** How many written messages are not in the search index yet. */
export function unindexed(db: DatabaseSync): number {
  const r = stmt(db, `SELECT count(*) AS n FROM messages WHERE rowid > (SELECT value FROM meta WHERE key = 'search_rowid')`).get() as { n: number };
  return Number(r.n);
}

/**
 * Indexes up to `max` rows (all when undefined) in transactions of {@link FTS_CHUNK}. Returns how many.
 * Throws what SQLite throws.
 */
export function indexPending(db: DatabaseSync, max = Number.POSITIVE_INFINITY): number {
  const next = stmt(db, `SELECT max(rowid) AS top FROM (SELECT rowid FROM messages WHERE rowid > (SELECT value FROM meta WHERE key = 'search_rowid') ORDER BY rowid LIMIT ?)`);
  // Newest first = ascending search rowids: FTS5 flushes its pending terms into a new segment whenever a
  // transaction's rowids stop ascending (fts5_index.c, sqlite3Fts5IndexBeginWrite), so one per chunk.
  const add = stmt(
    db,
    `INSERT INTO messages_search (rowid, text) SELECT -rowid, text FROM messages
     WHERE rowid > (SELECT value FROM meta WHERE key = 'search_rowid') AND rowid <= ? AND text <> '' ORDER BY rowid DESC`,
  );
  const mark = stmt(db, `UPDATE meta SET value = ? WHERE key = 'search_rowid'`);
  let done = 0;
  while (done < max) {
    const n = transaction(db, () => {
      const top = (next.get(Math.min(FTS_CHUNK, max - done)) as { top: number | null }).top;
      if (top === null) return 0;
      const count = Number(add.run(top).changes);
      mark.run(top);
      return Math.max(count, 1);
    });
    if (n === 0) break;
    done += n;
  }
  return done;
}
