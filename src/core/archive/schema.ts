import type { DatabaseSync } from './sqlite.js';

/**
 * The archive's schema, versioned by `PRAGMA user_version` (sqlite.org/pragma.html#pragma_user_version):
 * migration N takes a database at version N-1 to N, inside the caller's write transaction. A database
 * newer than this code (a downgrade) is never migrated down; the versions 1-3 of chat-tui cannot read
 * a version 4 archive (its messages are keyed by chat, below) and run without one, saying so in one line.
 *
 * Tables:
 * - `chats`: one row per (profile, room), its integer key `chat`. Rows are never deleted (pruning
 *   leaves them), so a key once read stays valid in every process (chats.ts caches them).
 * - `messages`: one row per (chat, id) — the dedupe key — with the author, the text (empty once
 *   deleted), server time `ts` in ms since epoch, `edited`/`deleted` flags and `kind` (0 normal,
 *   1 system). Index `(chat, ts, id)` serves "last N of a room", "before X" (scrollback) and pruning by
 *   age. Keyed by an integer instead of the two strings, each row and both its index entries are
 *   smaller and an insert compares less (schema v4).
 * - `messages_search` (schema v5; `messages_fts` before): FTS5 contentless index over `messages.text`
 *   (sqlite.org/fts5.html §4.4.1), so the text is stored once, under the rowid `-messages.rowid`: the
 *   newest message has the smallest search rowid, so "newest first" is FTS5's forward walk (see v5).
 *   Built behind the writes (fts.ts) for the `messages.rowid` range (`meta.search_low`,
 *   `meta.search_rowid`], and kept in step for the rows in it by the update/delete triggers.
 * - `outbox`: queued/failed sends (see outbox.ts) with their claim (owner + lease), `seq` = send order.
 * - `outbox_imported`: transaction ids imported from the JSON outbox of older versions, so an import is
 *   never repeated (a second process racing the first, or a crash between commit and unlink).
 */

/**
 * The search index's update/delete triggers since version 2: rows at or below `meta.fts_rowid` (those
 * already indexed, fts.ts) keep their index entries in step with edits and deletes.
 */
const FTS_TRIGGERS = `
  CREATE TRIGGER messages_ad AFTER DELETE ON messages
  WHEN old.rowid <= (SELECT value FROM meta WHERE key = 'fts_rowid') BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  END;
  CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages
  WHEN old.rowid <= (SELECT value FROM meta WHERE key = 'fts_rowid') BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
`;

/**
 * The search index's update/delete triggers since version 5: as {@link FTS_TRIGGERS}, on
 * `messages_search` under the rowid `-messages.rowid`, for the rows indexed: above `meta.search_low`
 * and at or below `meta.search_rowid` (fts.ts). A contentless table deletes by the 'delete' command
 * with the indexed text (sqlite.org/fts5.html §4.4.1), as the external-content one did.
 */
const SEARCH_TRIGGERS = `
  CREATE TRIGGER messages_ad AFTER DELETE ON messages
  WHEN old.rowid <= (SELECT value FROM meta WHERE key = 'search_rowid') AND old.rowid > (SELECT value FROM meta WHERE key = 'search_low') BEGIN
    INSERT INTO messages_search (messages_search, rowid, text) VALUES ('delete', -old.rowid, old.text);
  END;
  CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages
  WHEN old.rowid <= (SELECT value FROM meta WHERE key = 'search_rowid') AND old.rowid > (SELECT value FROM meta WHERE key = 'search_low') BEGIN
    INSERT INTO messages_search (messages_search, rowid, text) VALUES ('delete', -old.rowid, old.text);
    INSERT INTO messages_search (rowid, text) VALUES (-new.rowid, new.text);
  END;
`;

