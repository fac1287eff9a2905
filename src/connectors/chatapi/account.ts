import { capabilitiesOf, type Capabilities, type ConnectorContext, type ConnectorSession, type HistoryOptions, type RoomInfo, type ServiceTraits } from '../../core/connector.js';
import {
  CatchUp,
  NoticeThrottle,
  PendingSends,
  ReconnectingLink,
  SafeEmitter,
  pageBack,
  type CatchUpOptions,
  type Copy,
  type LinkAttempt,
  type LinkConnection,
  type LinkOptions,
  type ReadMissed,
} from '../../core/connection/index.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import type { Backoff } from '../../core/reconnect.js';
import { NameBook } from './names.js';
import { RoomPresence } from './presence.js';
import { RoomBook } from './room-book.js';
import { shortRoom } from './transport.js';
import { TypingDebounce } from './typing.js';

/**
 * The shape the real ChatAPI servers share (facts §B4 Socket.IO, §B6 the Go `/ws`): ONE connection
 * per account that carries every room, unlike Doc B's socket per room. The connection is the kit's
 * `ReconnectingLink` (one reconnect policy), each open room has its own `CatchUp` stream (exactly
 * once, in order, backfilled after every reconnect) and online list; rooms, history paging, sends,
 * typing and presence bookkeeping live here once. A protocol subclass supplies the wire: how to open
 * the connection, list and enter rooms, read history and post.
 */

/** Tunables of an account session, for tests. All times in ms. */
export interface AccountSessionOptions {
  /** Backoff factory (default: core Backoff with its env overrides). */
  backoff?: () => Backoff;
  /** Typing stops after this long without input (default 3 s). */
  typingIdleMs?: number;
  /** Most history pages read to backfill one room after a reconnect (default 50). */
  backfillPages?: number;
  /** Most users in a room's online list (default 10,000). */
  maxOnline?: number;
  /** Per-request time limit of REST calls (default 15 s). */
  requestTimeoutMs?: number;
  /** A send confirmed only by its echo fails after this long (default 10 s). */
  echoTimeoutMs?: number;
}

/** An open room: its message stream, its online list, and its members when known (for global presence). */
export interface AccountRoom<M extends Copy> {
  id: string;
  stream: CatchUp<M>;
  presence: RoomPresence;
  members: Set<string> | undefined;
}

/** A message as the account stream carries it: a core message, maybe with protocol fields (`seq`). */
export type AccountMessage = Copy;

/** The base of the `socketio` and `v2` sessions. */
export abstract class AccountSession<M extends AccountMessage> implements ConnectorSession {
  readonly capabilities: Capabilities;
  readonly link: ReconnectingLink;
  readonly abort = new AbortController();
  readonly names = new NameBook();
  readonly notices: NoticeThrottle;
  /** Our sends: every later copy of one carries its txnId. */
  readonly pending = new PendingSends(() => this.me()?.id);
  protected readonly book: RoomBook;
  protected readonly open = new Map<string, AccountRoom<M>>();
  /** Users the server said are online (global on both servers), id → name. */
  protected readonly online = new Map<string, string>();
  /** Our user as the server told it (Socket.IO `connected`, a JWT's `sub`). */
  protected self: UserRef | undefined;
  protected readonly backfillPages: number;
  protected readonly maxOnline: number;
  private readonly emitter: SafeEmitter;
  private readonly typing: TypingDebounce;

  /** The largest history page the server answers. */
  protected abstract readonly pageSize: number;

