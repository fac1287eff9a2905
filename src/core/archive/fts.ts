import { stmt, transaction } from './open.js';
import type { DatabaseSync } from './sqlite.js';

/**
 * The search index is built behind the writes: inserting a message costs its row and two B-tree
 * entries, and FTS5 indexing (the dearest part, ~4× the rest) happens later, in chunks — on the writer
 * thread when it is idle, and before a search for what is left (so a search never misses a message
 * that was written). Rows are indexed with their current text, under the search rowid
 * `-messages.rowid` (schema.ts v5); edits and deletes of indexed rows go through the triggers of
 * schema.ts.
 *
 * What is indexed is the rowid range (`meta.search_low`, `meta.search_rowid`]:
 * - new rows, above `search_rowid`, are indexed oldest first and move it up;
 * - a rebuild (schema v5 starts one over an existing archive: low = high = the last rowid) indexes
 *   the rows at or below `search_low` newest first and moves it down to 0, so the messages a search
 *   is most likely after are searchable first. The TUI searches without waiting for it
 *   ({@link rebuildLeft} says how much is left); `chat-tui search` waits.
 */

/** Rows indexed per transaction. */
export const FTS_CHUNK = 2000;

const HIGH = `(SELECT value FROM meta WHERE key = 'search_rowid')`;
const LOW = `(SELECT value FROM meta WHERE key = 'search_low')`;

/** How many written messages are not in the search index yet (new ones and the rebuild's). */
export function unindexed(db: DatabaseSync): number {
  const r = stmt(db, `SELECT count(*) AS n FROM messages WHERE rowid > ${HIGH}`).get() as { n: number };
  return Number(r.n) + rebuildLeft(db);
}

/** How many messages the rebuild has not indexed yet (at or below `search_low`; 0 when none runs). */
export function rebuildLeft(db: DatabaseSync): number {
  const r = stmt(db, `SELECT CASE WHEN ${LOW} > 0 THEN (SELECT count(*) FROM messages WHERE rowid <= ${LOW}) ELSE 0 END AS n`).get() as { n: number };
  return Number(r.n);
}

/** Whether the search index has anything to catch up on (new rows, or a rebuild): two cheap reads, no count. */
export function indexBehind(db: DatabaseSync): boolean {
  const r = stmt(db, `SELECT ${LOW} > 0 OR coalesce((SELECT max(rowid) FROM messages), 0) > ${HIGH} AS behind`).get() as { behind: number };
  return Number(r.behind) !== 0;
}

/**
 * Indexes up to `max` rows (all when undefined) in transactions of {@link FTS_CHUNK}: the new rows
 * first, then (when `older`) the rebuild's. Returns how many. Throws what SQLite throws.
 */
export function indexPending(db: DatabaseSync, max = Number.POSITIVE_INFINITY, older = true): number {
  const next = stmt(db, `SELECT max(rowid) AS top FROM (SELECT rowid FROM messages WHERE rowid > ${HIGH} ORDER BY rowid LIMIT ?)`);
  // Newest first = ascending search rowids: FTS5 flushes its pending terms into a new segment whenever a
  // transaction's rowids stop ascending (fts5_index.c, sqlite3Fts5IndexBeginWrite), so one per chunk.
  const add = stmt(db, `INSERT INTO messages_search (rowid, text) SELECT -rowid, text FROM messages WHERE rowid > ${HIGH} AND rowid <= ? AND text <> '' ORDER BY rowid DESC`);
  const mark = stmt(db, `UPDATE meta SET value = ? WHERE key = 'search_rowid'`);
  const bottom = stmt(db, `SELECT min(rowid) AS bottom FROM (SELECT rowid FROM messages WHERE rowid <= ${LOW} ORDER BY rowid DESC LIMIT ?)`);
  const addOlder = stmt(db, `INSERT INTO messages_search (rowid, text) SELECT -rowid, text FROM messages WHERE rowid >= ? AND rowid <= ${LOW} AND text <> '' ORDER BY rowid DESC`);
  const markLow = stmt(db, `UPDATE meta SET value = ? WHERE key = 'search_low'`);
  let done = 0;
  const chunks = (step: (n: number) => number): void => {
    while (done < max) {
      const n = transaction(db, () => step(Math.min(FTS_CHUNK, max - done)));
      if (n === 0) break;
      done += n;
    }
  };
  chunks((n) => {
    const top = (next.get(n) as { top: number | null }).top;
    if (top === null) return 0;
    const count = Number(add.run(top).changes);
    mark.run(top);
    return Math.max(count, 1);
  });
  const low = stmt(db, `SELECT ${LOW} AS low`);
  if (older && Number((low.get() as { low: number }).low) > 0) {
    chunks((n) => {
      const b = (bottom.get(n) as { bottom: number | null }).bottom;
      if (b === null) {
        markLow.run(0); // nothing left at or below it (pruned, or done)
        return 0;
      }
      const count = Number(addOlder.run(b).changes);
      markLow.run(b - 1);
      return Math.max(count, 1);
    });
  }
  return done;
}
