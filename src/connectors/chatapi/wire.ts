import type { RoomInfo } from '../../core/connector.js';
import { ChatError } from '../../core/errors.js';
import type { MessageEvent, UserRef } from '../../core/events.js';
import { sanitize, sanitizeLine } from '../../core/sanitize.js';
import { toIsoUtc } from '../../core/time.js';

/**
 * The chatapi wire format of "Doc B" (../shared/protocols/chatapi.seed.md) and the REST shapes of its
 * sibling docs (chatapi.facts.md §B2), plus the field names of the real Python server (facts §B3, §B4 and
 * "Everywhere Doc B disagrees" 6) where accepting both costs nothing. Every function here is total: remote
 * input of any shape gives a value or `undefined`, never a throw (remote input is hostile).
 * Every string that leaves this module is sanitised (src/core/sanitize.ts).
 */

/** Frames (and REST message texts) larger than this are dropped with a notice (1 MiB). */
export const MAX_FRAME_BYTES = 1024 * 1024;
/** Longest id / name we keep (longer ones are cut). */
const MAX_ID = 200;
const MAX_NAME = 200;

/** A JSON object (not an array, not null). */
export type Obj = Record<string, unknown>;

/** `value` as a plain object, or undefined. */
export function asObj(value: unknown): Obj | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : undefined;
}

/**
 * `s` as a string of its own when it is shorter than the remote `value` it came from: a V8 slice keeps
 * its whole parent alive, so a 200-character name cut from a 1 MiB field would keep the 1 MiB in the
 * name and presence caches (memory stays bounded).
 */
function own(s: string, value: string): string {
  return value.length > s.length ? s.split('').join('') : s;
}

/** An id field (string or finite number) as a sanitised one-line string, or undefined. */
export function asId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const s = sanitizeLine(value).trim().slice(0, MAX_ID);
  return s.length > 0 ? own(s, value) : undefined;
}

/** A display name as a sanitised line, or undefined when absent/empty/not text. */
export function asName(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const s = sanitizeLine(value).trim().slice(0, MAX_NAME);
  return s.length > 0 ? (typeof value === 'string' ? own(s, value) : s) : undefined;
}

/** An incoming socket frame, after the envelope check: `{"type","data","timestamp","room_id"}` (Doc B "Incoming Messages"). */
export interface IncomingFrame {
  type: string;
  data: Obj;
  /**
   * `timestamp` as the server sent it (not read yet: most frames never need it, a message has its own
   * `created_at`); read it with {@link frameTime}, or pass it to `parseMessage` as the fallback time.
   */
  timestamp: unknown;
}

/** The frame's `timestamp` as ISO UTC, or undefined when absent or not a time. */
export function frameTime(f: IncomingFrame): string | undefined {
  return typeof f.timestamp === 'string' || typeof f.timestamp === 'number' ? toIsoUtc(f.timestamp, '') || undefined : undefined;
}

/** Why a frame was not usable (for the connector's rate-limited notice). */
export type FrameProblem = 'binary' | 'too_big' | 'not_json' | 'not_envelope';

/**
 * Parses one socket frame. Returns the frame, or a problem for binary frames, frames over
 * MAX_FRAME_BYTES, text that is not JSON and JSON that is not `{"type": string, …}`. `data` that is not
 * an object becomes `{}` (e.g. `pong` has no documented data, facts §B2). The frame is the parsed JSON
 * object itself (no copy per frame), so it may hold other fields of the envelope (`room_id`).
 */
export function parseFrame(raw: Buffer | string, isBinary: boolean): IncomingFrame | FrameProblem {
  if (isBinary) return 'binary';
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (size > MAX_FRAME_BYTES) return 'too_big';
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return 'not_json';
  }
  const o = asObj(json);
  if (!o || typeof o.type !== 'string' || o.type.length > 64) return 'not_envelope';
  // The parsed object itself is the frame (no copy per frame): it is ours, `data` is made an object in place.
  if (asObj(o.data) === undefined) o.data = {};
  return o as unknown as IncomingFrame;
}

/** An outgoing frame (Doc B "Outgoing Messages"): `{"type","data"}` as text. */
export function outgoingFrame(type: 'typing' | 'get_online_users' | 'ping', data: Obj = {}): string {
  return JSON.stringify({ type, data });
}

/** A message object as the server gives it, mapped; `deleted` when the server marks it soft-deleted. */
export interface ParsedMessage {
  event: Omit<MessageEvent, 'profile'>;
  deleted: boolean;
}

