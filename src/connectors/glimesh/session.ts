import type { Capabilities, ConnectorContext, ConnectorSession, HistoryOptions, ModerationAction, RoomInfo } from '../../core/connector.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import { Backoff } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { ControlChannel, type SubTarget } from './control.js';
import { GraphHttp, httpBase, type Credential } from './http.js';
import { Moderation } from './moderation.js';
import { ChatPages, type Msg } from './pages.js';
import { TokenRenewal } from './renewal.js';
import { ChannelRooms, roomInfo, type Room } from './rooms.js';
import { READ_ONLY_REASON, Sender } from './send.js';
import { PhoenixLink } from './socket.js';
import { GLIMESH_CAPABILITIES, type GlimeshSessionOptions } from './capabilities.js';
import { MAX_PAGE, MYSELF, SUBSCRIBE_CHANNEL, SUBSCRIBE_CHAT, idOf, isRecord, parseChannel, parseMessage } from './wire.js';

/**
 * A Glimesh session (../shared/protocols/glimesh.facts.md).
 *
 * Live chat: one Phoenix socket (socket.ts), one join of `__absinthe__:control` (control.ts), and per
 * channel one `chatMessage(channelId:)` and one `channel(id:)` subscription with variables. Ids die with
 * the channel: after every (re)join every room is subscribed again exactly once, and a backfill over HTTP
 * (`chatMessages(last:, before:)`, pages.ts) fills what was missed, merged by id while live pushes wait
 * (stream.ts; facts §9 "Backfill"). Everything else (channel lookup, history, moderation, sending while
 * the socket is down) is GraphQL over HTTP at `{url}/api/graph` (facts §5, §6).
 */

const NOTICE_EVERY_MS = 10_000;

/** The session. Create with `new GlimeshSession(ctx, opts)` (or `definition.create`). */
export class GlimeshSession implements ConnectorSession {
  readonly capabilities: Capabilities;
  private cred: Credential;
  private http: GraphHttp;
  private readonly base: string;
  private readonly opts: Required<Omit<GlimeshSessionOptions, 'backoff'>>;
  private readonly renewal: TokenRenewal;
  private readonly link: PhoenixLink;
  private readonly control: ControlChannel;
  private readonly channels: ChannelRooms;
  private readonly pages: ChatPages;
  private readonly sender: Sender;
  private readonly moderation: Moderation;
  /** Room references not resolved yet (username or id as the profile gives them). */
  private pendingRefs: string[];
  private myself: UserRef | undefined;
  private stopped = false;
  private failed: ChatError | undefined;
  private everJoined = false;
  private readonly noticeAt = new Map<string, number>();
  private settleReady: ((err?: ChatError) => void) | undefined;
  private readyPromise: Promise<void> | undefined;

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
    this.capabilities = readOnly
      ? { ...GLIMESH_CAPABILITIES, readOnly: true, readOnlyReason: READ_ONLY_REASON, moderation: false }
      : { ...GLIMESH_CAPABILITIES };
    this.pendingRefs = [...new Set((p.rooms ?? []).map((r) => r.trim()).filter(Boolean))];

