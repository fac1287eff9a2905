import { capabilitiesOf, type Capabilities, type ConnectorContext, type ConnectorSession, type HistoryOptions, type RoomInfo, type ServiceTraits } from '../../core/connector.js';
import { NoticeThrottle, PendingSends, SafeEmitter, firstReady, pageBack } from '../../core/connection/index.js';
import { ChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import type { Backoff } from '../../core/reconnect.js';
import { sanitize, sanitizeLine } from '../../core/sanitize.js';
import { NameBook, nickPatch } from './names.js';
import { RoomBook } from './room-book.js';
import { PAGE, RoomLink } from './room-link.js';
import { DocBTransport, type ChatApiTransport } from './transport.js';
import { TypingDebounce } from './typing.js';

/**
 * A chatapi session: one WebSocket per room (Doc B "Connection", room-link.ts), sends and history over
 * REST, debounced typing. Reconnects, backfill, exactly-once delivery, echo matching and notices are the
 * core connection kit's (src/core/connection/). The network is behind `ChatApiTransport` (transport.ts;
 * facts §B7).
 */

/** What the Doc B protocol carries besides the methods of the session (Doc B "Incoming Messages"). */
const CHATAPI_TRAITS: ServiceTraits = {
  typingReceive: true,
  presence: true,
  edits: true,
  readOnly: false,
  atMentions: true,
};

/** Tunables, for tests. All times in ms. */
export interface ChatApiSessionOptions {
  /** App-level `ping` every this long while a socket is open (default 25 s). */
  heartbeatIntervalMs?: number;
  /** No frame at all within this long after a `ping` → the socket is dead: terminate and reconnect (default 10 s). */
  heartbeatTimeoutMs?: number;
  /** An open socket with no frame yet counts as connected after this long (default 1.5 s; the first frame counts at once). */
  connectedGraceMs?: number;
  /** Typing stops after this long without input (default 3 s, Doc B example). */
  typingIdleMs?: number;
  /** Least wait after a 4004 close (default 5 × the backoff base, i.e. 5 s). */
  rateLimitFloorMs?: number;
  /**
   * Most history pages (of 100) read to backfill one gap (default 50: 5,000 messages, as glimesh). A busy
   * room during a 30 s reconnect wait (the backoff's cap) can pass 1,000 messages; the soak lost some at 10.
   */
  backfillPages?: number;
  /** Most users in a room's online list (default 10,000, as many as a connection_status list is read for); a user_joined of a new user beyond it is ignored. */
  maxOnline?: number;
  /** Backoff factory (default: core Backoff with its env overrides). */
  backoff?: () => Backoff;
  /** Transport factory (default: the Doc B transport). */
  transport?: (ctx: ConnectorContext) => ChatApiTransport;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The session object the registry's `create` returns: one `RoomLink` per open room, REST through the
 * transport. Events go to `ctx.emit` (sanitised); nothing is emitted after `disconnect()`.
 */
export class ChatApiSession implements ConnectorSession {
  readonly capabilities: Capabilities;
  readonly transport: ChatApiTransport;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly connectedGraceMs: number;
  readonly rateLimitFloorMs: number;
  readonly backfillPages: number;
  readonly maxOnline: number;
  readonly abort = new AbortController();
  readonly names = new NameBook();
  readonly notices: NoticeThrottle;
  readonly typing: TypingDebounce;
  /** Our sends: a live or backfilled copy carries the txnId of the send. */
  readonly pending = new PendingSends(() => this.me()?.id);
  private readonly emitter: SafeEmitter;
  private readonly links = new Map<string, RoomLink>();
  /** Room names from `GET /rooms/`, profile references by name, parted and unknown rooms (room-book.ts). */
  private readonly book: RoomBook;

  constructor(
    private readonly ctx: ConnectorContext,
    readonly opts: ChatApiSessionOptions = {},
  ) {
    this.capabilities = capabilitiesOf(this, CHATAPI_TRAITS, ctx.profile.sendTyping === false ? { typingSend: false } : {});
    this.emitter = new SafeEmitter(ctx.emit);
    // Doc B addresses rooms by UUID; a room given by name (`--room general`) is looked up in GET /rooms/.
    this.book = new RoomBook(() => this.transport.listRooms(this.abort.signal), (ev) => this.emit(ev), (ref) => UUID.test(ref));
    this.notices = new NoticeThrottle((text, room) => this.emit(room === undefined ? { type: 'notice', text } : { type: 'notice', text, room }));
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 25_000;
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 10_000;
    this.connectedGraceMs = opts.connectedGraceMs ?? 1500;
    this.rateLimitFloorMs = opts.rateLimitFloorMs ?? 5 * Number(process.env.CHAT_TUI_BACKOFF_BASE_MS ?? 1000);
    this.backfillPages = opts.backfillPages ?? 50;
    this.maxOnline = opts.maxOnline ?? 10_000;
    this.typing = new TypingDebounce(opts.typingIdleMs ?? 3000, (room, on) => {
      const socket = this.links.get(room)?.socket;
      if (!socket) return false;
      socket.sendTyping(on);
      return true;
    });
    const me = this.me();
    if (me) this.names.learn(me);
    this.transport =
      opts.transport?.(ctx) ??
      new DocBTransport({ baseUrl: ctx.profile.url ?? DEFAULT_URL, token: ctx.token ?? '', user: me });
  }

  /** Emits unless disconnected (a listener's failure never breaks a socket loop). */
  emit(ev: ConnectorEvent): void {
    this.emitter.emit(ev);
  }

  /** A new message of a room (once per id, from the room's stream): our sends carry their txnId. */
  deliver(ev: Omit<MessageEvent, 'profile'>): void {
    this.names.learn(ev.author);
    this.emit(this.pending.match(ev));
  }

  /** Our user on the socket query string (profile userId/userName). */
  me(): UserRef | undefined {
    const id = this.ctx.profile.userId;
    if (!id) return undefined;
    return { id, name: this.ctx.profile.userName || id };
  }

  /**
   * Opens a socket per profile room and resolves when one is connected; rejects with the first error
   * when every room failed for good (4001 auth, 4002 not_found, 4003 forbidden). With no rooms it checks
   * the key with `GET /rooms/` instead. Retryable failures keep retrying in the background.
   */
  connect(signal: AbortSignal): Promise<void> {
    return this.emitter.connectOnce(signal, () => this.disconnect(), () => this.doConnect());
  }

  private async doConnect(): Promise<void> {
    const refs = [...new Set(this.ctx.profile.rooms ?? [])];
    if (refs.length === 0) {
      await this.listRooms();
      this.emit({ type: 'connection', state: 'connected' });
      return;
    }
    const { rooms, failures } = await this.book.resolveAll(refs);
    for (const e of failures) this.emit({ type: 'error', code: e.code, message: e.message });
    if (refs.every((r) => UUID.test(r))) this.book.refresh().catch(() => {}); // names only; the sockets report auth problems themselves
    const links = rooms.map((r) => this.openLink(r));
    await firstReady(
      links.map((l) => l.link.ready),
      () => failures[0] ?? new ChatError('not_found', 'no room to open', { retryable: false }),
    );
  }

  private openLink(room: string): RoomLink {
    let link = this.links.get(room);
    this.book.parted.delete(room);
    if (link?.link.state === 'failed') {
      // a room refused earlier (4002/4003) is tried again when asked for again
      this.links.delete(room);
      link = undefined;
    }
    if (!link) {
      link = new RoomLink(this, room);
      this.links.set(room, link);
      link.link.start();
    }
    return link;
  }

  async disconnect(): Promise<void> {
    if (this.emitter.closed) return;
    for (const l of this.links.values()) l.link.stop(true);
    this.typing.clear();
    await this.emitter.close(this.abort, this.pending);
  }

  /** Reconnect now (the kit's one meaning: every room's next attempt starts at once). */
  reconnectNow(): void {
    for (const l of this.links.values()) l.link.reconnectNow();
  }

  /**
   * `POST /rooms/{id}/messages/` (Doc B's own example sends over REST; facts §B2). Stops our typing
   * indicator first. Resolves with the server's copy and `txnId`; rejects with ChatError (auth,
   * forbidden, not_found, rate_limited with retryAfterMs, network, protocol).
   */
  async send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    this.setTyping(room, false);
    const copy = await this.pending.send(room, text, txnId, async () => (await this.transport.postMessage(room, text, this.abort.signal, txnId)).event, { answers: true });
    return { ...copy, profile: this.ctx.profile.name };
  }

  rooms(): RoomInfo[] {
    return this.book.rooms(this.ctx.profile.rooms ?? [], this.links.keys());
  }

  /**
   * Messages of `room`, oldest first: the latest `limit`, or those before message `before`. Pages of 100
   * (`before=`/`before_message_id=`; answers of a server that ignores them are filtered by the kit's pageBack).
   */
  async history(room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    const want = Math.max(1, Math.floor(opts.limit));
    const q: Parameters<typeof pageBack<Omit<MessageEvent, 'profile'>>>[0] = {
      page: async (before, limit) => {
        const query: { limit: number; before?: string } = { limit };
        if (before !== undefined) query.before = before;
        return (await this.transport.getMessages(room, query, this.abort.signal)).map((m) => m.event);
      },
      pageSize: PAGE,
      maxPages: Math.ceil(want / PAGE) + 2,
      want,
    };
    if (opts.before !== undefined) q.before = opts.before;
    const { messages } = await pageBack(q);
    for (const m of messages) this.names.learn(m.author);
    return messages.map((m) => ({ ...m, profile: this.ctx.profile.name }));
  }

  /** `GET /rooms/` as RoomInfo; learns names and emits `room` events for the rooms we have open. */
  listRooms(): Promise<RoomInfo[]> {
    return this.book.refresh();
  }

  /**
   * A room by id or name (case-insensitive, a leading `#` ignored): our rooms, then `GET /rooms/`; an id
   * that looks like a UUID is taken as is. Throws ChatError not_found.
   */
  resolveRoom(ref: string): Promise<RoomInfo> {
    return this.book.resolve(ref);
  }

  /** Opens another room's socket (`/join`); resolves once connected, rejects on a refusal. */
  async joinRoom(ref: string): Promise<RoomInfo> {
    const info = await this.resolveRoom(ref);
    this.book.info.set(info.id, info);
    const link = this.openLink(info.id);
    try {
      await link.link.ready;
    } catch (err) {
      link.link.stop();
      this.links.delete(info.id);
      throw err;
    }
    return info;
  }

  /** Closes a room's socket. */
  async partRoom(room: string): Promise<void> {
    const link = this.links.get(room);
    if (!link) return;
    this.setTyping(room, false);
    link.link.stop(true);
    this.links.delete(room);
    this.book.parted.add(room);
  }

  /**
   * Typing indicator, debounced (Doc B example; typing.ts). No-op when the profile says
   * `sendTyping: false`, after disconnect, or when the room's socket is not open.
   */
  /**
   * Edits our message over REST (transport `putMessage`), then emits the edit: Doc B pushes
   * `message_updated` to the room's socket, the real Python server pushes nothing (facts §B3 "No REST
   * call broadcasts"), so the session says it itself; a pushed copy repeats the same text.
   */
  async editMessage(room: string, id: string, text: string): Promise<void> {
    await this.transport.putMessage(id, text, this.abort.signal);
    this.emit({ type: 'message.edit', room, id, text: sanitize(text), time: new Date().toISOString() });
  }

  /** Deletes our message over REST, then emits the delete (as `editMessage`, for the same reason). */
  async deleteMessage(room: string, id: string): Promise<void> {
    await this.transport.deleteMessage(id, this.abort.signal);
    this.emit({ type: 'message.delete', room, id });
  }

  /** Sets the room's description (Doc B's rooms are `{name, description}`; the description is the topic), then emits it. */
  async setTopic(room: string, topic: string): Promise<void> {
    await this.transport.putRoomDescription(room, topic, this.abort.signal);
    const info = this.book.info.get(room);
    if (info) info.topic = sanitizeLine(topic);
    this.emit({ type: 'room', room, topic: sanitizeLine(topic) });
  }

  /** `/nick`: the display name is the socket's `user_name`, from the profile's `userName` (names.ts). */
  setNick(name: string): { userName: string } {
    return nickPatch(name);
  }

  setTyping(room: string, typing: boolean): void {
    if (!this.capabilities.typingSend || this.emitter.closed) return;
    this.typing.set(room, typing);
  }
}

/** Capabilities of the Doc B protocol: the methods of the session, and what the protocol carries. */
export const CHATAPI_CAPABILITIES: Capabilities = capabilitiesOf(ChatApiSession.prototype, CHATAPI_TRAITS);

/** Default base URL: the production host of Doc B (facts §B1: not backed by anything we could check). */
export const DEFAULT_URL = 'https://api.chatapi.dev';
