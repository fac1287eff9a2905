import type { MessageEvent, UserRef } from '../../core/events.js';
import { sanitize, sanitizeLine } from '../../core/sanitize.js';
import { toIsoUtc } from '../../core/time.js';

/**
 * Glimesh wire helpers: GraphQL documents, Phoenix V2 frame decoding, and parsing of ChatMessage /
 * Channel objects into chat events. Source: ../shared/protocols/glimesh.facts.md (§4 frames, §6 schema,
 * §7 time). Every remote string is sanitised here.
 */

/** The Absinthe control topic every document is pushed on (facts §4 "Join"). */
export const CONTROL_TOPIC = '__absinthe__:control';

/** Frames above this size (bytes) are dropped with a notice instead of being parsed (memory stays bounded whatever the server sends). */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Message length limit in graphemes (facts §6 createChatMessage step 5: validate_length 1..255). */
export const MAX_MESSAGE_GRAPHEMES = 255;

/** Most messages per chatMessages page (facts §6: first/last above 1000 are cut to 1000). */
export const MAX_PAGE = 1000;

/**
 * ChatMessage fields we select. Valid in both schemas (facts §9 "Open a room": no avatar/metadata), so
 * one document works on the old socket (`/api/socket`) and over the new HTTP API (`/api/graph`).
 */
const MESSAGE_FIELDS = 'id message insertedAt isFollowedMessage isSubscriptionMessage user { id username displayname }';

/** The per-channel chat subscription, with variables (facts §4 `doc`, §9). */
export const SUBSCRIBE_CHAT = `subscription ChatMessages($channelId: ID) { chatMessage(channelId: $channelId) { ${MESSAGE_FIELDS} } }`;

/** The per-channel title/status subscription (facts §6 "Other subscriptions": `channel(id: ID)`). */
export const SUBSCRIBE_CHANNEL = 'subscription ChannelUpdates($id: ID) { channel(id: $id) { id title status streamer { id username displayname } } }';

/** Channel fields for lookups; valid in both schemas. */
const CHANNEL_FIELDS = 'id title status streamer { id username displayname }';

/** Channel by id, new schema (`/api/graph`; facts §6 "Channel lookup"). */
export const CHANNEL_BY_ID = `query ChannelById($id: ID) { channel(id: $id) { ${CHANNEL_FIELDS} } }`;

/** Channel by streamer username, new schema; case-insensitive on the server (citext, facts §6). */
export const CHANNEL_BY_USERNAME = `query ChannelByStreamer($username: String) { channel(streamerUsername: $username) { ${CHANNEL_FIELDS} } }`;

/** The last `last` messages (before cursor `before`), oldest first — new schema Relay connection (facts §6). */
export const CHAT_PAGE = `query ChatPage($id: ID, $last: Int, $before: String) { channel(id: $id) { id chatMessages(last: $last, before: $before) { edges { cursor node { ${MESSAGE_FIELDS} } } pageInfo { hasPreviousPage startCursor } } } }`;

/**
 * Sending with variables, never by splicing the text into the document (facts §8 item 8). The same
 * document works on the socket (old schema) and over HTTP (new schema): `ChatMessageInput {message}`.
 */
export const CREATE_MESSAGE = `mutation SendChatMessage($channelId: ID!, $message: String) { createChatMessage(channelId: $channelId, message: {message: $message}) { ${MESSAGE_FIELDS} } }`;

/** Our own user (token profiles only: `myself` crashes with a client id, facts §4). */
export const MYSELF = 'query Myself { myself { id username displayname } }';

/** A user by username (both schemas: `user(id: Int, username: String)`). */
export const USER_BY_NAME = 'query UserByName($username: String) { user(username: $username) { id username displayname } }';

/** Moderation mutations of the new schema (facts §6 "Moderation mutations"). */
export const MODERATION = {
  timeout: 'mutation Timeout($channelId: ID!, $userId: ID!) { shortTimeoutUser(channelId: $channelId, userId: $userId) { action } }',
  ban: 'mutation Ban($channelId: ID!, $userId: ID!) { banUser(channelId: $channelId, userId: $userId) { action } }',
  unban: 'mutation Unban($channelId: ID!, $userId: ID!) { unbanUser(channelId: $channelId, userId: $userId) { action } }',
  delete: 'mutation Delete($channelId: ID!, $messageId: ID!) { deleteChatMessage(channelId: $channelId, messageId: $messageId) { action } }',
} as const;

/** A decoded Phoenix V2 frame `[join_ref, ref, topic, event, payload]` (facts §4 "Frames"). */
export interface PhxMessage {
  join_ref: string | null;
  ref: string | null;
  topic: string;
  event: string;
  payload: Record<string, unknown>;
}

/** Why a frame was dropped. */
export type DropReason = 'oversized' | 'binary' | 'malformed';

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const refOf = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);

