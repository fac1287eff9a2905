import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import type { RoomInfo } from '../../core/connector.js';
import { frameBuffer, openWebSocket } from '../../core/connection/index.js';
import { ChatError } from '../../core/errors.js';
import { cannotReachServer } from '../http.js';
import { restJson } from './rest.js';
import type { UserRef } from '../../core/events.js';
import {
  MAX_FRAME_BYTES,
  asObj,
  httpError,
  parseUser,
  outgoingFrame,
  parseMessage,
  parseRoom,
  retryAfterMs,
  unwrap,
  unwrapList,
  type ParsedMessage,
} from './wire.js';

/**
 * The one adapter between the chatapi session and the network (facts §B7 "isolate transport behind an
 * adapter"). `DocBTransport` speaks the protocol of "Doc B" (chatapi.seed.md) exactly as written:
 * a raw WebSocket per room at `/ws/{room_id}?token=&user_id=&user_name=` and REST under `/api/v1`.
 *
 * NOTE (facts §B1, "Everywhere Doc B disagrees"): no real ChatAPI server speaks this protocol — the Python
 * server uses Socket.IO v5 at `/sockets/` with an `auth` payload, and the Go rewrite a different `/ws` and
 * REST without `/api/v1`. Doc B is what users of the service were given, so it is implemented here; a
 * Socket.IO or Go transport would be a second implementation of `ChatApiTransport`, translating its events
 * into the same `IncomingFrame`s, with nothing else in the connector changing.
 */

/** What happened to a room socket when it ended. `opened`: the upgrade succeeded. */
export interface SocketEnd {
  opened: boolean;
  /** WebSocket close code (1006 for a drop without a close frame). */
  code: number;
  reason: string;
  /** Set when the socket never opened for a known reason (HTTP 401/403/404/429 at upgrade, network). */
  error?: ChatError;
}

/** Callbacks of one room socket. */
export interface RoomSocketHandlers {
  onOpen(): void;
  /** A data frame (text or binary) as received; the session parses it (bounded, never throws). */
  onFrame(data: Buffer, isBinary: boolean): void;
  /** Transport-level sign of life (a WebSocket ping from the server). */
  onActivity(): void;
  onEnd(end: SocketEnd): void;
}

/** One open (or opening) room socket. */
export interface RoomSocket {
  /** Typing indicator (Doc B "Send Typing Indicator"). */
  sendTyping(on: boolean): void;
  /** Asks for the online list (Doc B "Request Online Users"; answered by `connection_status`, facts §B2). */
  requestOnline(): void;
  /** App-level heartbeat (Doc B "Ping/Heartbeat"; answered by `pong`). */
  ping(): void;
  /** Polite close (1000). */
  close(): void;
  /** Drop at once with no close handshake (dead connection). */
  terminate(): void;
}

/** History request: `before` is a message id; results are oldest first. */
export interface MessagesQuery {
  limit: number;
  before?: string;
}

/** The network side of a chatapi session. */
export interface ChatApiTransport {
  openRoom(room: string, handlers: RoomSocketHandlers): RoomSocket;
  listRooms(signal?: AbortSignal): Promise<RoomInfo[]>;
  getMessages(room: string, q: MessagesQuery, signal?: AbortSignal): Promise<ParsedMessage[]>;
  postMessage(room: string, text: string, signal?: AbortSignal, txnId?: string): Promise<ParsedMessage>;
  /** Replaces a message's text (our own); throws ChatError. */
  putMessage(id: string, text: string, signal?: AbortSignal): Promise<void>;
  /** Deletes a message (our own); throws ChatError. */
  deleteMessage(id: string, signal?: AbortSignal): Promise<void>;
  /** Sets a room's description (its topic); throws ChatError. */
  putRoomDescription(room: string, description: string, signal?: AbortSignal): Promise<void>;
  /** Members of a room with their names, when the service says them (for online lists of bare ids). */
  getParticipants(room: string, signal?: AbortSignal): Promise<UserRef[]>;
}

/** Settings of the Doc B transport. `baseUrl` is the profile's URL (http(s) or ws(s)); the token is the API key. */
export interface DocBTransportOptions {
  baseUrl: string;
  token: string;
  user: UserRef | undefined;
  /** Per-request time limit, ms (default 15 s). */
  requestTimeoutMs?: number;
  /** WebSocket handshake time limit, ms (default 15 s). */
  handshakeTimeoutMs?: number;
}

/**
 * Splits a profile URL into the REST base (`…/api/v1`) and the socket base (`ws(s)://…`): http→ws,
 * https→wss; a path (a reverse proxy prefix) is kept, and a trailing `/api/v1` given by the user is not
 * doubled. Throws ChatError `protocol` for a URL that does not parse.
 */
export function chatapiUrls(base: string): { rest: string; ws: string } {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new ChatError('protocol', 'the profile URL is not a valid URL', { retryable: false });
  }
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  const httpProto = u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : 'http:';
  const wsProto = httpProto === 'https:' ? 'wss:' : 'ws:';
  return { rest: `${httpProto}//${u.host}${path}/api/v1`, ws: `${wsProto}//${u.host}${path}` };
}

