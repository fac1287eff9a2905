import type { MessageEvent, UserRef } from '../../core/events.js';
import { sanitize, sanitizeLine } from '../../core/sanitize.js';
import { toIsoUtc } from '../../core/time.js';
import { jwtClaims } from '../jwt.js';

/**
 * Wire formats of the rooms service (the Tibi API server), pure functions only (no I/O).
 * Sources: ../shared/protocols/rooms.seed.md ("Doc A") and rooms.facts.md (the real server, Part A).
 * Where the two disagree, every parser here accepts both shapes (facts A7).
 */

/** Largest inbound frame, and largest message text, we render, in bytes (oversized input is bounded). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Largest `/chat/retrieve` body we read, in bytes: the endpoint has no limit (facts A5), so it can be big. */
export const MAX_RETRIEVE_BYTES = 64 * 1024 * 1024;

/** Largest i32: message and room ids are `serial`/i32 on the server (facts A4.2, A5). */
export const I32_MAX = 2 ** 31 - 1;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What one socket frame is (facts A4, A7: classify by fields, ignore `type`). */
export type Frame =
  | { kind: 'message'; raw: Record<string, unknown> }
  | { kind: 'connected' }
  | { kind: 'error'; code: string; text: string }
  | { kind: 'other' };

/**
 * Classifies one parsed socket frame (facts A7):
 * - any frame whose `message` is an object is a chat message, whatever `type` says
 *   (real: `{"type":"message","message":{…}}`, doc: `{"message":{…}}`);
 * - `{error, error_code}` is an error (the auth refusal, facts A4.1);
 * - any frame whose `status` is `"CONNECTED"` is the go-ahead (real: with `"type":"status"`, doc: without);
 * - anything else is `other` (ignored by the caller).
 * Never throws.
 */
export function classifyFrame(value: unknown): Frame {
  if (!isObject(value)) return { kind: 'other' };
  if (isObject(value.message)) return { kind: 'message', raw: value.message };
  const err = asErrorBody(value);
  if (err) return { kind: 'error', code: err.code, text: err.text };
  if (value.status === 'CONNECTED') return { kind: 'connected' };
  return { kind: 'other' };
}

/** An `{error, error_code}` body (facts A2): code (sanitised, "" when absent) and human text (sanitised, one line). */
export interface ErrorBody {
  code: string;
  text: string;
}

/** The `{error, error_code}` of a body, or undefined when `value` is not one. Either field alone is enough. */
export function asErrorBody(value: unknown): ErrorBody | undefined {
  if (!isObject(value)) return undefined;
  const hasCode = typeof value.error_code === 'string';
  const hasText = typeof value.error === 'string';
  if (!hasCode && !hasText) return undefined;
  return {
    code: hasCode ? sanitizeLine(value.error_code).slice(0, 60) : '',
    text: hasText ? sanitizeLine(value.error).slice(0, 300) : '',
  };
}

/** A message id as the server's i32 (number, or a numeric string from a lenient server); undefined otherwise. */
export function numericId(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\s*-?\d{1,10}\s*$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A room id as the canonical string the client uses: the server sends a string holding an i32 (facts A4.3); a number is accepted. */
export function roomIdString(v: unknown): string | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && v.trim() !== '' && v.length <= 64) {
    const t = v.trim();
    return /^[+-]?\d+$/.test(t) ? String(Number(t)) : sanitizeLine(t);
  }
  return undefined;
}

/** True for a room id the server can take in a send frame or room_info: a string holding an i32 (facts A4.2, A5). */
export function isRoomNumber(room: string): boolean {
  return /^-?\d{1,10}$/.test(room) && Math.abs(Number(room)) <= I32_MAX;
}

/** A chat message as the server sends it, read leniently, before it becomes a MessageEvent. */
export interface WireMessage {
  /** Numeric id (i32), for ordering and for `/chat/retrieve {"after"}`. */
  n: number;
  /** Room id, canonical string. */
  room: string;
  /** Poster's user id, raw (not sanitised: compared with our id), '' when missing. */
  poster: string;
  /** The text exactly as sent (not sanitised: compared with what we sent, for the echo). */
  text: string;
  /** Unix seconds (or whatever the server sent; `toIsoUtc` reads it). */
  timestamp: unknown;
  /** The text (or the whole object) is over MAX_FRAME_BYTES: count it, do not render it. */
  oversized: boolean;
}

/**
 * Reads one message object `{id, poster, room, message, timestamp}` (facts A4.3; doc: same fields).
 * `id` must be an integer (or numeric string): without one a message cannot be ordered, deduped or
 * caught up, so the object is refused (undefined). `room` is required (a string, or a number).
 * A non-string `message` becomes '' (a malformed row; still counted). Never throws.
 */
export function readMessage(raw: unknown): WireMessage | undefined {
  if (!isObject(raw)) return undefined;
  const n = numericId(raw.id);
  const room = roomIdString(raw.room);
  if (n === undefined || room === undefined) return undefined;
  const poster = typeof raw.poster === 'string' ? raw.poster : typeof raw.poster === 'number' ? String(raw.poster) : '';
  const text = typeof raw.message === 'string' ? raw.message : '';
  const oversized = text.length > MAX_FRAME_BYTES / 2 && Buffer.byteLength(text, 'utf8') > MAX_FRAME_BYTES;
  return { n, room, poster, text, timestamp: raw.timestamp, oversized };
}

