import { createRequire } from 'node:module';
import type { Socket } from 'socket.io-client';
import type { ConnectorContext, RoomInfo, ServiceTraits } from '../../../core/connector.js';
import { guardFrame, readByPaging, type Copy, type LinkAttempt, type LinkConnection, type ReadMissed } from '../../../core/connection/index.js';
import { ChatError, toChatError } from '../../../core/errors.js';
import type { UserRef } from '../../../core/events.js';
import { sanitize, sanitizeLine } from '../../../core/sanitize.js';
import { cannotReachServer } from '../../http.js';
import { AccountSession, type AccountSessionOptions } from '../account.js';
import { restJson } from '../rest.js';
import { shortRoom } from '../transport.js';
import { MAX_FRAME_BYTES, asId, asName, asObj, parseMessage, parseRoom, parseUser, type Obj } from '../wire.js';
import { nickPatch } from '../names.js';
import { Replies } from './replies.js';


type Io = typeof import('socket.io-client').io;
let ioFn: Io | undefined;
/**
 * socket.io-client's `io`, loaded on the first Socket.IO connection: a static import cost every start of
 * chat-tui ~70 ms of CPU (the TUI, `demo`, `tail`), Doc B and v2 profiles included.
 */
const loadIo = (): Io => (ioFn ??= (createRequire(import.meta.url)('socket.io-client') as { io: Io }).io);

/**
 * The `socketio` transport: the Python ChatAPI server (facts §B3–B5; `app/sockets/sockets.py`,
 * `app/api/api_v1/routes/*.py` at 365bef1) — Socket.IO v5 at `/sockets/` with the official
 * `socket.io-client` (websocket transport only: the server runs several workers without sticky
 * sessions, facts §B4), `auth: {api_key, user_id, display_name}`, one connection per account that the
 * server joins to every room we are a member of; REST under `/api/v1` with `Authorization: Bearer`
 * (the only header since 59ee347, facts §B3). Socket.IO's own reconnection is off: the kit's link
 * owns the policy. Edits and deletes are never pushed (facts §B3 "No REST call broadcasts"):
 * the `edits` trait is false.
 */

const SOCKETIO_TRAITS: ServiceTraits = { typingReceive: true, presence: true, edits: false, readOnly: false, atMentions: true };

/** Tunables of the socketio session, for tests. All times in ms. */
export interface SocketIoSessionOptions extends AccountSessionOptions {
  /** How long a reply event (`rooms`, `room_joined`, `messages`) is waited for (default 10 s). */
  replyTimeoutMs?: number;
}

/** The largest history page (`limit` 1..100, routes/message.py). */
const PAGE = 100;
/** Least wait after the server disconnected us on purpose (another client of the same user connected, facts §B4), ms. */
const KICKED_FLOOR_MS = 2000;

/** A Socket.IO session (see the module comment). */
export class SocketIoSession extends AccountSession<Copy> {
  protected readonly pageSize = PAGE;
  private readonly origin: string;
  private readonly prefix: string;
  private readonly token: string;
  private socket: Socket | undefined;
  private readonly replies = new Replies();
  /** Message id → its offset from the newest, from `get_messages` pages (the socket's history has no cursor). */
  private readonly offsets = new Map<string, number>();

  constructor(ctx: ConnectorContext, opts: SocketIoSessionOptions = {}) {
    super(ctx, opts, SOCKETIO_TRAITS);
    let u: URL;
    try {
      u = new URL(ctx.profile.url ?? 'http://localhost:8000');
    } catch {
      throw new ChatError('protocol', 'the profile URL is not a valid URL', { retryable: false });
    }
    const secure = u.protocol === 'https:' || u.protocol === 'wss:';
    this.origin = `${secure ? 'https:' : 'http:'}//${u.host}`;
    this.prefix = u.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
    this.token = ctx.token ?? '';
  }

  private get replyMs(): number {
    return (this.opts as SocketIoSessionOptions).replyTimeoutMs ?? 10_000;
  }

  private rest(method: string, path: string, what: string, body?: unknown, signal: AbortSignal = this.abort.signal): Promise<unknown> {
    const url = `${this.origin}${this.prefix}/api/v1${path}`;
    return restJson({ method, url, headers: { authorization: `Bearer ${this.token}` }, body, what, signal, timeoutMs: this.opts.requestTimeoutMs });
  }

  protected isRoomId(ref: string): boolean {
    return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
  }

  private connectedNow(): Socket | undefined {
    return this.socket?.connected ? this.socket : undefined;
  }

