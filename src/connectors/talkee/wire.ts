import { createHash } from 'node:crypto';
import type { MessageEvent, UserRef } from '../../core/events.js';
import { sanitize, sanitizeLine } from '../../core/sanitize.js';
import { toIsoUtc } from '../../core/time.js';
import { jwtClaims } from '../jwt.js';

/**
 * Talkee wire formats, pure functions only (no I/O). Source: ../shared/protocols/talkee.facts.md
 * §5 (socket frames), §6 (chat REST on the WS host), §8 (envelopes and errors), §10 (object shapes),
 * §11 (connector guidance: lenient base64, ids as number or string, null for objects).
 */

/** Largest inbound frame (and POST/GET body) we render, in bytes (oversized input is bounded). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** The server's inbound frame limit (melody `MaxMessageSize`, facts §5): a larger frame closes the socket with 1009. */
export const MAX_AUTH_FRAME_BYTES = 512;

/** A Talkee error body `{code, msg}` (facts §8): HTTP 200 with the intended status in `code`. */
export interface TalkeeErrorBody {
  code: number;
  msg: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Returns the `{code, msg}` of a Talkee error body, or undefined when `value` is not one.
 * A message object never has both a numeric `code` and a string `msg`, so the test is safe (facts §6/§8).
 * `msg` is sanitised to one line.
 */
export function asErrorBody(value: unknown): TalkeeErrorBody | undefined {
  if (!isObject(value)) return undefined;
  const code = typeof value.code === 'number' ? value.code : typeof value.code === 'string' && /^\d{3}$/.test(value.code) ? Number(value.code) : undefined;
  if (code === undefined || !('msg' in value)) return undefined;
  return { code, msg: sanitizeLine(value.msg).slice(0, 300) };
}

/**
 * Unwraps the API host's `{ts, data}` envelope (facts §8; `/api` only, `/ws/*` is bare).
 * A value without the envelope is returned as it is.
 */
export function unwrap(value: unknown): unknown {
  if (isObject(value) && 'data' in value && 'ts' in value) return value.data;
  return value;
}

/** base64 of the UTF-8 bytes of `text`: the `data` convention of the Talkee clients (facts §5, js-base64 `encode`). */
export function encodeData(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a message's `data` leniently (facts §5: the server never validates it; §11: fall back to the
 * raw string). Standard or URL-safe base64, padding optional, line breaks ignored; it must be canonical
 * (re-encoding gives the same characters) and its bytes valid UTF-8 — otherwise the raw string is the
 * text. So "Hi" or "okay" (which merely look like base64) stay as they are. Non-strings: objects as
 * compact JSON, null/undefined as ''. The result is NOT sanitised (callers do that).
 */
export function decodeData(data: unknown): string {
  if (data === undefined || data === null) return '';
  if (typeof data !== 'string') {
    try {
      return typeof data === 'object' ? JSON.stringify(data) : String(data);
    } catch {
      return '';
    }
  }
  const compact = data.replace(/\r?\n/g, '');
  if (compact === '') return data;
  const std = BASE64.test(compact);
  if (!std && !BASE64URL.test(compact)) return data;
  const body = compact.replace(/=+$/, '');
  if (body.length % 4 === 1 || compact.length - body.length > 2) return data;
  if (compact.length !== body.length && compact.length % 4 !== 0) return data; // padding only to a multiple of 4
  const bytes = Buffer.from(body, std ? 'base64' : 'base64url');
  const again = bytes.toString(std ? 'base64' : 'base64url').replace(/=+$/, '');
  if (again !== body) return data; // non-canonical trailing bits: not something an encoder wrote
  try {
    return utf8.decode(bytes);
  } catch {
    return data;
  }
}

/** A user object of the server (facts §10), leniently typed: any field may be missing or mistyped. */
export interface TalkeeUser {
  id?: unknown;
  mixin_user_id?: unknown;
  mixin_identity_number?: unknown;
  full_name?: unknown;
}

const idString = (v: unknown): string | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v.trim() === '') return undefined;
  const id = sanitizeLine(v).slice(0, 128);
  // A cut id as a string of its own: a V8 slice keeps its whole parent alive, and ids stay in the
  // seen-id set (10,000 per room), so a 1 MiB id field would be kept whole (memory stays bounded).
  return id.length < v.length ? id.split('').join('') : id;
};

