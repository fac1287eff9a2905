import { stmt } from './open.js';
import type { DatabaseSync } from './sqlite.js';
import { fromRow, IN_ROOM, MESSAGE_COLUMNS, MESSAGES_FROM } from './types.js';
import type { ArchivedMessage, MessageRow } from './types.js';

/**
 * Export: every archived message of a profile (optionally one room, optionally since a time) in time
 * order, read in pages of `PAGE` rows by keyset (time, rowid), so memory stays flat whatever the size
 * and no read transaction is held while the caller writes its output.
 */

/** What to export. `since` is ms since epoch (inclusive). */
export interface ExportQuery {
  profile: string;
  room?: string;
  since?: number;
}

const PAGE = 1000;

/** Yields the matching messages oldest first (deleted ones included, flagged, with no text). */
export function* exportMessages(db: DatabaseSync, q: ExportQuery): Generator<ArchivedMessage> {
  // One room: its `(chat, ts, id)` index range from the cursor on; a whole profile: its chats' ranges.
  const where = q.room !== undefined ? IN_ROOM : 'm.chat IN (SELECT chat FROM chats WHERE profile = ?)';
  const sql = `SELECT ${MESSAGE_COLUMNS}, m.rowid AS rid FROM ${MESSAGES_FROM} WHERE ${where}
    AND m.ts >= ? AND (m.ts > ? OR m.rowid > ?) ORDER BY m.ts, m.rowid LIMIT ${PAGE}`;
  let ts = (q.since ?? Number.MIN_SAFE_INTEGER) - 1;
  let rid = Number.MAX_SAFE_INTEGER;
  for (;;) {
    const args: (string | number)[] = [q.profile];
    if (q.room !== undefined) args.push(q.room);
    args.push(ts, ts, rid);
    const rows = stmt(db, sql).all(...args) as unknown as (MessageRow & { rid: number })[];
    for (const r of rows) yield fromRow(r);
    const last = rows[rows.length - 1];
    if (!last || rows.length < PAGE) return;
    ts = Number(last.ts);
    rid = Number(last.rid);
  }
}