  /**
   * One Socket.IO connection. `connect_error` from the server (the connect handler returned False:
   * a missing field or a key it does not know, facts §B4) is an auth failure, not retried; a
   * transport failure is a network failure, retried by the link.
   */
  protected openConnection(a: LinkAttempt): LinkConnection {
    const me = this.me();
    const auth: Record<string, string> = { api_key: this.token, user_id: me?.id ?? '' };
    if (me?.name) auth.display_name = me.name;
    const opts = {
      path: `${this.prefix}/sockets`,
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: 15_000,
      auth,
      extraHeaders: { 'user-agent': 'chat-tui' },
      // as every ws client of chat-tui (core/connection/ws.ts): no permessage-deflate; frames far over the limit end the socket
      perMessageDeflate: false,
      maxPayload: 8 * MAX_FRAME_BYTES,
    };
    const socket = loadIo()(this.origin, opts as unknown as Parameters<Io>[1]);
    this.socket = socket;
    const end = (e: Parameters<LinkAttempt['end']>[0]): void => {
      if (this.socket === socket) this.socket = undefined;
      this.replies.clear();
      socket.removeAllListeners();
      socket.offAny();
      a.end(e);
    };
    socket.on('connect', () => {
      a.up();
    });
    socket.on('connect_error', (err: Error & { type?: string; description?: unknown }) => {
      socket.disconnect();
      end({ error: connectError(err) });
    });
    socket.on('disconnect', (reason: string) => {
      if (reason === 'io server disconnect') {
        this.notices.notice('kicked', 'the server closed the connection (another client of this user connected?); connecting again');
        return end({ said: 'the server closed the connection', floorMs: KICKED_FLOOR_MS });
      }
      end({ said: `connection lost (${reason})` });
    });
    socket.onAny((event: unknown, ...args: unknown[]) => {
      a.alive();
      guardFrame(
        () => this.onEvent(typeof event === 'string' ? event : '', args[0]),
        () => this.notices.notice('crash', 'ignored an event the client could not handle'),
      );
    });
    const close = (): void => {
      socket.disconnect();
      end({ said: 'closed' });
    };
    return { close, terminate: close };
  }

  /** After each connect: the online list (`online_users`, no argument: facts §B4). */
  protected connected(): void {
    this.connectedNow()?.emit('online_users');
  }

  /** One server event (facts §B4 "Events"); unknown events are ignored. */
  private onEvent(event: string, raw: unknown): void {
    if (this.replies.offer(event, raw)) return;
    const d: Obj = asObj(raw) ?? {};
    const room = asId(d.room_id);
    switch (event) {
      case 'connected': {
        const id = asId(d.user_id);
        if (id) this.self = { id, name: asName(d.display_name) ?? id };
        return;
      }
      case 'message': {
        if (!room) return this.notices.notice('malformed', 'ignored a malformed message');
        const m = parseMessage(d, room);
        if (!m) return this.notices.notice('malformed', 'ignored a malformed message', room);
        if (!m.deleted) this.live(room, m.event);
        return;
      }
      case 'typing_start':
      case 'typing_stop': {
        const u = parseUser(d);
        if (room && u) this.typingOf(room, u, event === 'typing_start');
        return;
      }
      case 'user_online':
      case 'user_offline': {
        const id = asId(d.user_id);
        if (!id) return;
        return event === 'user_online' ? this.userOnline({ id, name: id }) : this.userOffline(id);
      }
      case 'user_status': {
        const id = asId(d.user_id);
        if (id) d.online === true ? this.userOnline({ id, name: id }) : this.userOffline(id);
        return;
      }
      case 'online_users': {
        if (!Array.isArray(d.users)) return;
        const users = d.users.slice(0, this.maxOnline).map(asId).filter((x): x is string => x !== undefined);
        return this.onlineList(users.map((id) => ({ id, name: id })));
      }
      case 'user_joined_room': {
        const u = parseUser(d);
        if (room && u) this.roomJoin(room, u);
        return;
      }
      case 'user_left_room': {
        const id = asId(d.user_id);
        if (room && id) this.roomLeave(room, id);
        return;
      }
      case 'notification': {
        const text = [asName(d.subject), asName(d.content)].filter(Boolean).join(': ');
        if (text) this.emit({ type: 'notice', text: text.slice(0, 500) });
        return;
      }
      case 'error':
        return this.notices.notice('server_error', `server: ${(asName(d.message) ?? 'error').slice(0, 200)}`);
      default:
        return; // pong, room_left, messages_read, messages_marked_read, events of later versions
    }
  }

