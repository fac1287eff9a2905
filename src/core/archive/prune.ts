import { stmt, transaction } from './open.js';
import type { DatabaseSync } from './sqlite.js';

/**
 * Pruning: messages older than `maxAgeDays` go (chat by chat, on the `(chat, ts, id)` index; the `chats` rows stay), then
 * the earliest archived beyond `maxMessages` (counted over the whole archive, by rowid = arrival order).
 * Deleted in chunks of `CHUNK` rows, one transaction each, so another process's writer never waits long
 * for the lock. The search index follows through the delete trigger.
 */

/** Limits; 0 or undefined = no limit of that kind. */
export interface PruneLimits {
  maxAgeDays?: number;
  maxMessages?: number;
}

const CHUNK = 5000;
const DAY_MS = 86_400_000;

/** Deletes what is over the limits; returns how many messages went. `now` is ms since epoch. Throws what SQLite throws. */
export function pruneMessages(db: DatabaseSync, limits: PruneLimits, now: number = Date.now()): number {
  let removed = 0;
  if (limits.maxAgeDays && limits.maxAgeDays > 0) {
    const cutoff = now - limits.maxAgeDays * DAY_MS;
    const chats = stmt(db, 'SELECT chat FROM chats').all() as { chat: number }[];
    const del = stmt(db, `DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages WHERE chat = ? AND ts < ? LIMIT ${CHUNK})`);
    for (const r of chats) {
      for (;;) {
        const n = Number(transaction(db, () => del.run(r.chat, cutoff)).changes);
        removed += n;
        if (n < CHUNK) break;
      }
    }
  }
  if (limits.maxMessages && limits.maxMessages > 0) {
    const count = Number((stmt(db, 'SELECT count(*) AS n FROM messages').get() as { n: number }).n);
    let excess = count - limits.maxMessages;
    const del = stmt(db, `DELETE FROM messages WHERE rowid IN (SELECT rowid FROM messages ORDER BY rowid LIMIT ?)`);
    while (excess > 0) {
      const n = Number(transaction(db, () => del.run(Math.min(excess, CHUNK))).changes);
      if (n === 0) break;
      removed += n;
      excess -= n;
    }
  }
  return removed;
}