/**
 * Maps a message object of a `message` frame (Doc B "New Message") or of REST (facts §B2 message object)
 * to a core message. Accepts Doc B's names (`id`, `sender_id`, `sender_name`, `content`, `created_at`,
 * `meta.mentions`) and the real server's (`message_id`, `sender_user_id`, `sender_display_name`,
 * `reply_to_id`, `is_edited`; facts "disagrees" 6). `room` is the room the frame/request was about.
 * `fallbackTime`: the time to use when the message has none of its own (`created_at`/`timestamp`), as the
 * server sent it (the frame's `timestamp`: ISO, unix s/ms) — read only then; "now" when it is no time either.
 * Returns undefined when there is no id or the text is over MAX_FRAME_BYTES.
 */
export function parseMessage(value: unknown, room: string, fallbackTime?: unknown): ParsedMessage | undefined {
  const o = asObj(value);
  if (!o) return undefined;
  const event = messageEvent(o, room, fallbackTime);
  return event && { event, deleted: o.is_deleted === true };
}

/**
 * The core message of a message object (`parseMessage` without the `deleted` wrapper, for the live path:
 * the caller reads `is_deleted` itself); undefined when there is no id or the text is over MAX_FRAME_BYTES.
 */
export function messageEvent(o: Obj, room: string, fallbackTime?: unknown): Omit<MessageEvent, 'profile'> | undefined {
  const id = asId(o.id) ?? asId(o.message_id);
  if (!id) return undefined;
  const rawText = typeof o.content === 'string' ? o.content : typeof o.text === 'string' ? o.text : '';
  if (rawText.length > MAX_FRAME_BYTES) return undefined;
  const author = authorOf(o);
  // The fallbacks (the frame's time, then "now") are read only when they are needed, not for every message.
  const time = toIsoUtc(o.created_at ?? o.timestamp, '') || toIsoUtc(fallbackTime, '') || new Date().toISOString();
  const event: Omit<MessageEvent, 'profile'> = { type: 'message', room, id, author, text: sanitize(rawText), time };
  if ((o.edited_at !== undefined && o.edited_at !== null && o.edited_at !== '') || o.is_edited === true) event.edited = true;
  const replyTo = asId(o.reply_to_id);
  if (replyTo) event.replyTo = replyTo;
  const meta = asObj(o.meta);
  if (meta) {
    if (Array.isArray(meta.mentions)) {
      const mentions = meta.mentions.slice(0, 100).map(asId).filter((m): m is string => m !== undefined);
      if (mentions.length) event.mentions = mentions;
    }
    // Our send's key, stored with it (see DocBTransport.postMessage): its copies are known as ours.
    const key = asId(meta.client_message_id);
    if (key) event.txnId = key;
  }
  if (o.message_type === 'system' || o.content_type === 'system') event.kind = 'system';
  return event;
}

/**
 * Authors of recent messages by raw `sender_id` (bench `ingest_ratio`): a flood comes from a few users,
 * and the same raw `sender_id` and `sender_name` always give the same sanitised UserRef, so it is made
 * (sanitised, trimmed, cut) once and shared by their messages (consumers treat events as read-only; the
 * store keeps its own copies). Only pairs where both fields are usable are kept (otherwise the other
 * field names decide), at most AUTHORS_LIMIT, then the table starts over.
 */
const AUTHORS = new Map<string, { rawName: string; user: UserRef }>();
const AUTHORS_LIMIT = 1000;

/** The author of a message object: Doc B's `sender_id`/`sender_name`, else the real server's names, else `unknown`. */
function authorOf(o: Obj): UserRef {
  const rawId = o.sender_id;
  const rawName = o.sender_name;
  // (Long raw strings are not kept: they are cut, and a key must not keep a big parent string alive, see `own`.)
  if (typeof rawId === 'string' && typeof rawName === 'string' && rawId.length <= MAX_ID && rawName.length <= MAX_NAME) {
    const hit = AUTHORS.get(rawId);
    if (hit !== undefined && hit.rawName === rawName) return hit.user;
    const id = asId(rawId);
    const name = asName(rawName);
    if (id !== undefined && name !== undefined) {
      const user: UserRef = { id, name };
      if (AUTHORS.size >= AUTHORS_LIMIT) AUTHORS.clear();
      AUTHORS.set(rawId, { rawName, user });
      return user;
    }
  }
  const authorId = asId(o.sender_id) ?? asId(o.sender_user_id) ?? asId(o.user_id) ?? 'unknown';
  const authorName = asName(o.sender_name) ?? asName(o.sender_display_name) ?? asName(o.user_name) ?? authorId;
  return { id: authorId, name: authorName };
}

