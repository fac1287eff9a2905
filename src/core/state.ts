import type { Capabilities } from './connector.js';
import type { ConnectionState, UserRef } from './events.js';

/**
 * The shapes the session store holds and the UI reads. The store (src/core/store/)
 * knows no protocol. Keys: a room is addressed by `roomKey(profile, room)`.
 */

/** `profile` + NUL + `room`: unique across profiles. */
export function roomKey(profile: string, room: string): string {
  return `${profile}\u0000${room}`;
}

/** Splits a room key back into profile and room id. */
export function splitRoomKey(key: string): { profile: string; room: string } {
  const i = key.indexOf('\u0000');
  return i < 0 ? { profile: '', room: key } : { profile: key.slice(0, i), room: key.slice(i + 1) };
}

/** Delivery state of a message: `sent` (the server has it), `pending` (local echo, outbox), `failed` (kept, retryable). */
export type DeliveryStatus = 'sent' | 'pending' | 'failed';

/**
 * A message as stored. `ts` is its time (ms since epoch; the event's ISO `time` is not kept: nothing
 * reads it back, and at ~48 bytes a message it was ~5 MB of the 100k-message store, bench
 * `rss_100k_mb`). `rev` increases on every change (edit, delete, confirm) for render caches.
 */
export interface StoredMessage {
  /** Server id; `local:<txnId>` while only a local echo exists. */
  id: string;
  room: string;
  author: UserRef;
  text: string;
  /** ms since epoch: the event's time (or ours when it had none or a bad one); orders the room. */
  ts: number;
  edited: boolean;
  deleted: boolean;
  status: DeliveryStatus;
  /** Why a send failed (one line). */
  error?: string;
  txnId?: string;
  /** Mentions us (our id/name in text, or the service's mention list). */
  mention: boolean;
  /** `system`: follows/subscriptions/notices rendered dimmed; `gap`: a "messages may be missing" marker. */
  kind: 'normal' | 'system' | 'gap';
  rev: number;
  /** Shown from the local archive; cleared when the server's copy of the message arrives. */
  archived?: true;
}

/** Someone typing, until `until` (ms since epoch) unless refreshed. */
export interface TypingUser {
  user: UserRef;
  until: number;
}

/** One room of one profile. `messages` is sorted by (ts, id) and unique by id. */
export interface RoomState {
  key: string;
  profile: string;
  id: string;
  name: string;
  topic?: string;
  live?: boolean;
  members: UserRef[];
  /** undefined when the service has no presence. */
  online: UserRef[] | undefined;
  typing: TypingUser[];
  messages: StoredMessage[];
  unread: number;
  mentions: number;
  /** Index into `messages` of the first unread message when the room was last left, or -1. */
  firstUnread: number;
  /** Older history is being fetched / there is (maybe) more on the server. */
  loadingHistory: boolean;
  hasMoreHistory: boolean;
  /** Increases on every change to this room (messages, typing, presence, counters). */
  version: number;
}

/** One profile's connection. `retryAt` ms since epoch while reconnecting. */
export interface ProfileState {
  name: string;
  service: string;
  state: ConnectionState;
  reason?: string;
  retryAt?: number;
  capabilities: Capabilities;
  me?: UserRef;
}

/** A line for the status/notice area (errors, notices). `time` ms since epoch. */
export interface NoticeLine {
  id: number;
  time: number;
  profile: string;
  room?: string;
  level: 'info' | 'error';
  text: string;
}
