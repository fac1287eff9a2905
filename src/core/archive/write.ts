import { stmt, transaction } from './open.js';
import type { DatabaseSync } from './sqlite.js';
import type { ArchivedMessage } from './types.js';

/**
 * Writing messages, edits and deletes: one transaction for a whole batch (the writer collects events
 * and flushes them together; never one transaction per message).
 *
 * Dedupe: (profile, room, id) is unique. A second copy of a message (live + backfill, a restart's
 * history) updates the row only when it says something new, so an older copy never undoes an edit
 * (an unedited copy does not replace an edited text) and nothing brings a deleted message back.
 */

/** One change to write. Edits and deletes of a message the archive does not have are ignored. */
export type ArchiveOp =
  | { op: 'message'; msg: ArchivedMessage }
  | { op: 'edit'; profile: string; room: string; id: string; text: string }
  | { op: 'delete'; profile: string; room: string; id: string };

const UPSERT = `INSERT INTO messages (profile, room, id, author_id, author_name, text, ts, edited, deleted, kind)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?)
  ON CONFLICT (profile, room, id) DO UPDATE SET
    text = excluded.text, edited = excluded.edited, author_name = excluded.author_name
  WHERE messages.deleted = 0 AND excluded.edited >= messages.edited
    AND (messages.text IS NOT excluded.text OR messages.author_name IS NOT excluded.author_name)`;
const EDIT = `UPDATE messages SET text = ?, edited = 1 WHERE profile = ? AND room = ? AND id = ? AND deleted = 0`;
const DELETE = `UPDATE messages SET text = '', deleted = 1 WHERE profile = ? AND room = ? AND id = ? AND deleted = 0`;

/**
 * Writes `ops` in one `BEGIN IMMEDIATE` transaction: all or nothing. Throws what SQLite throws
 * (SQLITE_FULL, SQLITE_BUSY after the busy timeout, …); the caller keeps the batch to retry.
 */
export function writeBatch(db: DatabaseSync, ops: readonly ArchiveOp[]): void {
  if (ops.length === 0) return;
  const upsert = stmt(db, UPSERT);
  const edit = stmt(db, EDIT);
  const del = stmt(db, DELETE);
  transaction(db, () => {
    for (const o of ops) {
      if (o.op === 'message') {
        const m = o.msg;
        upsert.run(m.profile, m.room, m.id, m.author.id, m.author.name, m.text, m.ts, m.edited ? 1 : 0, m.kind === 'system' ? 1 : 0);
        if (m.deleted) del.run(m.profile, m.room, m.id);
      } else if (o.op === 'edit') {
        edit.run(o.text, o.profile, o.room, o.id);
      } else {
        del.run(o.profile, o.room, o.id);
      }
    }
  });
}