/** A user of a presence/typing frame (`user_id`, `user_name`; real server: `display_name`), or undefined without an id. */
export function parseUser(data: Obj): UserRef | undefined {
  const id = asId(data.user_id);
  if (!id) return undefined;
  return { id, name: asName(data.user_name) ?? asName(data.display_name) ?? id };
}

/** Online user ids of a `connection_status` frame (`online_users`, strings or `{user_id,user_name}`), or undefined when absent. */
export function parseOnlineUsers(data: Obj): UserRef[] | undefined {
  const list = Array.isArray(data.online_users) ? data.online_users : Array.isArray(data.users) ? data.users : undefined;
  if (!list) return undefined;
  const out: UserRef[] = [];
  for (const item of list.slice(0, 10_000)) {
    const id = asId(item);
    if (id) {
      out.push({ id, name: id });
      continue;
    }
    const o = asObj(item);
    const u = o ? parseUser(o) : undefined;
    if (u) out.push(u);
  }
  return out;
}

/** A room object (facts §B2 room, §B3 RoomRead, Socket.IO `rooms` items) as RoomInfo, or undefined without an id. */
export function parseRoom(value: unknown): RoomInfo | undefined {
  const o = asObj(value);
  if (!o) return undefined;
  const id = asId(o.id) ?? asId(o.room_id);
  if (!id) return undefined;
  const info: RoomInfo = { id, name: asName(o.name) ?? id };
  const topic = asName(o.description);
  if (topic) info.topic = topic;
  return info;
}

/**
 * Unwraps a REST body: the documented envelope `{"data": …, "status": "success"}` (facts §B2) or a bare
 * body (the real server, facts §B3). Lists may also come as `{"items"|"results"|"rooms"|"messages": […]}`
 * (the Go rewrite, facts §B6) — `listKey` names the one to look for.
 */
export function unwrap(body: unknown, listKey?: string): unknown {
  const o = asObj(body);
  if (o && 'data' in o && (o.status === 'success' || o.status === undefined || o.success === true)) return o.data;
  if (o && listKey && Array.isArray(o[listKey])) return o[listKey];
  return body;
}

/** `unwrap` for a list: the array, or undefined when the body holds none. */
export function unwrapList(body: unknown, listKey: string): unknown[] | undefined {
  const inner = unwrap(body, listKey);
  if (Array.isArray(inner)) return inner;
  const o = asObj(inner);
  if (o) {
    for (const k of [listKey, 'items', 'results']) if (Array.isArray(o[k])) return o[k] as unknown[];
  }
  return undefined;
}

/** Error codes of the documented error envelopes (facts §B2) mapped to contract codes. */
const ERROR_CODES: Record<string, ChatError['code']> = {
  INVALID_CREDENTIALS: 'auth',
  UNAUTHORIZED: 'auth',
  INSUFFICIENT_PERMISSIONS: 'forbidden',
  ROOM_ACCESS_DENIED: 'forbidden',
  UNAUTHORIZED_EDIT: 'forbidden',
  ROOM_INACTIVE: 'forbidden',
  RESOURCE_NOT_FOUND: 'not_found',
  ROOM_NOT_FOUND: 'not_found',
  MESSAGE_NOT_FOUND: 'not_found',
  RATE_LIMIT_EXCEEDED: 'rate_limited',
  VALIDATION_ERROR: 'protocol',
  CONTENT_TOO_LONG: 'protocol',
  ALREADY_IN_ROOM: 'protocol',
};

/**
 * The text and code of an error body, accepting both documented shapes (facts §B2):
 * `{"error":{"code","message"},"status":"error"}` and `{"detail","error_code","status_code"}`, plus
 * FastAPI's `{"detail":"…"}` / 422 `{"detail":[{msg,…}]}` (facts §B3) and a bare `{"message"}`.
 * Returns sanitised one-line text (≤ 300 chars).
 */
