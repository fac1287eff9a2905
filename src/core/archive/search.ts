import { stmt } from './open.js';
import { messagesAfter, messagesBefore } from './read.js';
import type { DatabaseSync } from './sqlite.js';
import { fromRow, MESSAGE_COLUMNS } from './types.js';
import type { ArchivedMessage, MessageRow } from './types.js';

/**
 * Full-text search over the archive with FTS5 (sqlite.org/fts5.html). The user's words are matched as
 * words (each quoted, so `"`, `*`, `-`, `AND`, `NEAR` … typed by a user are just text), all of them
 * must occur, and the last one also matches as a prefix from 2 characters on (typing `/search depl`
 * finds "deploy").
 *
 * Orders:
 * - `newest` (default): FTS5 walks the index forwards by its rowid `-messages.rowid` (schema.ts v5),
 *   newest row first, and stops at `limit`, so the cost follows `limit`, not the archive's size
 *   (rowids grow with arrival; backfill of older messages arrives later, so results are re-sorted by
 *   time before they are returned). A last word of 2 or 3 letters or digits is looked up as a prefix
 *   at once: prefixes of 2 and 3 characters have their own index (schema.ts v3), one doclist as cheap
 *   as a word's. A longer last word is looked up as a whole word first, and only when that gives fewer
 *   than `limit` hits as a prefix too: such a prefix merges the terms it matches (cheap for the rare
 *   words a long prefix leaves, but a second walk that whole words often make unnecessary);
 * - `rank`: bm25 relevance (FTS5's `rank`), which scores every match: slower for common words.
 */

/** What to search. */
export interface SearchQuery {
  text: string;
  profile?: string;
  room?: string;
  order?: 'newest' | 'rank';
  /** Most hits to return (default 50). */
  limit?: number;
  /** Messages of the room before and after each hit to return with it (default 0). */
  context?: number;
  /**
   * Whether to index the rest of a search index rebuild first (fts.ts; default true: `chat-tui search`).
   * The TUI passes false: it searches what is indexed (the newest messages come first) and says how
   * many older ones are left, instead of freezing until the rebuild is done.
   */
  waitForRebuild?: boolean;
}

/** One hit, with the messages around it in its room when `context` was asked for. */
export interface SearchHit {
  message: ArchivedMessage;
  before: ArchivedMessage[];
  after: ArchivedMessage[];
}

/**
 * The FTS5 query for what a user typed: each word as a quoted string, the last one with `*` when
 * `prefix` and its last token (letters/digits, as unicode61 splits it) has 2 characters or more.
 * Returns undefined when there is no word to look for.
 */
export function ftsQuery(text: string, prefix = true): string | undefined {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  if (words.length === 0) return undefined;
  const star = prefix && [...(lastToken(words.at(-1) ?? '') ?? '')].length >= 2;
  return words.map((w, i) => `"${w.replaceAll('"', '""')}"${star && i === words.length - 1 ? '*' : ''}`).join(' ');
}

/**
 * The last token of a word as the index's tokenizer (unicode61) cuts it: the last run of letters and
 * digits (in code points). A 1-character prefix has no prefix index (schema.ts v3: '2 3'), so FTS5
 * would merge the doclists of every term starting with it — over 1M messages `/search deploy s` took
 * 1.2 s. A 1-character last word is therefore matched as a whole word ("a", "I", "5").
 */
function lastToken(word: string): string | undefined {
  return word.match(/[\p{L}\p{N}]+/gu)?.at(-1);
}

/**
 * A last word the search index holds as a prefix of its own (schema.ts v3, `prefix = '2 3'`: 2 or 3
 * characters): one token of 2-3 letters or digits (a word with punctuation is several tokens, and a
 * 1-character word is not a prefix at all, see lastToken).
 */
const PREFIX_INDEXED_WORD = /^[\p{L}\p{N}]{2,3}$/u;

/**
 * Searches the archive. Returns hits newest first (`newest`) or best first (`rank`); deleted messages
 * are never found (their text is gone). Throws what SQLite throws (the caller maps it).
 */
export function searchMessages(db: DatabaseSync, q: SearchQuery): SearchHit[] {
  const limit = Math.max(1, Math.min(q.limit ?? 50, 10_000));
  // Newest first: the words as whole words first (FTS5 stops after `limit`); only when that is not
  // enough, the last word as a prefix too (a prefix longer than the prefix indexes merges the terms).
  // A last word of 2-3 characters is a prefix at once: its prefix index makes that one walk, not two.
  let msgs: ArchivedMessage[] = [];
  const exact = ftsQuery(q.text, false);
  if (exact === undefined) return [];
  const withPrefix = ftsQuery(q.text) ?? '';
  const exactFirst = q.order !== 'rank' && !PREFIX_INDEXED_WORD.test(q.text.trim().split(/\s+/).at(-1) ?? '');
  if (exactFirst) msgs = matching(db, q, exact, limit);
  // A 1-character last word is no prefix (ftsQuery): then the whole-word walk was the only one.
  if (msgs.length < limit && !(exactFirst && withPrefix === exact)) {
    const seen = new Set(msgs.map((m) => `${m.profile}\u0000${m.room}\u0000${m.id}`));
    for (const m of matching(db, q, withPrefix, limit)) {
      if (msgs.length >= limit) break;
      if (!seen.has(`${m.profile}\u0000${m.room}\u0000${m.id}`)) msgs.push(m);
    }
  }
  if (q.order !== 'rank') msgs.sort((a, b) => b.ts - a.ts || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  const n = Math.max(0, Math.min(q.context ?? 0, 50));
  return msgs.map((message) => ({
    message,
    before: n ? messagesBefore(db, message.profile, message.room, message, n) : [],
    after: n ? messagesAfter(db, message.profile, message.room, message, n) : [],
  }));
}

/** Up to `limit` messages matching the FTS5 query `match` (and the query's profile/room), in the query's order. */
function matching(db: DatabaseSync, q: SearchQuery, match: string, limit: number): ArchivedMessage[] {
  if (!match) return [];
  const where = ['messages_search MATCH ?'];
  const args: (string | number)[] = [match];
  if (q.profile !== undefined || q.room !== undefined) {
    const chat: string[] = [];
    if (q.profile !== undefined) {
      chat.push('profile = ?');
      args.push(q.profile);
    }
    if (q.room !== undefined) {
      chat.push('room = ?');
      args.push(q.room);
    }
    where.push(`m.chat IN (SELECT chat FROM chats WHERE ${chat.join(' AND ')})`);
  }
  const order = q.order === 'rank' ? 's.rank' : 's.rowid';
  const sql = `SELECT ${MESSAGE_COLUMNS} FROM messages_search s JOIN messages m ON m.rowid = -s.rowid JOIN chats c ON c.chat = m.chat
    WHERE ${where.join(' AND ')} AND m.deleted = 0 ORDER BY ${order} LIMIT ?`;
  args.push(limit);
  return (stmt(db, sql).all(...args) as unknown as MessageRow[]).map(fromRow);
}