/** Migrations; index i takes version i to i + 1. */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE messages (
    rowid INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    room TEXT NOT NULL,
    id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    text TEXT NOT NULL,
    ts INTEGER NOT NULL,
    edited INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    kind INTEGER NOT NULL DEFAULT 0
  );
  CREATE UNIQUE INDEX messages_key ON messages (profile, room, id);
  CREATE INDEX messages_room_ts ON messages (profile, room, ts, id);
  CREATE INDEX messages_ts ON messages (ts);
  CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text, content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2'
  );
  CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
  CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
  END;
  CREATE TRIGGER messages_au AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.rowid, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.rowid, new.text);
  END;
  CREATE TABLE outbox (
    txn_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL,
    profile TEXT NOT NULL,
    room TEXT NOT NULL,
    text TEXT NOT NULL,
    time TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'failed')),
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    rate_limited INTEGER NOT NULL DEFAULT 0,
    author_id TEXT,
    author_name TEXT,
    owner TEXT,
    lease_until INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX outbox_seq ON outbox (profile, seq);
  CREATE TABLE outbox_imported (txn_id TEXT PRIMARY KEY);
  `,
  // 2: the search index is built behind the writes (fts.ts): no insert trigger; edits and deletes of
  // rows already indexed keep it in step; `meta.fts_rowid` = the highest rowid indexed. Pruning by age
  // goes room by room on messages_room_ts, so the extra ts index goes (one B-tree less per insert).
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
  INSERT INTO meta (key, value) SELECT 'fts_rowid', coalesce(max(rowid), 0) FROM messages;
  DROP TRIGGER messages_ai;
  DROP TRIGGER messages_ad;
  DROP TRIGGER messages_au;
  DROP INDEX messages_ts;
  ${FTS_TRIGGERS}
  `,
  // 3: the search index gets prefix indexes of 2 and 3 characters (sqlite.org/fts5.html §4.2), so a
  // short prefix (`/search de`) reads one doclist newest first instead of merging every term it
  // matches (measured over 1M messages: 20-75 ms → under 1 ms). Rebuilt behind the writes from rowid 0.
  `
  DROP TRIGGER messages_ad;
  DROP TRIGGER messages_au;
  DROP TABLE messages_fts;
  CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text, content = 'messages', content_rowid = 'rowid', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
  );
  UPDATE meta SET value = 0 WHERE key = 'fts_rowid';
  ${FTS_TRIGGERS}
  `,
  // 4: messages are keyed by an integer chat (the new `chats` table) instead of (profile, room): the
  // table is rebuilt with the same rowids, so the search index (external content by rowid) stays valid.
  `
  CREATE TABLE chats (
    chat INTEGER PRIMARY KEY,
    profile TEXT NOT NULL,
    room TEXT NOT NULL,
    UNIQUE (profile, room)
  );
  INSERT INTO chats (profile, room) SELECT DISTINCT profile, room FROM messages ORDER BY profile, room;
  DROP TRIGGER messages_ad;
  DROP TRIGGER messages_au;
  CREATE TABLE messages_v4 (
    rowid INTEGER PRIMARY KEY,
    chat INTEGER NOT NULL,
    id TEXT NOT NULL,
    author_id TEXT NOT NULL,
    author_name TEXT NOT NULL,
    text TEXT NOT NULL,
    ts INTEGER NOT NULL,
    edited INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    kind INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO messages_v4 (rowid, chat, id, author_id, author_name, text, ts, edited, deleted, kind)
    SELECT m.rowid, c.chat, m.id, m.author_id, m.author_name, m.text, m.ts, m.edited, m.deleted, m.kind
    FROM messages m JOIN chats c ON c.profile = m.profile AND c.room = m.room ORDER BY m.rowid;
  DROP TABLE messages;
  ALTER TABLE messages_v4 RENAME TO messages;
  CREATE UNIQUE INDEX messages_key ON messages (chat, id);
  CREATE INDEX messages_chat_ts ON messages (chat, ts, id);
  ${FTS_TRIGGERS}
  `,
  // 5: the search index is keyed by -messages.rowid. FTS5 walks a doclist backwards (ORDER BY rowid
  // DESC) at about twice the cost of forwards: each leaf page is parsed to find its rowids in reverse
  // (fts5_index.c, fts5SegIterReverseInitPage), and a word AND another one seeks the second word's
  // doclist once per hit of the first. Measured over 1M messages: a rare word AND a common one, newest
  // 50 hits, 2.5-2.8 ms DESC → 1.4-1.6 ms forwards; a common word 0.27 → 0.08 ms. Contentless
  // (content = ''), since the index's rowids are no longer the content's; nothing reads text through it.
  // Leaves of 1000 bytes instead of 4050 (the 'pgsz' option, sqlite.org/fts5.html): a seek into a common
  // word's doclist scans a leaf from its start, so smaller leaves make the rare-AND-common walk cheaper
  // (1M messages, p99 of 300 searches: 2.3 → 1.7 ms; 500 bytes: 1.6 ms but a 6 % larger file).
  // The new name and meta key leave an older chat-tui on this file archiving, with its search failing
  // in one line ("no such table") instead of writing rowids of the old sign into this index. Rebuilt
  // behind the writes newest first (`search_low` from the last rowid down to 0, fts.ts): the TUI's
  // search does not wait for it.
  `
  DROP TRIGGER messages_ad;
  DROP TRIGGER messages_au;
  DROP TABLE messages_fts;
  DELETE FROM meta WHERE key = 'fts_rowid';
  CREATE VIRTUAL TABLE messages_search USING fts5 (
    text, content = '', tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3'
  );
  INSERT INTO messages_search (messages_search, rank) VALUES ('pgsz', 1000);
  INSERT INTO meta (key, value) SELECT 'search_rowid', coalesce(max(rowid), 0) FROM messages;
  INSERT INTO meta (key, value) SELECT 'search_low', coalesce(max(rowid), 0) FROM messages;
  ${SEARCH_TRIGGERS}
  `,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings `db` to version `target` (default {@link SCHEMA_VERSION}; tests build older versions) in one
 * `BEGIN IMMEDIATE` transaction (a second process waits on the busy timeout, then sees the migrated
 * version and does nothing). Returns the version found before. Throws what SQLite throws (the caller
 * maps it to an ArchiveError).
 */
export function migrate(db: DatabaseSync, target: number = SCHEMA_VERSION): number {
  const read = (): number => Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  const before = read();
  if (before >= target) return before;
  db.exec('BEGIN IMMEDIATE');
  try {
    const now = read();
    for (let v = now; v < target; v++) db.exec(MIGRATIONS[v] as string);
    if (now < target) db.exec(`PRAGMA user_version = ${target}`);
    db.exec('COMMIT');
  } catch (err) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // the transaction is already gone
    }
    throw err;
  }
  return before;
}
