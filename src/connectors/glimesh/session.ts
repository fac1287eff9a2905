import { capabilitiesOf, type Capabilities, type ConnectorContext, type ConnectorSession, type HistoryOptions, type ModerationAction, type RoomInfo } from '../../core/connector.js';
import { NoticeThrottle, PendingSends, Ready, ReconnectingLink, SafeEmitter, readByPaging, type LinkAttempt } from '../../core/connection/index.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import { Backoff } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { GLIMESH_TRAITS, type GlimeshSessionOptions } from './capabilities.js';
import { ControlChannel, type SubTarget } from './control.js';
import { GraphHttp, httpBase, type Credential } from './http.js';
import { Moderation } from './moderation.js';
import { ChatPages, type Msg } from './pages.js';
import { TokenRenewal } from './renewal.js';
import { ChannelRooms, roomInfo, type Room } from './rooms.js';
import { READ_ONLY_REASON, Sender } from './send.js';
import { PhoenixConnection, upgradeRefused } from './socket.js';
import { MAX_PAGE, MYSELF, SUBSCRIBE_CHANNEL, SUBSCRIBE_CHAT, idOf, isRecord, parseChannel, parseMessage } from './wire.js';

/**
 * A Glimesh session (../shared/protocols/glimesh.facts.md).
 *
 * Live chat: one Phoenix socket at a time (socket.ts) under the kit's ReconnectingLink, one join of
 * `__absinthe__:control` on it (control.ts), and per channel one `chatMessage(channelId:)` and one
 * `channel(id:)` subscription with variables. Ids die with the channel: after every (re)join every
 * room is subscribed again exactly once and caught up over HTTP (`chatMessages(last:, before:)`,
 * pages.ts) by the kit's CatchUp, merged by id while live pushes wait (facts §9 "Backfill").
 * Everything else (channel lookup, history, moderation, sending while the socket is down) is GraphQL
 * over HTTP at `{url}/api/graph` (facts §5, §6).
 */

/** The session. Create with `new GlimeshSession(ctx, opts)` (or `definition.create`). */
export class GlimeshSession implements ConnectorSession {
  readonly capabilities: Capabilities;
  private cred: Credential;
  private http: GraphHttp;
  private readonly base: string;
  private readonly opts: Required<Omit<GlimeshSessionOptions, 'backoff'>>;
  private readonly emitter: SafeEmitter;
  private readonly notices: NoticeThrottle;
  private readonly renewal: TokenRenewal;
  private readonly link: ReconnectingLink;
  /** Delays of channel rejoins (phx_error, phx_close) and of room lookups tried again. */
  private readonly rejoinBackoff: Backoff;
  private readonly control: ControlChannel;
  private readonly channels: ChannelRooms;
  private readonly pages: ChatPages;
  private readonly pending: PendingSends;
  private readonly sender: Sender;
  private readonly moderation: Moderation;
  /** The socket of the attempt in progress. */
  private conn: PhoenixConnection | undefined;
  /** The upgrade refused the token: renew it before the next attempt (once per refusal streak). */
  private renewNext = false;
  private renewedForRefusal = false;
  /** Room references not resolved yet (username or id as the profile gives them). */
  private pendingRefs: string[];
  private myself: UserRef | undefined;
  private started = false;
  /** The session failed for good (until reconnect now). */
  private failed: ChatError | undefined;
  /** Settles once: the profile's rooms are subscribed, or the session failed first. */
  private readonly ready = new Ready();