  constructor(
    protected readonly ctx: ConnectorContext,
    readonly opts: AccountSessionOptions,
    traits: ServiceTraits,
    link: Partial<Pick<LinkOptions, 'liveness' | 'describe'>> = {},
  ) {
    this.capabilities = capabilitiesOf(this, traits, ctx.profile.sendTyping === false ? { typingSend: false } : {});
    this.emitter = new SafeEmitter(ctx.emit);
    this.notices = new NoticeThrottle((text, room) => this.emit(room === undefined ? { type: 'notice', text } : { type: 'notice', text, room }));
    this.backfillPages = opts.backfillPages ?? 50;
    this.maxOnline = opts.maxOnline ?? 10_000;
    this.typing = new TypingDebounce(opts.typingIdleMs ?? 3000, (room, on) => this.link.state === 'connected' && this.open.has(room) && this.sendTypingFrame(room, on));
    this.book = new RoomBook(() => this.fetchRooms(this.abort.signal), (ev) => this.emit(ev), (ref) => this.isRoomId(ref));
    const me = this.me();
    if (me) this.names.learn(me);
    const lo: LinkOptions = {
      emit: (ev) => this.emit(ev),
      open: (a) => this.openConnection(a),
      onUp: (again) => this.up(again),
      onDown: () => {
        for (const r of this.open.values()) {
          r.stream.drop();
          this.typing.reset(r.id);
        }
      },
      ...link,
    };
    const backoff = opts.backoff?.();
    if (backoff) lo.backoff = backoff;
    this.link = new ReconnectingLink(lo);
  }

  // ---- the wire, per protocol ----

  /** Opens the account's connection for one attempt of the link (calls `a.up()` once accepted). */
  protected abstract openConnection(a: LinkAttempt): LinkConnection | Promise<LinkConnection>;
  /** The account's rooms from the server. */
  protected abstract fetchRooms(signal: AbortSignal): Promise<RoomInfo[]>;
  /** Makes the server send us `room` (join it, or check that it exists); throws ChatError (not_found, forbidden). */
  protected abstract enter(room: string): Promise<void>;
  /** Members of `room` (for online lists that are global); best effort. */
  protected abstract fetchMembers(room: string, signal: AbortSignal): Promise<UserRef[]>;
  /** One history page: at most `limit` messages older than `before` (the newest when undefined), oldest first. */
  protected abstract page(room: string, before: string | undefined, limit: number, signal: AbortSignal): Promise<M[]>;
  /** How the messages missed since a stream's anchor are read after a reconnect (undefined: no history → gap). */
  protected abstract readMissed(room: string): ReadMissed<M> | undefined;
  /** Posts `text`; resolves with the server's copy carrying `txnId` (through `pending`). */
  protected abstract post(room: string, text: string, txnId: string): Promise<Copy>;
  /** Puts a typing frame on the connection; false when it cannot. */
  protected abstract sendTypingFrame(room: string, on: boolean): boolean;
  /** Whether a room reference is an id (taken as is) rather than a name to look up. */
  protected abstract isRoomId(ref: string): boolean;
  /** Stream settings of the protocol (anchor order, merge order). */
  protected streamOptions(): Partial<CatchUpOptions<M>> {
    return {};
  }
  /** The core message of a stream message (default: itself). */
  protected toEvent(m: M): Copy {
    return m;
  }
  /** After a message of `room` was delivered (acks). */
  protected delivered(_room: string, _m: M): void {}
  /** After each time the connection is up (again: after a reconnect). */
  protected connected(_again: boolean): void {}
  /** After `partRoom` (tell the server, when the protocol has a leave). */
  protected left(_room: string): void {}

  // ---- the session ----

  /** Emits unless disconnected. */
  emit(ev: ConnectorEvent): void {
    this.emitter.emit(ev);
  }

  /** Our user: what the server said, else the profile's user id and name. */
  me(): UserRef | undefined {
    if (this.self) return this.self;
    const id = this.ctx.profile.userId;
    return id ? { id, name: this.ctx.profile.userName || id } : undefined;
  }

  /**
   * Connects the account, then opens the profile's rooms (by id or name; none given: every room the
   * server lists for the account). Resolves once connected and at least one room is open (or there
   * was none to open); rejects with the link's failure (auth) or, when every room was refused, the
   * first refusal.
   */
  connect(signal: AbortSignal): Promise<void> {
    return this.emitter.connectOnce(signal, () => this.disconnect(), () => this.doConnect());
  }

