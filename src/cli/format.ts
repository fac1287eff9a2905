import type { RoomInfo } from '../core/connector.js';
import type { ChatEvent, MessageEvent } from '../core/events.js';
import { sanitize, sanitizeLine } from '../core/sanitize.js';

/**
 * Rendering of events for the headless commands (conformance README "Events").
 * - `--json`: `toJsonEvent` keeps exactly the contract fields of each event type (internal fields such as
 *   `txnId`, `mentions`, `kind` are dropped) and re-sanitises every string (connectors already sanitise;
 *   this is defence in depth, and idempotent). `room` events are not printed by `tail`.
 * - plain: `formatMessage` gives one line a message: local date and time, room, author, text, with
 *   newlines shown as ` ↵ ` and tabs as spaces, so nothing a terminal would act on is printed.
 */

/** Contract fields per event type, in print order. */
const FIELDS: Record<ChatEvent['type'], readonly string[]> = {
  message: ['type', 'profile', 'room', 'id', 'author', 'text', 'time', 'edited', 'replyTo'],
  'message.edit': ['type', 'profile', 'room', 'id', 'text', 'time'],
  'message.delete': ['type', 'profile', 'room', 'id'],
  typing: ['type', 'profile', 'room', 'user', 'typing'],
  presence: ['type', 'profile', 'room', 'online'],
  connection: ['type', 'profile', 'state', 'reason', 'room', 'retryAt'],
  error: ['type', 'profile', 'code', 'message', 'room'],
  notice: ['type', 'profile', 'text', 'room'],
  gap: ['type', 'profile', 'room'],
  room: ['type', 'profile', 'room', 'name', 'topic', 'members', 'live'],
};

function clean(value: unknown): unknown {
  if (typeof value === 'string') return sanitize(value);
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v)]));
  }
  return value;
}

/** `{id, name}` as strings on one line (names with a newline become spaces). */
function user(u: unknown): { id: string; name: string } {
  const o = (u && typeof u === 'object' ? u : {}) as { id?: unknown; name?: unknown };
  const id = typeof o.id === 'string' && !/[\n\t]/.test(o.id) ? o.id : sanitizeLine(o.id ?? '');
  const name = typeof o.name === 'string' && !/[\n\t]/.test(o.name) ? o.name : sanitizeLine(o.name ?? '');
  return { id, name };
}

/** The `--json` object of an event (contract fields only), or undefined for events `tail` does not print. */
export function toJsonEvent(ev: ChatEvent, opts: { includeRoomEvents?: boolean } = {}): Record<string, unknown> | undefined {
  const o = project(ev, opts);
  return o && (clean(o) as Record<string, unknown>);
}