  /** `get_rooms` (no argument) → `rooms {rooms:[{room_id,name,description,…}]}`; without a connection `GET /rooms/` (RoomRead list). */
  protected async fetchRooms(signal: AbortSignal): Promise<RoomInfo[]> {
    const socket = this.connectedNow();
    if (socket) {
      const got = await this.replies.serial(() => this.replies.wait(['rooms'], () => socket.emit('get_rooms'), this.replyMs, undefined, signal));
      const list = asObj(got?.[1])?.rooms;
      if (Array.isArray(list)) return list.map(parseRoom).filter((r): r is RoomInfo => r !== undefined);
    }
    const body = await this.rest('GET', '/rooms/', 'list rooms', undefined, signal);
    if (!Array.isArray(body)) throw new ChatError('protocol', 'list rooms: the server answered with no list of rooms');
    return body.map(parseRoom).filter((r): r is RoomInfo => r !== undefined);
  }

  /**
   * `join_room {room_id}` → `room_joined` (the server already put us in every room we are a member of
   * at connect; the join tells the others, `user_joined_room`), or `error "Access denied to room"`
   * (not a member: forbidden). One join at a time, so that an `error` is this join's.
   */
  protected async enter(room: string): Promise<void> {
    const socket = this.connectedNow();
    if (!socket) return;
    const got = await this.replies.serial(() =>
      this.replies.wait(['room_joined', 'error'], () => socket.emit('join_room', { room_id: room }), this.replyMs, (ev, data) => ev === 'error' || asId(asObj(data)?.room_id) === room),
    );
    if (got?.[0] !== 'error') return;
    const why = asName(asObj(got[1])?.message) ?? 'refused';
    const label = `room ${shortRoom(room)}`;
    if (/access denied/i.test(why)) throw new ChatError('forbidden', `access to ${label} denied (${why}): the account is not a member`, { retryable: false });
    if (/not authenticated/i.test(why)) throw new ChatError('auth', `${label}: ${why}`, { retryable: false });
    throw new ChatError('not_found', `${label}: the server could not join it (${why})`, { retryable: false });
  }

  protected async fetchMembers(room: string, signal: AbortSignal): Promise<UserRef[]> {
    const body = await this.rest('GET', `/rooms/${encodeURIComponent(room)}/members`, `members of room ${shortRoom(room)}`, undefined, signal);
    if (!Array.isArray(body)) return [];
    return body.slice(0, 10_000).flatMap((m) => {
      const u = asObj(m) && parseUser(asObj(m)!);
      return u ? [u] : [];
    });
  }

  /**
   * `GET /messages/rooms/{id}?limit&before_message_id` (the newest `limit` before the cursor, oldest
   * first, deleted ones left out: facts §B3). When REST fails (its MessageRead endpoints may answer
   * 500, facts §B3 "Caution") the socket's `get_messages {room_id, limit, offset}` is asked instead.
   */
  protected async page(room: string, before: string | undefined, limit: number, signal: AbortSignal): Promise<Copy[]> {
    const q = new URLSearchParams({ limit: String(Math.max(1, Math.min(PAGE, limit))) });
    if (before !== undefined) q.set('before_message_id', before);
    try {
      const body = await this.rest('GET', `/messages/rooms/${encodeURIComponent(room)}?${q.toString()}`, `history of room ${shortRoom(room)}`, undefined, signal);
      if (!Array.isArray(body)) throw new ChatError('protocol', `history of room ${shortRoom(room)}: the server answered with no list of messages`);
      return messagesOf(body, room);
    } catch (err) {
      const e = toChatError(err);
      const socket = this.connectedNow();
      if (!socket || (e.code !== 'network' && e.code !== 'protocol')) throw e;
      return this.pageOverSocket(socket, room, before, limit, signal, e);
    }
  }

  private async pageOverSocket(socket: Socket, room: string, before: string | undefined, limit: number, signal: AbortSignal, restError: ChatError): Promise<Copy[]> {
    const at = before === undefined ? -1 : this.offsets.get(before);
    if (at === undefined) throw restError;
    const offset = at + 1;
    const n = Math.max(1, Math.min(PAGE, limit));
    const got = await this.replies.serial(() =>
      this.replies.wait(['messages', 'error'], () => socket.emit('get_messages', { room_id: room, limit: n, offset }), this.replyMs, (ev, data) => ev === 'error' || asId(asObj(data)?.room_id) === room, signal),
    );
    const list = asObj(got?.[1])?.messages;
    if (got?.[0] !== 'messages' || !Array.isArray(list)) throw restError;
    const page = messagesOf(list, room);
    page.forEach((m, i) => this.offsets.set(m.id, offset + page.length - 1 - i));
    if (this.offsets.size > 20_000) this.offsets.clear();
    return page;
  }

  protected readMissed(room: string): ReadMissed<Copy> {
    return readByPaging((before, limit, signal) => this.page(room, before, limit, signal), PAGE, this.backfillPages);
  }