  private async doConnect(): Promise<void> {
    this.link.start();
    await this.link.ready;
    const refs = [...new Set(this.ctx.profile.rooms ?? [])];
    let ids: string[];
    let failures: ChatError[] = [];
    if (refs.length === 0) ids = (await this.book.refresh()).map((r) => r.id);
    else ({ rooms: ids, failures } = await this.book.resolveAll(refs));
    for (const e of failures) this.emit({ type: 'error', code: e.code, message: e.message });
    const results = await Promise.allSettled(ids.map((id) => this.openRoom(id)));
    const refused = results.flatMap((r) => (r.status === 'rejected' ? [toChatError(r.reason)] : []));
    if (ids.length > 0 && refused.length === ids.length) throw refused[0];
    if (ids.length === 0 && failures[0]) throw failures[0];
  }

  /** Opens `room`: enters it on the server, then loads its members and the stream's baseline. */
  private async openRoom(id: string): Promise<void> {
    if (this.open.has(id)) return;
    this.book.parted.delete(id);
    const r = this.makeRoom(id);
    this.open.set(id, r);
    try {
      await this.enter(id);
    } catch (err) {
      const e = toChatError(err);
      if (this.open.get(id) === r) this.open.delete(id);
      this.emit({ type: 'error', code: e.code, message: e.message, room: id });
      throw e;
    }
    void this.loadMembers(r);
    if (r.stream.anchor === undefined) {
      try {
        r.stream.baseline(await this.newest(id));
      } catch {
        // no baseline: a reconnect before the first message is a gap
      }
    }
  }

  private makeRoom(id: string): AccountRoom<M> {
    const label = `room ${shortRoom(id)}`;
    const stream = new CatchUp<M>({
      deliver: (m) => {
        const ev = this.toEvent(m);
        this.names.learn(ev.author);
        this.emit(this.pending.match(ev));
        this.delivered(id, m);
      },
      gap: () => this.emit({ type: 'gap', room: id }),
      failed: (why) => this.notices.notice('backfill', `could not backfill ${label}: ${why}`, id),
      seenLimit: 20_000,
      ...this.streamOptions(),
    });
    const room: AccountRoom<M> = { id, stream, members: undefined, presence: undefined as unknown as RoomPresence };
    room.presence = new RoomPresence(
      this.names,
      this.maxOnline,
      (online) => {
        if (this.open.get(id) === room) this.emit({ type: 'presence', room: id, online });
      },
      async () => [],
    );
    return room;
  }

  private async loadMembers(r: AccountRoom<M>): Promise<void> {
    try {
      const members = await this.fetchMembers(r.id, this.abort.signal);
      r.members = new Set(members.slice(0, this.maxOnline).map((u) => u.id));
      for (const u of members) if (u.name !== u.id) this.names.learn(u);
    } catch {
      // members unknown: everyone online counts
    }
    this.applyOnline(r);
  }

  private async newest(room: string): Promise<M | undefined> {
    return (await this.page(room, undefined, 1, this.abort.signal)).at(-1);
  }

  private up(again: boolean): void {
    this.connected(again);
    if (!again) return;
    for (const r of this.open.values()) {
      void r.stream.catchUp(this.readMissed(r.id), this.abort.signal);
      this.enter(r.id).catch((err: unknown) => this.notices.notice('enter', `could not rejoin room ${shortRoom(r.id)}: ${toChatError(err).message}`, r.id));
    }
  }

  /** A live message of `room` (ignored for rooms not open); a full catch-up hold drops the connection. */
  protected live(room: string, m: M): void {
    const r = this.open.get(room);
    if (r && !r.stream.live(m)) this.link.connection?.terminate();
  }

  /** Whether `room` is open. */
  protected isOpen(room: string): boolean {
    return this.open.has(room);
  }

  /** Someone's typing indicator in `room` (ours echoed back is not shown). */
  protected typingOf(room: string, u: UserRef, on: boolean): void {
    if (!this.open.has(room) || u.id === this.me()?.id) return;
    this.names.learn(u);
    this.emit({ type: 'typing', room, user: u, typing: on });
  }