    const http = (): GraphHttp => this.http;
    const emit = (ev: ConnectorEvent): void => this.emit(ev);
    this.renewal = new TokenRenewal(this.base, ctx, (token) => {
      this.cred = { kind: 'token', token };
      this.http = new GraphHttp(this.base, this.cred, this.opts.httpTimeoutMs);
    }, (text) => this.emit({ type: 'notice', text }));
    this.pages = new ChatPages(http);
    this.moderation = new Moderation(http, () => this.capabilities.readOnly, emit);
    this.channels = new ChannelRooms(http, emit, (m) => this.deliver(m));
    this.sender = new Sender({
      readOnly: () => this.capabilities.readOnly,
      failed: () => this.failed,
      push: (query, variables, what) => (this.control.joined && this.link.connected ? this.control.push(query, variables, what) : undefined),
      http,
      pages: this.pages,
      channel: async (ref) => (await this.room(ref)).id,
      me: () => this.myself,
    });
    this.link = new PhoenixLink(this.base, this.host(), {
      emit,
      notice: (kind, text) => this.notice(kind, text),
      fail: (err) => this.fail(err),
      opened: (socket) => this.control.attach(socket),
      closed: (reason) => this.control.lost(new ChatError('network', `the connection to Glimesh was lost before it replied (${reason})`)),
      frame: (msg) => {
        if (!this.stopped) this.control.route(msg);
      },
      credential: () => this.cred,
      renewal: this.renewal,
      everJoined: () => this.everJoined,
      over: () => this.stopped || this.failed !== undefined,
    }, { heartbeatIntervalMs: this.opts.heartbeatIntervalMs, pushTimeoutMs: this.opts.pushTimeoutMs, backoff: opts.backoff ?? (() => new Backoff()) });
    this.control = new ControlChannel({
      joined: (gen) => {
        if (!this.stopped) void this.onJoined(gen);
      },
      data: (target, data) => this.onData(target, data),
      notice: (kind, text, room) => this.notice(kind, text, room),
      reason: (text) => this.link.reason(text),
      rejoinDelay: () => this.link.rejoinDelay(),
    }, this.opts.pushTimeoutMs);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Connects: renews an expired login token, opens the socket, joins the control topic, resolves the
   * profile's rooms over HTTP, subscribes each. Resolves once subscribed; rejects with ChatError `auth`
   * (403 upgrade / 401 HTTP — not retried) or `not_found` (no room could be resolved). Retryable
   * failures keep retrying with the core backoff.
   */
  connect(signal: AbortSignal): Promise<void> {
    if (this.readyPromise) return this.readyPromise;
    if (this.stopped) return Promise.reject(new ChatError('network', 'disconnected'));
    this.readyPromise = new Promise<void>((resolve, reject) => {
      let done = false;
      this.settleReady = (err) => {
        if (done) return;
        done = true;
        if (err) reject(err);
        else resolve();
      };
    });
    const onAbort = (): void => void this.disconnect();
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    this.emit({ type: 'connection', state: 'connecting' });
    void this.start();
    return this.readyPromise;
  }

  private async start(): Promise<void> {
    try {
      if (this.cred.kind === 'token') await this.renewal.ifExpired();
    } catch (err) {
      this.fail(toChatError(err));
      return;
    }
    if (!this.stopped) this.link.open();
  }

  /** The site's host for messages (never the full URL: the socket URL carries the credential). */
  private host(): string {
    try {
      return new URL(this.base).host;
    } catch {
      return 'the configured URL';
    }
  }

  /** Closes the socket; no events after it resolves. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.settleReady?.(new ChatError('network', 'disconnected'));
    this.control.fail(new ChatError('network', 'disconnected before Glimesh replied'));
    this.control.detach();
    await this.link.close();
    try {
      this.ctx.emit({ type: 'connection', state: 'offline' });
    } catch {
      // the consumer is going away too
    }
  }

  /** Drops the socket and reconnects at once (the TUI's "reconnect now"); after a failure, tries again. */
  reconnectNow(): void {
    if (this.stopped) return;
    const failed = this.failed !== undefined;
    this.failed = undefined;
    this.link.reconnectNow(failed);
  }

  private emit(ev: ConnectorEvent): void {
    if (this.stopped) return;
    try {
      this.ctx.emit(ev);
    } catch {
      // a consumer's failure must not break the session
    }
  }

  /** One notice of `kind` per NOTICE_EVERY_MS. */
  private notice(kind: string, text: string, room?: string): void {
    const now = Date.now();
    if ((this.noticeAt.get(kind) ?? 0) > now - NOTICE_EVERY_MS) return;
    this.noticeAt.set(kind, now);
    this.emit(room === undefined ? { type: 'notice', text } : { type: 'notice', text, room });
  }

  /**
   * A non-retryable failure: error + failed, the socket closed, `connect` rejected. `said`: the error
   * event for this cause was emitted already (a room's lookup), so it is not said twice.
   */
  private fail(err: ChatError, said = false): void {
    if (this.stopped || this.failed) return;
    this.failed = err;
    if (!said) this.emit({ type: 'error', code: err.code, message: err.message });
    this.emit({ type: 'connection', state: 'failed', reason: err.message });
    this.settleReady?.(err);
    this.control.fail(err);
    this.control.detach();
    this.link.drop();
  }

  // ---------------------------------------------------------------- joins and subscriptions