export function parseErrorBody(body: unknown): { text?: string; code?: ChatError['code'] } {
  const o = asObj(body);
  if (!o) return typeof body === 'string' && body.trim() ? { text: sanitizeLine(body).trim().slice(0, 300) } : {};
  let text: string | undefined;
  let code: string | undefined;
  const err = asObj(o.error);
  if (err) {
    text = asName(err.message);
    code = typeof err.code === 'string' ? err.code : undefined;
  } else if (typeof o.error === 'string') {
    text = asName(o.error);
  }
  if (text === undefined && typeof o.detail === 'string') text = asName(o.detail);
  if (text === undefined && Array.isArray(o.detail)) {
    text = o.detail
      .slice(0, 3)
      .map((d) => asName(asObj(d)?.msg))
      .filter((m): m is string => m !== undefined)
      .join('; ') || undefined;
  }
  if (text === undefined) text = asName(o.message);
  if (code === undefined && typeof o.error_code === 'string') code = o.error_code;
  const out: { text?: string; code?: ChatError['code'] } = {};
  if (text) out.text = text.slice(0, 300);
  const mapped = code ? ERROR_CODES[code.toUpperCase()] : undefined;
  if (mapped) out.code = mapped;
  return out;
}

/** `Retry-After` (delta seconds or an HTTP date) in ms, or undefined. */
export function retryAfterMs(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const h = header.trim();
  if (/^\d+(\.\d+)?$/.test(h)) return Math.min(Math.round(Number(h) * 1000), 24 * 3600 * 1000);
  const at = Date.parse(h);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.min(at - now, 24 * 3600 * 1000));
}

/**
 * A ChatError for an HTTP failure: status → code (401 auth, 403 forbidden, 404 not_found, 429 rate_limited
 * with `retryAfter` ms, 4xx protocol and not retryable, 5xx network and retryable); a code in the body
 * (facts §B2 error codes) wins over the status. `what` names the request (no URL with a secret in it).
 */
export function httpError(status: number, body: unknown, what: string, retryAfter?: number): ChatError {
  const parsed = parseErrorBody(body);
  let code: ChatError['code'] =
    status === 401 ? 'auth' : status === 403 ? 'forbidden' : status === 404 ? 'not_found' : status === 429 ? 'rate_limited' : status >= 500 ? 'network' : 'protocol';
  if (parsed.code && status < 500) code = parsed.code;
  const label = code === 'auth' ? 'unauthorized (invalid API key?)' : code === 'rate_limited' ? 'rate limited' : `HTTP ${status}`;
  const text = `${what}: ${label}${parsed.text ? `: ${parsed.text}` : ''}`;
  const retryable = code === 'network' || code === 'rate_limited';
  const opts: { retryable: boolean; retryAfterMs?: number } = { retryable };
  if (code === 'rate_limited' && retryAfter !== undefined) opts.retryAfterMs = retryAfter;
  return new ChatError(code, text, opts);
}

/** WebSocket close codes of Doc B ("Error Codes") that end retrying or slow it down. */
export const CLOSE_UNAUTHORIZED = 4001;
export const CLOSE_ROOM_NOT_FOUND = 4002;
export const CLOSE_ACCESS_DENIED = 4003;
export const CLOSE_RATE_LIMITED = 4004;

/**
 * The error of a socket close code (Doc B "Error Codes"): 4001 auth, 4002 not_found, 4003 forbidden
 * (none retryable), 4004 rate_limited (retryable, with back-off); undefined for every other code
 * (1000, 1001, 1006, 1011, … → plain reconnect). `reason` is the server's close reason (sanitised here).
 */
export function closeError(code: number, reason: string, roomLabel: string): ChatError | undefined {
  const why = asName(reason);
  const suffix = why ? ` (${why.slice(0, 120)})` : '';
  switch (code) {
    case CLOSE_UNAUTHORIZED:
      return new ChatError('auth', `unauthorized: the server refused the API key for ${roomLabel} (close 4001)${suffix}`, { retryable: false });
    case CLOSE_ROOM_NOT_FOUND:
      return new ChatError('not_found', `${roomLabel} not found (close 4002)${suffix}`, { retryable: false });
    case CLOSE_ACCESS_DENIED:
      return new ChatError('forbidden', `access to ${roomLabel} denied (close 4003)${suffix}`, { retryable: false });
    case CLOSE_RATE_LIMITED:
      return new ChatError('rate_limited', `rate limit exceeded on ${roomLabel} (close 4004)${suffix}`, { retryable: true });
    default:
      return undefined;
  }
}