  /** A user came online (global): shown in every open room they are a member of. */
  protected userOnline(u: UserRef): void {
    if (!this.online.has(u.id) && this.online.size >= this.maxOnline) return;
    this.online.set(u.id, this.names.nameOf(u.id) !== u.id ? this.names.nameOf(u.id) : u.name);
    for (const r of this.open.values()) if (member(r, u.id)) r.presence.join({ id: u.id, name: this.online.get(u.id) ?? u.id });
  }

  /** A user went offline (global). */
  protected userOffline(id: string): void {
    this.online.delete(id);
    for (const r of this.open.values()) r.presence.leave(id);
  }

  /** The whole global online list. */
  protected onlineList(users: UserRef[]): void {
    this.online.clear();
    for (const u of users.slice(0, this.maxOnline)) this.online.set(u.id, this.names.nameOf(u.id));
    for (const r of this.open.values()) this.applyOnline(r);
  }

  /** A user joined one room (Socket.IO `user_joined_room`). */
  protected roomJoin(room: string, u: UserRef): void {
    const r = this.open.get(room);
    if (!r) return;
    this.names.learn(u);
    r.members?.add(u.id);
    r.presence.join(u);
  }

  /** A user left one room. */
  protected roomLeave(room: string, id: string): void {
    this.open.get(room)?.presence.leave(id);
  }

  private applyOnline(r: AccountRoom<M>): void {
    r.presence.replace([...this.online].filter(([id]) => member(r, id)).map(([id, name]) => ({ id, name: this.names.nameOf(id) !== id ? this.names.nameOf(id) : name })));
  }

  async disconnect(): Promise<void> {
    if (this.emitter.closed) return;
    this.link.stop(true);
    this.typing.clear();
    await this.emitter.close(this.abort, this.pending);
  }

  reconnectNow(): void {
    this.link.reconnectNow();
  }

  /** Sends `text` (the protocol's `post`), stopping our typing indicator first. */
  async send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    this.setTyping(room, false);
    const copy = await this.post(room, text, txnId);
    return { ...copy, profile: this.ctx.profile.name };
  }

  rooms(): RoomInfo[] {
    return this.book.rooms(this.ctx.profile.rooms ?? [], this.open.keys());
  }

  /** Messages of `room`, oldest first: the latest `limit`, or those before message `before` (the kit's pageBack). */
  async history(room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    const want = Math.max(1, Math.floor(opts.limit));
    const signal = this.abort.signal;
    const q: Parameters<typeof pageBack<M>>[0] = {
      page: (before, limit) => this.page(room, before, limit, signal),
      pageSize: this.pageSize,
      maxPages: Math.ceil(want / this.pageSize) + 2,
      want,
    };
    if (opts.before !== undefined) q.before = opts.before;
    const { messages } = await pageBack(q);
    return messages.map((m) => {
      const ev = this.toEvent(m);
      this.names.learn(ev.author);
      return { ...ev, profile: this.ctx.profile.name };
    });
  }

  /** The account's rooms from the server; learns names, says renames of open rooms. */
  listRooms(): Promise<RoomInfo[]> {
    return this.book.refresh();
  }

  /** A room by id or name (see RoomBook.resolve). */
  resolveRoom(ref: string): Promise<RoomInfo> {
    return this.book.resolve(ref);
  }

  /** Opens another room (`/join`); rejects when the server refuses it. */
  async joinRoom(ref: string): Promise<RoomInfo> {
    const info = await this.book.resolve(ref);
    this.book.info.set(info.id, info);
    await this.openRoom(info.id);
    return info;
  }

  /** Closes a room: its messages are no longer shown. */
  async partRoom(room: string): Promise<void> {
    if (!this.open.has(room)) return;
    this.setTyping(room, false);
    this.open.delete(room);
    this.book.parted.add(room);
    this.left(room);
  }

  /** Typing indicator, debounced (typing.ts); no-op with `sendTyping: false` or no connection. */
  setTyping(room: string, typing: boolean): void {
    if (!this.capabilities.typingSend || this.emitter.closed) return;
    this.typing.set(room, typing);
  }
}

function member<M extends Copy>(r: AccountRoom<M>, id: string): boolean {
  return r.members === undefined || r.members.has(id);
}