/** The Doc B transport: `ws` for the room sockets, `fetch` for REST. */
export class DocBTransport implements ChatApiTransport {
  private readonly urls: { rest: string; ws: string };

  constructor(private readonly opts: DocBTransportOptions) {
    this.urls = chatapiUrls(opts.baseUrl);
  }

  /** Opens `/ws/{room_id}?token=…&user_id=…&user_name=…` (Doc B "Connection Parameters"). */
  openRoom(room: string, h: RoomSocketHandlers): RoomSocket {
    const params = new URLSearchParams({ token: this.opts.token });
    if (this.opts.user?.id) params.set('user_id', this.opts.user.id);
    if (this.opts.user?.name) params.set('user_name', this.opts.user.name);
    const url = `${this.urls.ws}/ws/${encodeURIComponent(room)}?${params.toString()}`;
    let ended = false;
    let opened = false;
    let refusal: ChatError | undefined;
    let lastError: Error | undefined;
    const end = (e: SocketEnd): void => {
      if (ended) return;
      ended = true;
      h.onEnd(e);
    };
    let ws: WebSocket;
    try {
      ws = openWebSocket(url, {
        handshakeTimeout: this.opts.handshakeTimeoutMs ?? 15_000,
        // Frames over 1 MiB are dropped with a notice by the session; far bigger ones end the socket inside ws.
        maxPayload: 8 * MAX_FRAME_BYTES,
      });
    } catch {
      // ws's own message holds the URL, and with it the key: never passed on
      queueMicrotask(() => end({ opened: false, code: 1006, reason: 'bad URL', error: new ChatError('protocol', `bad socket URL for room ${shortRoom(room)}`, { retryable: false }) }));
      return { sendTyping() {}, requestOnline() {}, ping() {}, close() {}, terminate() {} };
    }
    // The upgrade was answered with an HTTP status instead of 101 (a proxy, or a server that checks the key before upgrading).
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const ra = retryAfterMs(res.headers['retry-after'] as string | undefined);
      res.resume();
      refusal = httpError(status, undefined, `socket for room ${shortRoom(room)}`, ra);
      if (status >= 500 || status === 0) refusal = new ChatError('network', refusal.message, { retryable: true });
      ws.terminate();
    });
    ws.on('open', () => {
      opened = true;
      h.onOpen();
    });
    ws.on('ping', () => h.onActivity());
    ws.on('pong', () => h.onActivity());
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => h.onFrame(frameBuffer(data), isBinary));
    ws.on('error', (err: Error) => {
      lastError = err;
    });
    ws.on('close', (code: number, reasonBuf: Buffer) => {
      const reason = reasonBuf.toString('utf8').slice(0, 200);
      if (refusal) return end({ opened, code, reason, error: refusal });
      if (!opened) {
        const msg = lastError ? describeSocketError(lastError) : 'the connection closed before the socket opened';
        return end({ opened, code, reason, error: new ChatError('network', msg, { retryable: true }) });
      }
      if (lastError && /max payload/i.test(lastError.message)) return end({ opened, code, reason: 'a frame was far over the size limit' });
      end({ opened, code, reason });
    });
    const send = (text: string): void => {
      if (ws.readyState !== ws.OPEN) return;
      try {
        ws.send(text);
      } catch {
        // the close handler reports the end
      }
    };
    return {
      sendTyping: (on) => send(outgoingFrame('typing', { is_typing: on })),
      requestOnline: () => send(outgoingFrame('get_online_users')),
      ping: () => send(outgoingFrame('ping')),
      close: () => {
        if (ws.readyState === ws.CONNECTING) ws.terminate();
        else if (ws.readyState === ws.OPEN) ws.close(1000, 'Client disconnect');
        // a socket that does not finish its close handshake within a second is dropped
        const t = setTimeout(() => ws.terminate(), 1000);
        t.unref();
      },
      terminate: () => ws.terminate(),
    };
  }

  /** `GET /rooms/` (facts §B2/§B3: enveloped or bare list). */
  async listRooms(signal?: AbortSignal): Promise<RoomInfo[]> {
    const body = await this.request('GET', '/rooms/', undefined, 'list rooms', signal);
    const list = unwrapList(body, 'rooms');
    if (!list) throw new ChatError('protocol', 'list rooms: the server answered with no list of rooms');
    return list.map(parseRoom).filter((r): r is RoomInfo => r !== undefined);
  }

  /**
   * `GET /rooms/{id}/messages/?limit=N` (Doc B's messages.md per facts §B2), oldest first; with `before`
   * also `before=` and the real server's `before_message_id=` (facts §B3) — Doc B documents neither, so
   * the caller filters the answer when the server ignored them. Soft-deleted messages are dropped.
   */
  async getMessages(room: string, q: MessagesQuery, signal?: AbortSignal): Promise<ParsedMessage[]> {
    const params = new URLSearchParams({ limit: String(Math.max(1, Math.min(100, Math.floor(q.limit)))) });
    if (q.before) {
      params.set('before', q.before);
      params.set('before_message_id', q.before);
    }
    const body = await this.request('GET', `/rooms/${encodeURIComponent(room)}/messages/?${params.toString()}`, undefined, `history of room ${shortRoom(room)}`, signal);
    const list = unwrapList(body, 'messages');
    if (!list) throw new ChatError('protocol', `history of room ${shortRoom(room)}: the server answered with no list of messages`);
    const out = list.map((m) => parseMessage(m, room)).filter((m): m is ParsedMessage => m !== undefined && !m.deleted);
    // "oldest first" is the contract (facts §B3); a server sorted the other way is put right.
    out.sort((a, b) => (a.event.time < b.event.time ? -1 : a.event.time > b.event.time ? 1 : 0));
    return out;
  }

  /**
   * `POST /rooms/{id}/messages/` with `{sender_id, sender_name, content, message_type:"text"}` (Doc B example,
   * facts §B2), and `meta: {client_message_id: txnId}`: Doc B's free-form `meta` is stored with the message and
   * given back, so a copy of a send whose answer never came is known by it (the real server has no `meta`,
   * facts "disagrees" 6, and ignores it: then the outbox matches by author and text).
   */
  async postMessage(room: string, text: string, signal?: AbortSignal, txnId?: string): Promise<ParsedMessage> {
    const body: Record<string, unknown> = { content: text, message_type: 'text' };
    if (txnId !== undefined) body.meta = { client_message_id: txnId };
    if (this.opts.user?.id) body.sender_id = this.opts.user.id;
    if (this.opts.user?.name) body.sender_name = this.opts.user.name;
    const answer = await this.request('POST', `/rooms/${encodeURIComponent(room)}/messages/`, body, `send to room ${shortRoom(room)}`, signal);
    const parsed = parseMessage(unwrap(answer), room);
    if (!parsed) throw new ChatError('protocol', `send to room ${shortRoom(room)}: the server's answer holds no message id`);
    return parsed;
  }

  /**
   * `PUT /messages/{id}` with `{content}` (Doc B's messages.md per facts §B2; the Python server's
   * `PUT /messages/{id}` takes the same body, facts §B3). The answer's shape is not needed: the edit is
   * known. Errors: 404 `MESSAGE_NOT_FOUND` → not_found, 403 `UNAUTHORIZED_EDIT` → forbidden.
   */
  async putMessage(id: string, text: string, signal?: AbortSignal): Promise<void> {
    await this.request('PUT', `/messages/${encodeURIComponent(id)}`, { content: text }, 'edit the message', signal);
  }

  /** `PUT /rooms/{id}` with `{description}` (Doc B's rooms.md per facts §B2: GET/PUT/DELETE /rooms/{id}; the description is the topic). */
  async putRoomDescription(room: string, description: string, signal?: AbortSignal): Promise<void> {
    await this.request('PUT', `/rooms/${encodeURIComponent(room)}`, { description }, `set the topic of room ${shortRoom(room)}`, signal);
  }

  /** `DELETE /messages/{id}` (Doc B's messages.md per facts §B2; facts §B3: a soft delete on the Python server). */
  async deleteMessage(id: string, signal?: AbortSignal): Promise<void> {
    await this.request('DELETE', `/messages/${encodeURIComponent(id)}`, undefined, 'delete the message', signal);
  }

  /**
   * `GET /rooms/{id}/participants` (Doc B "Check Room Membership"; shape per facts §B2:
   * `[{user_id, user_name, …}]`, enveloped or bare). Entries without a user id are skipped.
   */
  async getParticipants(room: string, signal?: AbortSignal): Promise<UserRef[]> {
    const body = await this.request('GET', `/rooms/${encodeURIComponent(room)}/participants`, undefined, `participants of room ${shortRoom(room)}`, signal);
    const list = unwrapList(body, 'participants') ?? [];
    const out: UserRef[] = [];
    for (const item of list.slice(0, 10_000)) {
      const o = asObj(item);
      const u = o ? parseUser(o) : undefined;
      if (u) out.push(u);
    }
    return out;
  }

  /** One REST call with `X-API-Key` and `Authorization: Bearer` (facts §B7); see `restJson`. */
  private request(method: string, path: string, body: unknown, what: string, signal?: AbortSignal): Promise<unknown> {
    const headers = { 'x-api-key': this.opts.token, authorization: `Bearer ${this.opts.token}` };
    return restJson({ method, url: this.urls.rest + path, headers, body, what, signal, timeoutMs: this.opts.requestTimeoutMs });
  }
}

/** A room id shortened for messages (first 8 characters of a UUID). */
export function shortRoom(room: string): string {
  return room.length > 12 ? `${room.slice(0, 8)}…` : room;
}

/** One line for a socket error, without the URL (it holds the key). */
function describeSocketError(err: Error): string {
  const unreachable = cannotReachServer(err);
  if (unreachable) return unreachable;
  const first = (err.message.split('\n')[0] ?? 'socket error').replace(/wss?:\/\/\S+/g, '<url>');
  return first.slice(0, 200);
}