  /**
   * On the socket: `send_message {room_id, content}`, confirmed by its echo (the `message` event to the
   * whole room, sender included, facts §B4). Without a connection: `POST /messages/ {room_id, content}`
   * (answered with the message, never pushed to the sockets, facts §B3).
   */
  protected async post(room: string, text: string, txnId: string): Promise<Copy> {
    const what = `send to room ${shortRoom(room)}`;
    const socket = this.connectedNow();
    if (socket) {
      const timeoutMs = this.opts.echoTimeoutMs ?? 10_000;
      const timeout = (): ChatError => new ChatError('network', `${what}: the server did not confirm the message within ${Math.round(timeoutMs / 1000)} s`, { retryable: true });
      return this.pending.send(room, text, txnId, async () => void socket.emit('send_message', { room_id: room, content: text, content_type: 'text' }), { timeoutMs, timeout });
    }
    return this.pending.send(
      room,
      text,
      txnId,
      async () => {
        const m = parseMessage(await this.rest('POST', '/messages/', what, { room_id: room, content: text, content_type: 'text' }), room);
        if (!m) throw new ChatError('protocol', `${what}: the server's answer holds no message id`);
        return m.event;
      },
      { answers: true },
    );
  }

  /**
   * `PUT /messages/{id} {content}` (routes/message.py, facts §B3: 404 "Message not found or cannot be
   * edited"; the sender is not checked by the server, so the UI offers only our own messages). REST
   * edits are never pushed (facts §B3), so the session emits the edit itself.
   */
  async editMessage(room: string, id: string, text: string): Promise<void> {
    await this.rest('PUT', `/messages/${encodeURIComponent(id)}`, 'edit the message', { content: text });
    this.emit({ type: 'message.edit', room, id, text: sanitize(text), time: new Date().toISOString() });
  }

  /**
   * `PUT /rooms/{id} {description}` (RoomUpdate, facts §B3: owner or admin only, otherwise 403 →
   * forbidden); the description is the topic. Not pushed, so the session emits the room's new topic.
   */
  async setTopic(room: string, topic: string): Promise<void> {
    await this.rest('PUT', `/rooms/${encodeURIComponent(room)}`, `set the topic of room ${shortRoom(room)}`, { description: topic });
    this.emit({ type: 'room', room, topic: sanitizeLine(topic) });
  }

  /** `/nick`: the Socket.IO auth's `display_name` comes from the profile's `userName` (names.ts). */
  setNick(name: string): { userName: string } {
    return nickPatch(name);
  }

  /** `DELETE /messages/{id}` (a soft delete, facts §B3); never pushed, so the session emits the delete. */
  async deleteMessage(room: string, id: string): Promise<void> {
    await this.rest('DELETE', `/messages/${encodeURIComponent(id)}`, 'delete the message');
    this.emit({ type: 'message.delete', room, id });
  }

  protected sendTypingFrame(room: string, on: boolean): boolean {
    const socket = this.connectedNow();
    if (!socket) return false;
    socket.emit(on ? 'typing_start' : 'typing_stop', { room_id: room });
    return true;
  }

  protected left(room: string): void {
    this.connectedNow()?.emit('leave_room', { room_id: room });
  }
}

/** Messages of a list (REST MessageRead or socket `messages` items), oldest first, deleted ones left out. */
function messagesOf(list: unknown[], room: string): Copy[] {
  const out: Copy[] = [];
  for (const item of list) {
    const m = parseMessage(item, room);
    if (m && !m.deleted) out.push(m.event);
  }
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

/** The error of a `connect_error`: the server's refusal (auth), a 404 at the upgrade (no Socket.IO there), or a network failure. */
function connectError(err: Error & { type?: string; description?: unknown }): ChatError {
  if (err.type === 'TransportError') {
    const desc = err.description as { message?: unknown } | undefined;
    const status = /Unexpected server response: (\d+)/.exec(typeof desc?.message === 'string' ? desc.message : '')?.[1];
    if (status === '404') return new ChatError('not_found', 'the server has no Socket.IO at /sockets/: is it the Python ChatAPI? (try --protocol auto)', { retryable: false });
    return new ChatError('network', cannotReachServer(err.description) ?? `socket: ${status ? `HTTP ${status}` : 'connection failed'}`, { retryable: true });
  }
  if (err.message === 'timeout') return new ChatError('network', 'socket: no answer within 15 s', { retryable: true });
  const why = asName(err.message) ?? 'refused';
  return new ChatError('auth', `the server refused the connection (${why}): check --token and --user-id`, { retryable: false });
}
