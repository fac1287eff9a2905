import type { UserRef } from '../events.js';

/**
 * A message as the archive keeps it: the dedupe key (profile, room, id), the author, the text ('' once
 * deleted), the server time `ts` in ms since epoch, and the edited/deleted flags. `kind` 'system' marks
 * service notices (follows, subscriptions) as the store does.
 */
export interface ArchivedMessage {
  profile: string;
  room: string;
  id: string;
  author: UserRef;
  text: string;
  /** Server time, ms since epoch (UTC). */
  ts: number;
  edited: boolean;
  deleted: boolean;
  kind: 'normal' | 'system';
}

/** Row shape of `messages` as SQLite returns it. */
export interface MessageRow {
  profile: string;
  room: string;
  id: string;
  author_id: string;
  author_name: string;
  text: string;
  ts: number;
  edited: number;
  deleted: number;
  kind: number;
}

/** Columns selected for a {@link MessageRow} from {@link MESSAGES_FROM} (`m` the message, `c` its chat). */
export const MESSAGE_COLUMNS = 'c.profile, c.room, m.id, m.author_id, m.author_name, m.text, m.ts, m.edited, m.deleted, m.kind';

/** The FROM clause for {@link MESSAGE_COLUMNS}: messages with their chat's profile and room (schema.ts v4). */
export const MESSAGES_FROM = 'messages m JOIN chats c ON c.chat = m.chat';

/** The condition "message `m` is in the room (profile = ?, room = ?)", on the `(chat, ts, id)` index. */
export const IN_ROOM = 'm.chat = (SELECT chat FROM chats WHERE profile = ? AND room = ?)';

/** A row of `messages` as an {@link ArchivedMessage}. */
export function fromRow(r: MessageRow): ArchivedMessage {
  return {
    profile: r.profile,
    room: r.room,
    id: r.id,
    author: { id: r.author_id, name: r.author_name },
    text: r.text,
    ts: Number(r.ts),
    edited: r.edited !== 0,
    deleted: r.deleted !== 0,
    kind: r.kind === 1 ? 'system' : 'normal',
  };
}