/**
 * Decodes one raw socket frame. Returns the message, or the reason it was dropped: binary frames
 * (Glimesh sends none), frames over {@link MAX_FRAME_BYTES}, non-JSON, or anything that is not an
 * array of at least five elements with string topic/event and an object payload. Never throws.
 */
export function decodeFrame(raw: unknown): PhxMessage | DropReason {
  if (typeof raw !== 'string') return 'binary';
  if (raw.length > MAX_FRAME_BYTES || (raw.length > MAX_FRAME_BYTES / 3 && Buffer.byteLength(raw, 'utf8') > MAX_FRAME_BYTES)) return 'oversized';
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'malformed';
  }
  if (!Array.isArray(value) || value.length < 5) return 'malformed';
  const [joinRef, ref, topic, event, payload] = value as unknown[];
  if (typeof topic !== 'string' || typeof event !== 'string' || !isRecord(payload)) return 'malformed';
  return { join_ref: refOf(joinRef), ref: refOf(ref), topic, event, payload };
}

/** Counts user-perceived characters (grapheme clusters), as Glimesh's changeset does (facts §6 step 5). */
export function graphemeCount(text: string): number {
  let n = 0;
  for (const _ of new Intl.Segmenter().segment(text)) n++;
  return n;
}

/** A channel as our lookups and the channel subscription return it. */
export interface ChannelInfo {
  id: string;
  title: string;
  live: boolean;
  streamer: UserRef & { username: string };
}

/** An id as the server writes it: a non-empty string or integer, at most 64 characters. */
export function idOf(v: unknown): string | undefined {
  const s = typeof v === 'string' ? v : typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : undefined;
  if (s === undefined || s.length === 0 || s.length > 64) return undefined;
  return sanitizeLine(s) || undefined;
}

/**
 * `value` sanitised as one line and cut to `max` characters, as a string of its own: a V8 slice keeps
 * its whole parent alive, and names stay in the session's caches (user ids by name, channel info), so a
 * 200-character name cut from a 1 MiB field would keep the 1 MiB (memory stays bounded).
 */
function line(value: unknown, max: number): string {
  const s = sanitizeLine(value);
  return s.length > max ? s.slice(0, max).split('').join('') : s;
}

/** Parses a Channel object; undefined when it has no usable id. */
export function parseChannel(v: unknown): ChannelInfo | undefined {
  if (!isRecord(v)) return undefined;
  const id = idOf(v.id);
  if (!id) return undefined;
  const streamer = isRecord(v.streamer) ? v.streamer : {};
  const username = line(streamer.username, 200);
  const displayname = line(streamer.displayname, 200);
  return {
    id,
    title: line(v.title, 500),
    live: v.status === 'LIVE',
    streamer: { id: idOf(streamer.id) ?? '', name: displayname || username || `channel ${id}`, username: username || displayname },
  };
}

/**
 * Parses a ChatMessage into a message event for `room`. `insertedAt` is naive UTC (facts §7) and is read
 * as UTC. Follow and subscription messages (facts §6: text " just followed the stream!" from the
 * follower) become `kind: 'system'` with the name in front. Returns undefined when id or user is unusable.
 */
export function parseMessage(v: unknown, room: string): Omit<MessageEvent, 'profile'> | undefined {
  if (!isRecord(v)) return undefined;
  const id = idOf(v.id);
  if (!id) return undefined;
  const user = isRecord(v.user) ? v.user : undefined;
  if (!user) return undefined;
  const username = line(user.username, 200);
  const displayname = line(user.displayname, 200);
  const author: UserRef = { id: idOf(user.id) ?? (username || '?'), name: displayname || username || '?' };
  const raw = typeof v.message === 'string' ? sanitize(v.message) : '';
  const ev: Omit<MessageEvent, 'profile'> = { type: 'message', room, id, author, text: raw, time: toIsoUtc(v.insertedAt) };
  if (v.isFollowedMessage === true || v.isSubscriptionMessage === true) {
    ev.kind = 'system';
    const body = raw.trim() || (v.isFollowedMessage === true ? 'just followed the stream!' : 'just subscribed!');
    ev.text = `${author.name} ${body}`;
  }
  return ev;
}

/** Compares two message ids: increasing integers as strings (facts §9 "Backfill"); non-numeric ids sort as strings. */
export function compareIds(a: string, b: string): number {
  const na = /^\d+$/.test(a);
  const nb = /^\d+$/.test(b);
  if (na && nb) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  if (na !== nb) return na ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** One GraphQL error as the server wrote it. */
export interface GqlError {
  message: string;
  path?: unknown;
}

/** The `errors` list of a GraphQL result (sanitised messages); [] when absent or malformed. */
export function errorsOf(v: unknown): GqlError[] {
  if (!isRecord(v) || !Array.isArray(v.errors)) return [];
  return v.errors.map((e) => ({ message: sanitizeLine(isRecord(e) ? e.message : e).slice(0, 300) || 'error', path: isRecord(e) ? e.path : undefined }));
}

export { isRecord };