/**
 * Our UserRef for a Talkee user (facts §10): id from `user.id` (a number; a string is accepted), else
 * `mixin_user_id`, else `mixin_identity_number`; name from `full_name` (128 chars max on the server),
 * else the identity number, else "unknown". All sanitised.
 */
export function userRef(user: unknown): UserRef {
  const u: TalkeeUser = isObject(user) ? user : {};
  const id = idString(u.id) ?? idString(u.mixin_user_id) ?? idString(u.mixin_identity_number) ?? 'unknown';
  const name = sanitizeLine(typeof u.full_name === 'string' ? u.full_name : '').trim().slice(0, 200);
  const number = idString(u.mixin_identity_number);
  return { id, name: name || (number ? `#${number}` : 'unknown') };
}

/**
 * A stable id for a message that came without one (facts §6: a sender that posted only `message_id`
 * leaves the message with no id anywhere). The same message seen twice (socket and POST answer,
 * or two sockets) hashes to the same id, so dedupe by id still works: sha256 over created_at, the
 * user's ids, category and data. Returns `talkee-` + 32 hex digits.
 */
export function derivedId(raw: Record<string, unknown>): string {
  const user = isObject(raw.user) ? raw.user : {};
  const parts = [raw.created_at, user.id, user.mixin_user_id, raw.category, raw.data].map((v) => {
    try {
      return JSON.stringify(v ?? null);
    } catch {
      return 'null';
    }
  });
  return `talkee-${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)}`;
}

/** True when `value` looks like a chat message object (facts §5/§10: `created_at` and `user` always, `data`/`category`/`id` optional). */
export function isMessageObject(value: unknown): value is Record<string, unknown> {
  if (!isObject(value) || asErrorBody(value)) return false;
  return 'created_at' in value || 'user' in value || 'data' in value || 'category' in value;
}

/**
 * Turns one message object (socket frame, POST answer, or history item) into a MessageEvent for
 * `room` (the slug; items carry no room, facts §5). `id`: the object's `id` (string or number), else
 * `derivedId`. `text`: `decodeData(data)`, sanitised. `time`: `created_at` (RFC 3339 with offset and
 * nanoseconds) as ISO UTC via core `toIsoUtc`; `now` when missing. Categories other than "text" are
 * shown as `[category] data` (the server does not validate category, facts §5). Returns undefined for
 * something that is not a message object.
 */
export function toMessageEvent(value: unknown, room: string): Omit<MessageEvent, 'profile'> | undefined {
  if (!isMessageObject(value)) return undefined;
  const id = idString(value.id) ?? derivedId(value);
  let text = sanitize(decodeData(value.data));
  const category = typeof value.category === 'string' ? sanitizeLine(value.category).slice(0, 40) : '';
  if (category && category.toLowerCase() !== 'text') text = `[${category}] ${text}`;
  return {
    type: 'message',
    room,
    id,
    author: userRef(value.user),
    text,
    time: toIsoUtc(value.created_at),
  };
}

/**
 * The auth frame, the only frame a client ever sends (facts §5): `{"type":"auth","token":…}`.
 * Returns the JSON text and its size in UTF-8 bytes (the server closes with 1009 above 512).
 */
export function authFrame(token: string): { text: string; bytes: number } {
  const text = JSON.stringify({ type: 'auth', token });
  return { text, bytes: Buffer.byteLength(text, 'utf8') };
}

/**
 * The `user_id` claim of a Talkee access token (an HS256 JWT `{user_id, exp}`, facts §4), read without
 * verifying it (only the server can). Also returns `exp` (unix seconds) when present. Undefined when the
 * token is not a JWT.
 */
export function readAccessToken(token: string | undefined): { userId?: string; exp?: number } | undefined {
  const claims = jwtClaims(token);
  if (!claims) return undefined;
  const out: { userId?: string; exp?: number } = {};
  const userId = idString(claims.user_id);
  if (userId !== undefined) out.userId = userId;
  if (typeof claims.exp === 'number' && Number.isFinite(claims.exp)) out.exp = claims.exp;
  return out;
}