  /** Every (re)join: subscribe each room once, backfill. The first one resolves the rooms and settles `connect`. */
  private async onJoined(gen: number): Promise<void> {
    this.link.up();
    const first = !this.everJoined;
    this.everJoined = true;
    this.emit({ type: 'connection', state: 'connected' });
    const myself = first && this.cred.kind === 'token' ? this.loadMyself() : Promise.resolve();
    const refs = this.pendingRefs;
    this.pendingRefs = [];
    const failures: ChatError[] = [];
    await Promise.all(
      refs.map(async (ref) => {
        try {
          await this.channels.add(ref);
        } catch (err) {
          const e = toChatError(err);
          if (e.code === 'auth') return this.fail(e);
          if (e.retryable) this.pendingRefs.push(ref);
          failures.push(e);
          this.emit({ type: 'error', code: e.code, message: e.message, room: ref });
        }
      }),
    );
    if (this.stopped || this.failed || gen !== this.control.gen) return;
    await Promise.all(this.channels.all().map((room) => this.subscribeRoom(room, gen)));
    if (this.stopped || this.failed) return;
    const err = failures[0];
    if (this.channels.size === 0 && err && !err.retryable) return this.fail(err, true);
    if (this.pendingRefs.length) this.retryRefs(gen);
    await myself; // so that me() is known when connect resolves (never rejects)
    this.settleReady?.();
  }

  /** Rooms whose lookup failed for a retryable reason are tried again after a backoff delay (same join). */
  private retryRefs(gen: number): void {
    const timer = setTimeout(() => {
      if (this.stopped || this.failed || gen !== this.control.gen || !this.control.joined) return;
      const refs = this.pendingRefs;
      this.pendingRefs = [];
      for (const ref of refs) {
        this.channels
          .add(ref)
          .then((room) => this.subscribeRoom(room, gen))
          .catch((err: unknown) => {
            const e = toChatError(err);
            if (e.code === 'auth') return this.fail(e);
            if (!e.retryable) return this.emit({ type: 'error', code: e.code, message: e.message, room: ref });
            this.pendingRefs.push(ref);
            if (this.pendingRefs.length === 1) this.retryRefs(gen);
          });
      }
    }, this.link.rejoinDelay());
    timer.unref?.();
  }

  /** Subscribes a room's chat and channel updates for join generation `gen` (never twice per generation), then backfills. */
  private async subscribeRoom(room: Room, gen: number): Promise<void> {
    if (room.subGen === gen) return;
    room.subGen = gen;
    room.stream.hold();
    const results = await Promise.allSettled([
      this.control.subscribe({ room: room.id, kind: 'chat', gen }, SUBSCRIBE_CHAT, { channelId: room.id }),
      this.control.subscribe({ room: room.id, kind: 'channel', gen }, SUBSCRIBE_CHANNEL, { id: room.id }),
    ]);
    if (gen !== this.control.gen || this.stopped) return;
    const chat = results[0];
    if (chat.status === 'rejected') {
      const e = toChatError(chat.reason);
      if (e.retryable) {
        // No reply: whether the server holds a subscription is unknown. Start the control channel over.
        this.notice('subscribe-timeout', `no answer to the subscription of ${room.info.streamer.name}'s chat; joining again`, room.id);
        this.control.restart(gen);
        return;
      }
      this.emit({ type: 'error', code: e.code, message: `could not subscribe to ${room.info.streamer.name}'s chat: ${e.message}`, room: room.id });
    }
    await room.stream.backfill({
      page: (last, before) => this.pages.page(room.id, last, before),
      pageSize: this.opts.backfillPageSize,
      maxPages: this.opts.backfillMaxPages,
      current: () => gen === this.control.gen && !this.stopped,
      gap: () => this.emit({ type: 'gap', room: room.id }),
      failed: (message) => this.emit({ type: 'notice', text: `could not backfill ${room.info.streamer.name}'s chat: ${message}`, room: room.id }),
    });
  }

  /** A subscription push: a chat message (held or emitted by the room's stream) or new channel facts. */
  private onData(target: SubTarget, data: Record<string, unknown>): void {
    const room = this.channels.find(target.room);
    if (!room) return;
    if (target.kind === 'chat') {
      const ev = parseMessage(data.chatMessage, room.id);
      if (ev) room.stream.live(ev);
      else this.notice('bad-message', 'dropped a malformed chat message from Glimesh', room.id);
    } else {
      const info = parseChannel(data.channel);
      if (info && info.id === room.id) this.channels.update(room, info, true);
    }
  }

  /** Emits a new message (each id once, from a room's stream); a copy of our own send carries its txnId. */
  private deliver(m: Msg): void {
    this.moderation.learn(m.author.name, m.author.id);
    const txnId = this.sender.txnOf(m.id);
    this.emit(txnId ? { ...m, txnId } : m);
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