/** Characters JSON.stringify leaves raw that a terminal may act on: DEL, C1, bidi controls. */
const RAW_UNSAFE = /[\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;

/**
 * The `--json` line of an event (no newline), or undefined for events not printed. With `names`, an event
 * about a room whose name is known gets `roomName` beside `room` (which stays the service's id). Same result as
 * `JSON.stringify(toJsonEvent(ev))`, faster: JSON.stringify already escapes C0 controls (ESC included)
 * and lone surrogates, so the strings are re-sanitised only when the line holds DEL, C1 or bidi controls.
 */
export function jsonLine(ev: ChatEvent, opts: { includeRoomEvents?: boolean; names?: RoomNames } = {}): string | undefined {
  if (ev.type === 'message') {
    const fast = messageJsonLine(ev, opts.names);
    if (fast !== undefined) return fast;
  }
  const o = project(ev, opts);
  if (!o) return undefined;
  if (opts.names !== undefined && typeof o.room === 'string') {
    const name = opts.names.get(o.room);
    if (name !== undefined) o.roomName = name;
  }
  const line = JSON.stringify(o);
  return RAW_UNSAFE.test(line) ? JSON.stringify(clean(o)) : line;
}

/** `{"type":"message","profile":…,"room":…,` by profile and room (the same few pairs all the time). */
const messagePrefixes = new Map<string, Map<string, string>>();

function messagePrefix(profile: string, room: string): string | undefined {
  let byRoom = messagePrefixes.get(profile);
  if (!byRoom) messagePrefixes.set(profile, (byRoom = new Map()));
  let prefix = byRoom.get(room);
  if (prefix === undefined) {
    prefix = `{"type":"message","profile":${JSON.stringify(profile)},"room":${JSON.stringify(room)},`;
    if (RAW_UNSAFE.test(prefix)) return undefined;
    // Bounded: a profile follows its rooms; a flood of distinct rooms would only stop the caching.
    if (byRoom.size < 1024) byRoom.set(room, prefix);
  }
  return prefix;
}

/** What `user()` and the raw-unsafe check would change in an author's id or name. */
const UNSAFE_IN_NAME = /[\n\t\u007f-\u009f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;

/**
 * The `--json` line of a message without the projected object and the whole-line scan: byte for byte what
 * the general path of `jsonLine` gives (`JSON.stringify` of `project(ev)` plus `roomName`), with the
 * fields that come from the service checked one by one (the cached prefix once per room). Undefined when
 * the message is not of the plain shape this handles (a field that is not a string, an author with a
 * line break, DEL/C1/bidi controls anywhere): the caller takes the general path.
 */
function messageJsonLine(ev: MessageEvent, names: RoomNames | undefined): string | undefined {
  const { profile, room, id, text, time, author, replyTo } = ev;
  if (typeof profile !== 'string' || typeof room !== 'string' || typeof id !== 'string' || typeof text !== 'string' || typeof time !== 'string') return undefined;
  const a = author as { id?: unknown; name?: unknown } | undefined;
  const aid = a?.id;
  const aname = a?.name;
  if (typeof aid !== 'string' || typeof aname !== 'string' || UNSAFE_IN_NAME.test(aid) || UNSAFE_IN_NAME.test(aname)) return undefined;
  if (RAW_UNSAFE.test(text) || RAW_UNSAFE.test(id) || RAW_UNSAFE.test(time)) return undefined;
  const prefix = messagePrefix(profile, room);
  if (prefix === undefined) return undefined;
  const rest: Record<string, unknown> = { id, author: { id: aid, name: aname }, text, time };
  if (ev.edited) rest.edited = true;
  if (replyTo !== undefined) {
    if (typeof replyTo !== 'string' || RAW_UNSAFE.test(replyTo)) return undefined;
    rest.replyTo = replyTo;
  }
  const name = names?.get(room);
  if (name !== undefined) {
    if (RAW_UNSAFE.test(name)) return undefined;
    rest.roomName = name;
  }
  // `{"id":…}` → `"id":…}` after the prefix's comma.
  return prefix + JSON.stringify(rest).slice(1);
}

/** Contract fields of an event, strings as they are (see `toJsonEvent`). */
function project(ev: ChatEvent, opts: { includeRoomEvents?: boolean }): Record<string, unknown> | undefined {
  if (ev.type === 'message') {
    // The hot path of `tail --json`: written out by hand.
    const o: Record<string, unknown> = { type: 'message', profile: ev.profile, room: ev.room, id: ev.id, author: user(ev.author), text: ev.text, time: ev.time };
    if (ev.edited) o.edited = true;
    if (ev.replyTo !== undefined) o.replyTo = ev.replyTo;
    return o;
  }
  if (ev.type === 'room' && !opts.includeRoomEvents) return undefined;
  const fields = FIELDS[ev.type];
  if (!fields) return undefined;
  const src = ev as unknown as Record<string, unknown>;
  const outObj: Record<string, unknown> = {};
  for (const f of fields) {
    const v = src[f];
    if (v === undefined) continue;
    if (f === 'author' || f === 'user') outObj[f] = user(v);
    else if (f === 'online' || f === 'members') outObj[f] = Array.isArray(v) ? v.map(user) : [];
    else outObj[f] = v;
  }
  return outObj;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** `YYYY-MM-DD HH:MM:SS` in local time for an ISO time; the raw (sanitised) string when unparseable. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return sanitizeLine(iso).slice(0, 40);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** Message text on one line: sanitised, newlines → ` ↵ `, tabs → a space. */
export function oneLineText(text: string): string {
  return sanitize(text).replace(/\n/g, ' ↵ ').replace(/\t/g, ' ');
}

/** Names of rooms by id, to show `general` instead of a UUID in plain output. */
export type RoomNames = Map<string, string>;

/** Fills `names` from a session's rooms (names that are empty or equal to the id are skipped). */
export function learnRooms(names: RoomNames, rooms: readonly RoomInfo[]): void {
  for (const r of rooms) if (r.name && r.name !== r.id) names.set(r.id, sanitizeLine(r.name));
}

/** The label of a room for plain output: its name when known, else its id. */
export function roomLabel(room: string, names?: RoomNames): string {
  return sanitizeLine(names?.get(room) ?? room);
}

/** One plain line for a message: `2026-11-24 14:03:44 [general] Jane Smith: text (edited)`. */
export function formatMessage(m: MessageEvent, names?: RoomNames): string {
  const edited = m.edited ? ' (edited)' : '';
  return `${localTime(m.time)} [${roomLabel(m.room, names)}] ${sanitizeLine(m.author?.name || m.author?.id || '?')}: ${oneLineText(m.text)}${edited}`;
}

/**
 * One plain line for other events that a human tailing wants to see, or undefined (typing, presence and
 * room updates are not shown). `stream` says where it goes: messages/edits/deletes on stdout, state on stderr.
 */
export function formatOther(ev: ChatEvent, names?: RoomNames): { line: string; stream: 'stdout' | 'stderr' } | undefined {
  const where = 'room' in ev && ev.room ? ` [${roomLabel(ev.room, names)}]` : '';
  switch (ev.type) {
    case 'message.edit':
      return { line: `${localTime(ev.time)} [${roomLabel(ev.room, names)}] * message ${sanitizeLine(ev.id)} edited: ${oneLineText(ev.text)}`, stream: 'stdout' };
    case 'message.delete':
      return { line: `${localTime(new Date().toISOString())} [${roomLabel(ev.room, names)}] * message ${sanitizeLine(ev.id)} deleted`, stream: 'stdout' };
    case 'connection':
      return { line: `-- ${ev.profile}${where}: ${ev.state}${ev.reason ? ` (${sanitizeLine(ev.reason)})` : ''}`, stream: 'stderr' };
    case 'error':
      return { line: `-- ${ev.profile}${where}: error (${ev.code}): ${sanitizeLine(ev.message)}`, stream: 'stderr' };
    case 'notice':
      return { line: `-- ${ev.profile}${where}: ${sanitizeLine(ev.text)}`, stream: 'stderr' };
    case 'gap':
      return { line: `-- ${ev.profile}${where}: messages may be missing here (the service cannot backfill)`, stream: 'stderr' };
    default:
      return undefined;
  }
}