/**
 * Turns a WireMessage into a MessageEvent (without `profile`): id as a string, room, author from
 * `nameOf(poster)`, text sanitised, time from unix seconds to ISO UTC (core `toIsoUtc`; now when missing).
 */
export function toMessageEvent(m: WireMessage, author: UserRef): Omit<MessageEvent, 'profile'> {
  return {
    type: 'message',
    room: m.room,
    id: String(m.n),
    author,
    text: sanitize(m.text),
    time: toIsoUtc(m.timestamp),
  };
}

/**
 * The message list of a `/chat/retrieve` answer, in either shape (facts A5, A7):
 * real `{"messages":[…]}`, doc `{"room_name":…, "occupants":[…]}` (the doc's list of messages under
 * `occupants`), or a bare array. Returns undefined when the body is none of these.
 */
export function retrieveList(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (!isObject(body)) return undefined;
  if (Array.isArray(body.messages)) return body.messages;
  if (Array.isArray(body.occupants)) return body.occupants;
  return undefined;
}

/**
 * Reads a `/chat/retrieve` list: drops items that are not messages (counted in `malformed`), sorts by id
 * (the server has no ORDER BY, facts A5) and drops repeated ids.
 */
export function readRetrieve(list: unknown[]): { messages: WireMessage[]; malformed: number } {
  const byId = new Map<number, WireMessage>();
  let malformed = 0;
  for (const item of list) {
    const m = readMessage(item);
    if (!m) malformed++;
    else if (!byId.has(m.n)) byId.set(m.n, m);
  }
  return { messages: [...byId.values()].sort((a, b) => a.n - b.n), malformed };
}

/** A `/chat/room_info` answer (facts A5): the name (null for DMs) and the occupants' user ids (raw). */
export interface RoomInfoBody {
  name: string | null;
  occupants: string[];
}

/** Reads `{"room_name": string|null, "occupants": [user id, …]}`; undefined when it is not that shape. */
export function readRoomInfo(body: unknown): RoomInfoBody | undefined {
  if (!isObject(body)) return undefined;
  const name = typeof body.room_name === 'string' ? body.room_name : null;
  const occupants = Array.isArray(body.occupants)
    ? body.occupants.flatMap((o) => (typeof o === 'string' ? [o] : typeof o === 'number' ? [String(o)] : [])).slice(0, 10_000)
    : undefined;
  if (!occupants && !('room_name' in body)) return undefined;
  return { name, occupants: occupants ?? [] };
}

/** The user of `/user/info` (facts A3): `{"user":{"id","given_name","full_name","username","email","department"}}`. */
export interface UserInfo {
  id: string;
  givenName?: string;
  fullName?: string;
  username?: string;
}

/** Reads `/user/info` (the `user` wrapper is optional); undefined without a string `id`. Names sanitised. */
export function readUserInfo(body: unknown): UserInfo | undefined {
  const user = isObject(body) && isObject(body.user) ? body.user : body;
  if (!isObject(user)) return undefined;
  const id = typeof user.id === 'string' && user.id !== '' ? user.id : typeof user.id === 'number' ? String(user.id) : undefined;
  if (id === undefined) return undefined;
  const out: UserInfo = { id };
  const pick = (v: unknown): string | undefined => (typeof v === 'string' && sanitizeLine(v).trim() ? sanitizeLine(v).trim().slice(0, 200) : undefined);
  const given = pick(user.given_name);
  const full = pick(user.full_name);
  const username = pick(user.username);
  if (given !== undefined) out.givenName = given;
  if (full !== undefined) out.fullName = full;
  if (username !== undefined) out.username = username;
  return out;
}

/**
 * The claims of a Tibi token (facts A3: HS256 JWT `{"expires": unix seconds, "id": user id}`), read
 * without verifying (only the server can). Undefined when the token is not such a JWT (a fake server
 * may hand out any opaque string).
 */
export function readTokenClaims(token: string | undefined): { id?: string; expires?: number } | undefined {
  const claims = jwtClaims(token);
  if (!claims) return undefined;
  const out: { id?: string; expires?: number } = {};
  if (typeof claims.id === 'string' && claims.id !== '') out.id = claims.id;
  if (typeof claims.expires === 'number' && Number.isFinite(claims.expires)) out.expires = claims.expires;
  return out;
}

/**
 * The send frame (facts A4.2, A7): `{"room": "<id as string>", "message": text, "messages": text}`.
 * Both text keys on purpose: the real server reads `message` (a frame with only `messages` fails to
 * parse and is silently dropped), while Doc A and fakes written from it read `messages`; each ignores
 * the key it does not know. `room` must be a JSON string: a number fails to parse on the real server.
 */
export function sendFrame(room: string, text: string): string {
  return JSON.stringify({ room: String(room), message: text, messages: text });
}

/** The auth frame, the first frame on the socket (facts A4.1; Doc A): `{"auth_token": token}`. */
export function authFrame(token: string): string {
  return JSON.stringify({ auth_token: token });
}

/**
 * A readable name for a room with no name (a DM: create_dm makes unnamed rooms, facts A5): the other
 * occupants' display names, "a, b, c +2" beyond three; `room <id>` when we are alone or they are unknown.
 */
export function fallbackRoomName(room: string, others: UserRef[]): string {
  if (!others.length) return `room ${room}`;
  const names = others.slice(0, 3).map((u) => u.name || u.id);
  return others.length > 3 ? `${names.join(', ')} +${others.length - 3}` : names.join(', ');
}