  /** Throws ChatError `auth` when the profile has neither a token nor a client id. */
  constructor(
    private readonly ctx: ConnectorContext,
    opts: GlimeshSessionOptions = {},
  ) {
    const p = ctx.profile;
    this.base = httpBase(p.url ?? 'https://glimesh.tv');
    this.opts = {
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 30_000,
      pushTimeoutMs: opts.pushTimeoutMs ?? 10_000,
      httpTimeoutMs: opts.httpTimeoutMs ?? 20_000,
      backfillPageSize: Math.min(MAX_PAGE, Math.max(1, opts.backfillPageSize ?? 250)),
      backfillMaxPages: Math.max(1, opts.backfillMaxPages ?? 20),
    };
    if (ctx.token) this.cred = { kind: 'token', token: ctx.token };
    else if (p.clientId) this.cred = { kind: 'client', clientId: p.clientId };
    else throw new ChatError('auth', 'glimesh needs --token (or chat-tui login) or --client-id', { retryable: false });
    this.http = new GraphHttp(this.base, this.cred, this.opts.httpTimeoutMs);
    const readOnly = this.cred.kind === 'client';
    this.capabilities = capabilitiesOf(this, readOnly ? { ...GLIMESH_TRAITS, readOnly: true, readOnlyReason: READ_ONLY_REASON } : GLIMESH_TRAITS, readOnly ? { moderation: false } : {});
    this.pendingRefs = [...new Set((p.rooms ?? []).map((r) => r.trim()).filter(Boolean))];

    this.emitter = new SafeEmitter(ctx.emit);
    const emit = (ev: ConnectorEvent): void => this.emitter.emit(ev);
    this.notices = new NoticeThrottle((text, room) => emit(room === undefined ? { type: 'notice', text } : { type: 'notice', text, room }));
    const notice = (kind: string, text: string, room?: string): void => this.notices.notice(kind, text, room);
    const http = (): GraphHttp => this.http;
    const backoff = opts.backoff ?? (() => new Backoff());
    this.rejoinBackoff = backoff();
    this.renewal = new TokenRenewal(this.base, ctx, (token) => {
      this.cred = { kind: 'token', token };
      this.http = new GraphHttp(this.base, this.cred, this.opts.httpTimeoutMs);
    }, (text) => emit({ type: 'notice', text }));
    this.pages = new ChatPages(http);
    this.pending = new PendingSends(() => this.myself?.id);
    this.moderation = new Moderation(http, () => this.capabilities.readOnly, emit);
    this.channels = new ChannelRooms(http, emit, (m) => this.deliver(m), notice);
    this.sender = new Sender({
      readOnly: () => this.capabilities.readOnly,
      failed: () => this.failed,
      push: (query, variables, what) => (this.control.joined ? this.control.push(query, variables, what) : undefined),
      http,
      pages: this.pages,
      channel: async (ref) => (await this.room(ref)).id,
      me: () => this.myself,
      pending: this.pending,
    });
    this.control = new ControlChannel({
      joined: (gen) => void this.onJoined(gen),
      data: (target, data) => this.onData(target, data),
      notice,
      reason: (text) => {
        if (this.conn) this.conn.said = text;
      },
      rejoinDelay: () => this.rejoinBackoff.nextDelay(),
    }, this.opts.pushTimeoutMs);
    this.link = new ReconnectingLink({
      emit,
      backoff: backoff(),
      open: (attempt) => this.open(attempt),
      onDown: () => {
        this.conn = undefined;
        this.control.detach();
        this.control.fail(new ChatError('network', 'the connection to Glimesh was lost before it replied'));
      },
      onFailed: (err) => {
        this.failed = err;
        this.control.fail(err);
        this.ready.reject(err);
      },
    });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Connects: renews an expired login token, opens the socket, joins the control topic, resolves the
   * profile's rooms over HTTP, subscribes each. Resolves once subscribed; rejects with ChatError `auth`
   * (403 upgrade / 401 HTTP — not retried) or `not_found` (no room could be resolved). Retryable
   * failures keep retrying (the kit's link).
   */
  connect(signal: AbortSignal): Promise<void> {
    if (!this.started && !this.emitter.closed) {
      this.started = true;
      if (signal.aborted) void this.disconnect();
      else signal.addEventListener('abort', () => void this.disconnect(), { once: true });
      this.link.ready.catch((err: unknown) => this.ready.reject(toChatError(err)));
      this.link.start();
    }
    if (this.emitter.closed) this.ready.reject(new ChatError('network', 'disconnected'));
    return this.ready.promise;
  }

  /** One attempt of the link: renews the token when due or refused, then opens a socket. */
  private async open(attempt: LinkAttempt): Promise<PhoenixConnection> {
    if (this.failed) throw this.failed; // failed between two sockets: the link says it now
    if (this.cred.kind === 'token') {
      if (this.renewNext) {
        this.renewNext = false;
        await this.renewal.renew();
      } else if (attempt.number === 1) await this.renewal.ifExpired();
    }
    if (attempt.signal.aborted) throw new ChatError('network', 'disconnected');
    try {
      this.conn = new PhoenixConnection(attempt, { base: this.base, heartbeatIntervalMs: this.opts.heartbeatIntervalMs, pushTimeoutMs: this.opts.pushTimeoutMs, rejoinDelay: () => this.rejoinBackoff.nextDelay() }, {
        notice: (kind, text) => this.notices.notice(kind, text),
        opened: (socket) => this.control.attach(socket),
        frame: (msg) => this.control.route(msg),
        credential: () => this.cred,
        refused: (status) => {
          const end = upgradeRefused(status, this.cred, this.host(), this.renewal.possible && !this.renewedForRefusal);
          if (end === 'renew') {
            this.renewNext = this.renewedForRefusal = true;
            return { said: `Glimesh refused the token (HTTP ${status}); renewing it` };
          }
          return end;
        },
      });
    } catch {
      // ws throws on an unusable URL; its text may hold the query string (the token), so it is not repeated
      throw new ChatError('protocol', `cannot open a socket to ${this.host()}: check --url`, { retryable: false });
    }
    return this.conn;
  }

  /** The site's host for messages (never the full URL: the socket URL carries the credential). */
  private host(): string {
    try {
      return new URL(this.base).host;
    } catch {
      return 'the configured URL';
    }
  }

  /** Closes the socket (a close frame, at most 1.5 s); `offline`, then no events after it resolves. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.emitter.closed) return;
    this.ready.reject(new ChatError('network', 'disconnected'));
    const conn = this.conn;
    this.link.stop(true);
    this.emitter.close();
    this.control.fail(new ChatError('network', 'disconnected before Glimesh replied'));
    this.control.detach();
    await conn?.closed;
  }

  /** Drops the socket and reconnects at once (the TUI's "reconnect now"); after a failure, tries again. */
  reconnectNow(): void {
    this.failed = undefined;
    this.link.reconnectNow();
  }

  /** Ends the session for good with `err` (the link says it and `failed`; `connect` rejects). */
  private fail(err: ChatError): void {
    if (this.failed) return;
    this.failed = err;
    if (this.conn) this.conn.fail(err);
    else this.ready.reject(err);
  }

  // ---------------------------------------------------------------- joins and subscriptions

  /** Every (re)join: subscribe each room once and catch up. The first one resolves the rooms and settles `connect`. */
  private async onJoined(gen: number): Promise<void> {
    this.conn?.up();
    this.renewedForRefusal = false;
    this.rejoinBackoff.succeeded();
    const myself = this.cred.kind === 'token' && !this.myself ? this.loadMyself() : Promise.resolve();
    const refs = this.pendingRefs;
    this.pendingRefs = [];
    const failures: [string, ChatError][] = [];
    await Promise.all(
      refs.map(async (ref) => {
        try {
          await this.channels.add(ref);
        } catch (err) {
          const e = toChatError(err);
          if (e.code === 'auth') return this.fail(e);
          if (e.retryable) this.pendingRefs.push(ref);
          failures.push([ref, e]);
        }
      }),
    );
    if (this.failed || gen !== this.control.gen) return;
    // No room at all: the first refusal is the failure; every other one is said for its room (one error per cause).
    const fatal = this.channels.size === 0 ? failures.find(([, e]) => !e.retryable) : undefined;
    for (const [ref, e] of failures) if (e !== fatal?.[1]) this.emitter.emit({ type: 'error', code: e.code, message: e.message, room: ref });
    if (fatal) return this.fail(fatal[1]);
    await Promise.all(this.channels.all().map((room) => this.subscribeRoom(room, gen)));
    if (this.failed) return;
    if (this.pendingRefs.length) this.retryRefs(gen);
    await myself; // so that me() is known when connect resolves (never rejects)
    this.ready.resolve();
  }

  /** Rooms whose lookup failed for a retryable reason are tried again after a backoff delay (same join). */
  private retryRefs(gen: number): void {
    const timer = setTimeout(() => {
      if (this.failed || gen !== this.control.gen || !this.control.joined) return;
      const refs = this.pendingRefs;
      this.pendingRefs = [];
      for (const ref of refs) {
        this.channels
          .add(ref)
          .then((room) => this.subscribeRoom(room, gen))
          .catch((err: unknown) => {
            const e = toChatError(err);
            if (e.code === 'auth') return this.fail(e);
            if (!e.retryable) return this.emitter.emit({ type: 'error', code: e.code, message: e.message, room: ref });
            this.pendingRefs.push(ref);
            if (this.pendingRefs.length === 1) this.retryRefs(gen);
          });
      }
    }, this.rejoinBackoff.nextDelay());
    timer.unref?.();
  }

  /**
   * Subscribes a room's chat and channel updates for join generation `gen` (never twice per
   * generation) and catches up: live pushes are held from before the subscribe until what was missed
   * since the anchor is read (the first time: the newest message becomes the anchor).
   */
  private async subscribeRoom(room: Room, gen: number): Promise<void> {
    if (room.subGen === gen) return;
    room.subGen = gen;
    const subscribed = Promise.allSettled([
      this.control.subscribe({ room: room.id, kind: 'chat', gen }, SUBSCRIBE_CHAT, { channelId: room.id }),
      this.control.subscribe({ room: room.id, kind: 'channel', gen }, SUBSCRIBE_CHANNEL, { id: room.id }),
    ]);
    const byPaging = readByPaging<Msg>((before, limit) => this.pages.before(room.id, before, limit), this.opts.backfillPageSize, this.opts.backfillMaxPages);
    await room.stream.catchUp(async (anchor, signal) => {
      const [chat] = await subscribed;
      if (chat.status === 'rejected') {
        const e = toChatError(chat.reason);
        if (e.retryable && gen === this.control.gen) {
          // No reply: whether the server holds a subscription is unknown. Start the control channel over.
          this.notices.notice('subscribe-timeout', `no answer to the subscription of ${room.info.streamer.name}'s chat; joining again`, room.id);
          this.control.restart(gen);
        }
        if (e.retryable) return { messages: [], reached: true }; // this generation is over: it delivers nothing
        this.emitter.emit({ type: 'error', code: e.code, message: `could not subscribe to ${room.info.streamer.name}'s chat: ${e.message}`, room: room.id });
      }
      if (anchor !== undefined) return byPaging(anchor, signal);
      room.stream.baseline((await this.pages.before(room.id, undefined, 1)).at(-1));
      return { messages: [], reached: true };
    }, this.control.signal);
  }

  /** A subscription push: a chat message (held or emitted by the room's stream) or new channel facts. */
  private onData(target: SubTarget, data: Record<string, unknown>): void {
    const room = this.channels.find(target.room);
    if (!room) return;
    if (target.kind === 'chat') {
      const ev = parseMessage(data.chatMessage, room.id);
      if (!ev) return this.notices.notice('bad-message', 'dropped a malformed chat message from Glimesh', room.id);
      // A full hold: drop the socket; the next catch-up reads the held messages from the server.
      if (!room.stream.live(ev)) this.conn?.terminate('too many messages while catching up');
    } else {
      const info = parseChannel(data.channel);
      if (info && info.id === room.id) this.channels.update(room, info, true);
    }
  }

  /** Emits a new message (each id once, from a room's stream); a copy of our own send carries its txnId. */
  private deliver(m: Msg): void {
    this.moderation.learn(m.author.name, m.author.id);
    this.emitter.emit(this.pending.match(m));
  }

  private async loadMyself(): Promise<void> {
    try {
      const res = await this.http.run(MYSELF, {}, 'myself');
      const me = isRecord(res.data.myself) ? res.data.myself : undefined;
      const id = me ? idOf(me.id) : undefined;
      if (me && id) this.myself = { id, name: sanitizeLine(me.displayname || me.username).slice(0, 200) || id };
    } catch {
      // only used to mark our own messages
    }
  }

  /** The followed room for `ref`, looked up and followed when new. */
  private room(ref: string): Promise<Room> {
    const known = this.channels.find(ref);
    return known ? Promise.resolve(known) : this.channels.add(ref);
  }

  // ---------------------------------------------------------------- public API

  /** Rooms resolved so far: id = channel id, name = streamer, topic = stream title, live. */
  rooms(): RoomInfo[] {
    return this.channels.all().map((r) => roomInfo(r.info));
  }

  me(): UserRef | undefined {
    return this.myself;
  }

  /** Channel by numeric id or streamer username (case-insensitive); ChatError not_found. */
  async resolveRoom(ref: string): Promise<RoomInfo> {
    return roomInfo(this.channels.find(ref)?.info ?? (await this.channels.lookup(ref)));
  }

  /** Follows another channel at run time: resolve, subscribe (when joined), baseline. */
  async joinRoom(ref: string): Promise<RoomInfo> {
    const room = await this.channels.add(ref);
    if (this.control.joined) await this.subscribeRoom(room, this.control.gen);
    return roomInfo(room.info);
  }

  /** Stops following a channel: its subscriptions are ended (`unsubscribe`) and forgotten. */
  async partRoom(roomId: string): Promise<void> {
    const room = this.channels.find(roomId);
    if (!room) return;
    this.control.unsubscribeRoom(room.id);
    this.channels.remove(room.id);
    this.pages.forget(room.id);
  }

  /**
   * One page of older messages, oldest first: the latest `limit` (at most 1000, the server's cap; facts
   * §6), or those before message id `before`. The core pages for more (src/core/history.ts). Throws
   * ChatError not_found for an unknown channel.
   */
  async history(roomRef: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    const room = await this.room(roomRef);
    const limit = Math.min(MAX_PAGE, Math.max(1, Math.floor(opts.limit)));
    const msgs = await this.pages.before(room.id, opts.before, limit);
    return msgs.slice(-limit).map((m) => ({ ...m, profile: this.ctx.profile.name }));
  }

  /** Sends `text` (see Sender.send): resolves with the server's copy carrying `txnId`. */
  async send(roomRef: string, text: string, txnId: string): Promise<MessageEvent> {
    return { ...(await this.sender.send(roomRef, text, txnId)), profile: this.ctx.profile.name };
  }

  /** Moderation (see Moderation.run); `user` is a username (or a user id). */
  async moderate(roomRef: string, action: ModerationAction): Promise<void> {
    if (this.capabilities.readOnly) return this.moderation.run(roomRef, action);
    await this.moderation.run((await this.room(roomRef)).id, action);
  }
}
