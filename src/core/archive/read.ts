import { stmt } from './open.js';
import type { DatabaseSync } from './sqlite.js';
import { fromRow, IN_ROOM, MESSAGE_COLUMNS, MESSAGES_FROM } from './types.js';
import type { ArchivedMessage, MessageRow } from './types.js';

/**
 * Readers for the TUI: the last messages of a room (the first frame after a start) and the messages
 * before a point (scrollback past what is in memory). Both walk the `(chat, ts, id)` index
 * backwards, so their cost depends on `limit`, not on the archive's size. Results are oldest first.
 * Deleted messages come back too (flag `deleted`, empty text), as the store shows a placeholder.
 */

/** Where scrollback stopped: the oldest message shown, by server time (ms) and id. */
export interface Cursor {
  ts: number;
  id: string;
}

const LAST = `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_FROM} WHERE ${IN_ROOM}
  ORDER BY m.ts DESC, m.id DESC LIMIT ?`;
const BEFORE = `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_FROM} WHERE ${IN_ROOM}
  AND (m.ts < ? OR (m.ts = ? AND m.id < ?)) ORDER BY m.ts DESC, m.id DESC LIMIT ?`;
const AFTER = `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGES_FROM} WHERE ${IN_ROOM}
  AND (m.ts > ? OR (m.ts = ? AND m.id > ?)) ORDER BY m.ts ASC, m.id ASC LIMIT ?`;
const ROOMS = `SELECT room FROM chats c WHERE profile = ? AND EXISTS (SELECT 1 FROM messages m WHERE m.chat = c.chat)`;

/** The newest `limit` messages of a room, oldest first. */
export function lastMessages(db: DatabaseSync, profile: string, room: string, limit: number): ArchivedMessage[] {
  const rows = stmt(db, LAST).all(profile, room, limit) as unknown as MessageRow[];
  return rows.reverse().map(fromRow);
}

/** Up to `limit` messages of a room older than `before` (by time, then id), oldest first. */
export function messagesBefore(db: DatabaseSync, profile: string, room: string, before: Cursor, limit: number): ArchivedMessage[] {
  const rows = stmt(db, BEFORE).all(profile, room, before.ts, before.ts, before.id, limit) as unknown as MessageRow[];
  return rows.reverse().map(fromRow);
}

/** Up to `limit` messages of a room newer than `after`, oldest first (a search hit's context). */
export function messagesAfter(db: DatabaseSync, profile: string, room: string, after: Cursor, limit: number): ArchivedMessage[] {
  const rows = stmt(db, AFTER).all(profile, room, after.ts, after.ts, after.id, limit) as unknown as MessageRow[];
  return rows.map(fromRow);
}

/** Room ids of a profile that have archived messages (unordered). */
export function archivedRooms(db: DatabaseSync, profile: string): string[] {
  return (stmt(db, ROOMS).all(profile) as { room: string }[]).map((r) => r.room);
}
