import type { RoomInfo } from '../../../core/connector.js';
import type { Copy } from '../../../core/connection/index.js';
import type { UserRef } from '../../../core/events.js';
import { asId, asObj, messageEvent, parseRoom, type Obj } from '../wire.js';

/**
 * The wire of the Go rewrite (`hastenr/chatapi`, facts §B6 and its addendum), read from its code:
 * `internal/models/models.go` (Message, Room, RoomMember), `internal/handlers/rest/handler.go` and
 * `internal/handlers/ws/handler.go`. Every function is total: remote input of any shape gives a value
 * or undefined, never a throw; strings leave sanitised (through ../wire.ts).
 */

/** A v2 message: a core message with the room's sequence number (`seq`, 1, 2, 3… per room). */
export type V2Msg = Copy & { seq: number };

/** Longest `meta` string read for mentions (the server stores any JSON text there). */
const MAX_META = 64 * 1024;

/**
 * A message of a `message` (or `message.stream.end`) frame or of `GET /rooms/{id}/messages`:
 * `{message_id, room_id | chatroom_id, seq, sender_id, content, created_at, meta?}` (models.Message;
 * REST says `chatroom_id` where frames say `room_id`, facts §B6 addendum). `meta` is a JSON *string*
 * (models.CreateMessageRequest.Meta); its `mentions` array is read. Senders have no display names in
 * v2: the name is the id. Undefined without an id, a room, or a positive integer `seq`.
 */
export function parseV2Message(o: Obj, room?: string): V2Msg | undefined {
  const seq = o.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) return undefined;
  const r = room ?? asId(o.room_id) ?? asId(o.chatroom_id);
  if (!r) return undefined;
  // The socket's times have whole seconds (ws handler: `Format("2006-01-02T15:04:05Z07:00")`): written
  // in the canonical form here (`….000Z`), the common case costs no date parsing.
  const at = o.created_at;
  if (typeof at === 'string' && at.length === 20 && at.charCodeAt(19) === 90 /* Z */ && at.charCodeAt(10) === 84 /* T */) o.created_at = `${at.slice(0, 19)}.000Z`;
  const meta = o.meta;
  const ev = messageEvent(o, r); // a string `meta` is no object: messageEvent reads no mentions from it
  if (!ev) return undefined;
  if (typeof meta === 'string' && meta.length <= MAX_META) {
    try {
      const parsed = asObj(JSON.parse(meta));
      const mentions = parsed?.mentions;
      if (Array.isArray(mentions)) {
        const ids = mentions.slice(0, 100).map(asId).filter((m): m is string => m !== undefined);
        if (ids.length) ev.mentions = ids;
      }
      // Our send's key, stored with it (V2Session.post): its copies are known as ours.
      const key = asId(parsed?.client_message_id);
      if (key) ev.txnId = key;
    } catch {
      // meta is not JSON: no mentions
    }
  }
  return { ...ev, seq };
}

/** The messages of a `{"messages": [...] | null}` answer (null: an empty room, Go's nil slice), oldest first by seq. */
export function parseV2Messages(body: unknown, room: string): V2Msg[] {
  const list = asObj(body)?.messages;
  if (!Array.isArray(list)) return [];
  const out: V2Msg[] = [];
  for (const item of list) {
    const o = asObj(item);
    const m = o && parseV2Message(o, room);
    if (m) out.push(m);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** The rooms of `GET /rooms` (`{"rooms":[{room_id,type,name,last_seq,…}]}`); a DM without a name is named by its id. */
export function parseV2Rooms(body: unknown): RoomInfo[] {
  const list = asObj(body)?.rooms;
  if (!Array.isArray(list)) return [];
  return list.map(parseRoom).filter((r): r is RoomInfo => r !== undefined);
}

/** The member ids of `GET /rooms/{id}/members` (`{"members":[{chatroom_id,user_id,role,joined_at}]}` or null). */
export function parseV2Members(body: unknown): UserRef[] {
  const list = asObj(body)?.members;
  if (!Array.isArray(list)) return [];
  const out: UserRef[] = [];
  for (const item of list.slice(0, 10_000)) {
    const id = asId(asObj(item)?.user_id);
    if (id) out.push({ id, name: id });
  }
  return out;
}

/** `last_seq` of a room object (`GET /rooms/{id}`), or 0. */
export function lastSeqOf(body: unknown): number {
  const v = asObj(body)?.last_seq;
  return typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : 0;
}

/**
 * The user id of a JWT (the `sub` claim, facts §B6 addendum: HEAD authenticates with HS256 JWTs whose
 * `sub` is the user id), read without verifying it (the server does); undefined for a token that is
 * not a JWT (a tenant-era API key).
 */
export function jwtSubject(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  try {
    return asId(asObj(JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')))?.sub);
  } catch {
    return undefined;
  }
}

/** An outgoing frame (ws handler `handleMessage`): `{"type", "data"}`; `ping` has no data. */
export function v2Frame(type: 'typing.start' | 'typing.stop' | 'ack' | 'ping' | 'send_message', data?: Obj): string {
  return JSON.stringify(data === undefined ? { type } : { type, data });
}
