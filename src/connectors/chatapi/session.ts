import type { Capabilities, ConnectorContext, ConnectorSession, HistoryOptions, RoomInfo } from '../../core/connector.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import { Backoff, WakeableSleep } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { DocBTransport, shortRoom, type ChatApiTransport, type RoomSocket, type SocketEnd } from './transport.js';
import {
  CLOSE_RATE_LIMITED,
  closeError,
  frameTime,
  messageEvent,
  parseFrame,
  parseMessage,
  parseOnlineUsers,
  parseUser,
  asId,
  asName,
  type IncomingFrame,
  type ParsedMessage,
} from './wire.js';

/**
 * A chatapi session (issue 3 §4, issue 7): one WebSocket per room (Doc B "Connection"), sends and history
 * over REST, the core Backoff for reconnects, backfill from history after every reconnect (merge by id:
 * each message emitted exactly once), an app-level `ping` heartbeat with a liveness deadline, and
 * debounced typing. The network is behind `ChatApiTransport` (transport.ts; facts §B7).
 */

/** Static capabilities of the Doc B protocol (issue 3 §4). */
export const CHATAPI_CAPABILITIES: Capabilities = {
  history: true,
  typingSend: true,
  typingReceive: true,
  presence: true,
  edits: true,
  roomListing: true,
  dms: false,
  join: true,
  readOnly: false,
  moderation: false,
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

/** Remembered ids per room (for exactly-once), and names per session. */
const SEEN_LIMIT = 20_000;
const NAMES_LIMIT = 10_000;
/** One notice of a kind (malformed frames…) per room at most this often. */
const NOTICE_EVERY_MS = 10_000;
/** A history page (the documented maximum, facts §B2). */
const PAGE = 100;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A set that remembers at least the last `limit` ids and at most the last 2 × `limit`: two generations,
 * the older dropped whole when the newer fills up. (Evicting the oldest entry one by one costs a Set
 * iterator per add that walks over the deleted slots at the front: the hot spot of a flood.) Built-in
 * `Set`s: open-addressing tables of our own measured ~0.03 better on `ingest_ratio` (0.58 vs 0.55,
 * medians of 5 runs of 5, both always over the 0.5 target), not worth a hash table to maintain.
 */
export class BoundedSet {
  private current = new Set<string>();
  private previous = new Set<string>();
  constructor(private readonly limit: number) {}
  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }
  /** Adds `id`; false when it was already there. */
  add(id: string): boolean {
    const cur = this.current;
    const size = cur.size;
    cur.add(id);
    if (cur.size === size) return false;
    if (this.previous.size !== 0 && this.previous.has(id)) return false;
    if (cur.size >= this.limit) {
      this.previous = cur;
      this.current = new Set();
    }
    return true;
  }
}

/** How far ahead of our clock a message time may be and still anchor a backfill (clock skew), ms. */
const FUTURE_SKEW_MS = 10 * 60_000;
let futureIso = '';
let futureAt = 0;
/**
 * Whether ISO UTC `time` is more than FUTURE_SKEW_MS ahead of our clock. The limit is recomputed at most
 * once a second, and only for a time beyond the last one computed: the limit only grows, so a time
 * within an older limit is within the current one too (no clock read per message).
 */
function beyondFuture(time: string): boolean {
  if (time <= futureIso) return false;
  const now = Date.now();
  if (now - futureAt > 1000) {
    futureAt = now;
    futureIso = new Date(now + FUTURE_SKEW_MS).toISOString();
  }
  return time > futureIso;
}

/** Where a room's backfill starts: unknown, "the room was empty", or after a message. */
type Anchor = undefined | 'start' | { id: string; time: string };

type LinkState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';

/** One room's socket and its reconnect loop. */
class RoomLink {
  state: LinkState = 'idle';
  failure: ChatError | undefined;
  socket: RoomSocket | undefined;
  /** The socket is open and has shown it is accepted (first frame or the grace time). */
  live = false;
  readonly seen = new BoundedSet(SEEN_LIMIT);
  /** The newest message emitted (or the history baseline), where a backfill starts. */
  anchor: Anchor;
  /** Online users of the room (presence). */
  readonly online = new Map<string, string>();
  /** Live message events held back while a backfill runs (emitted after it, so `tail` stays in order). */
  private held: Omit<MessageEvent, 'profile'>[] | undefined;
  private readonly backoff: Backoff;
  private stopped = false;
  private everConnected = false;
  private running = false;
  /** The reconnect wait; reconnectNow() and disconnect() cut it short. */
  private readonly retryWait = new WakeableSleep();
  private readonly notices = new Map<string, number>();
  private lastPresence: string | undefined;
  private askedNames = false;
  /** Counts live sockets; a backfill of an older socket does not emit (the newer one's backfill covers it). */
  private gen = 0;
  readonly ready: Promise<void>;
  private settleReady!: (err?: ChatError) => void;

  constructor(
    private readonly s: ChatApiSession,
    readonly room: string,
  ) {
    this.backoff = s.opts.backoff?.() ?? new Backoff();
    this.ready = new Promise<void>((resolve, reject) => {
      let done = false;
      this.settleReady = (err) => {
        if (done) return;
        done = true;
        if (err) reject(err);
        else resolve();
      };
    });
    this.ready.catch(() => {});
  }

  start(): void {
    if (this.running) return;
    this.stopped = false;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  stop(): void {
    this.stopped = true;
    this.state = 'stopped';
    this.settleReady(new ChatError('network', 'disconnected', { retryable: false }));
    this.retryWait.wake();
    this.socket?.close();
  }

  /** "Reconnect now": cut a backoff wait short, or drop the socket and reconnect at once. */
  kick(): void {
    this.backoff.reset();
    if (this.stopped) return;
    if (!this.running) return this.start();
    if (this.retryWait.waiting) this.retryWait.wake();
    else this.socket?.terminate();
  }

  private label(): string {
    return `room ${shortRoom(this.room)}`;
  }

  private async loop(): Promise<void> {
    const s = this.s;
    this.state = 'connecting';
    s.emit({ type: 'connection', state: 'connecting', room: this.room });
    while (!this.stopped) {
      const end = await this.attempt();
      if (this.stopped) break;
      const err = end.error ?? (end.opened ? closeError(end.code, end.reason, this.label()) : undefined);
      if (err && !err.retryable) {
        this.state = 'failed';
        this.failure = err;
        s.emit({ type: 'error', code: err.code, message: err.message, room: this.room });
        s.emit({ type: 'connection', state: 'failed', reason: err.message, room: this.room });
        this.settleReady(err);
        return;
      }
      let delay = this.backoff.nextDelay();
      if (err?.code === 'rate_limited' || end.code === CLOSE_RATE_LIMITED) {
        delay = Math.max(delay, err?.retryAfterMs ?? 0, s.rateLimitFloorMs);
        s.emit({ type: 'error', code: 'rate_limited', message: err?.message ?? 'rate limited', room: this.room });
      }
      const reason = err?.message ?? describeEnd(end);
      this.state = 'reconnecting';
      s.emit({ type: 'connection', state: 'reconnecting', reason, room: this.room, retryAt: new Date(Date.now() + delay).toISOString() });
      await this.retryWait.wait(delay);
    }
  }

  /** Opens one socket; resolves when it has ended. */
  private attempt(): Promise<SocketEnd> {
    const s = this.s;
    return new Promise<SocketEnd>((resolve) => {
      let heartbeat: NodeJS.Timeout | undefined;
      let deadline: NodeJS.Timeout | undefined;
      let grace: NodeJS.Timeout | undefined;
      let deadReason: string | undefined;
      const alive = (): void => {
        if (deadline === undefined) return; // the common case: no heartbeat reply outstanding
        clearTimeout(deadline);
        deadline = undefined;
      };
      const socket = s.transport.openRoom(this.room, {
        onOpen: () => {
          if (this.stopped) return socket.close();
          socket.requestOnline(); // Doc B: "Request current online users" on open
          grace = setTimeout(() => this.becameLive(), s.connectedGraceMs);
          heartbeat = setInterval(() => {
            socket.ping();
            deadline ??= setTimeout(() => {
              deadReason = `no heartbeat reply within ${Math.round((s.heartbeatIntervalMs + s.heartbeatTimeoutMs) / 1000)} s`;
              socket.terminate();
            }, s.heartbeatTimeoutMs);
          }, s.heartbeatIntervalMs);
        },
        onActivity: alive,
        onFrame: (data, isBinary) => {
          alive();
          try {
            this.onFrame(data, isBinary);
          } catch {
            this.notice('crash', 'ignored a frame the client could not handle');
          }
        },
        onEnd: (end) => {
          clearInterval(heartbeat);
          clearTimeout(deadline);
          clearTimeout(grace);
          if (this.socket === socket) this.socket = undefined;
          this.live = false;
          this.held = undefined;
          s.typingReset(this.room);
          resolve(deadReason ? { ...end, reason: deadReason } : end);
        },
      });
      this.socket = socket;
    });
  }

  /** The socket is accepted: connected event, ready, then a backfill (after a reconnect) or a baseline. */
  private becameLive(): void {
    if (this.live || this.stopped || !this.socket) return;
    this.live = true;
    this.gen++;
    this.state = 'connected';
    this.backoff.succeeded();
    const again = this.everConnected;
    this.everConnected = true;
    this.s.emit({ type: 'connection', state: 'connected', room: this.room });
    this.settleReady();
    if (again) void this.backfill();
    else if (this.anchor === undefined) void this.baseline();
  }

  /** First connect: remember the newest message in history as where a later backfill starts (nothing emitted). */
  private async baseline(): Promise<void> {
    try {
      const page = await this.s.transport.getMessages(this.room, { limit: 1 }, this.s.abort.signal);
      if (this.anchor !== undefined) return; // a live message came first
      const last = page.at(-1);
      this.anchor = last ? { id: last.event.id, time: last.event.time } : 'start';
    } catch {
      // no baseline: a reconnect before the first message marks a gap instead
    }
  }

  /**
   * After a reconnect: reads history back to the anchor (up to `backfillPages` pages) and emits every
   * message after it that was not seen, oldest first; live messages that arrive meanwhile are held and
   * emitted after. A gap event when the anchor is unknown or was not reached (issue 7 "Backfill").
   */
  private async backfill(): Promise<void> {
    const s = this.s;
    const anchor = this.anchor;
    const gen = this.gen;
    this.held = [];
    let collected: ParsedMessage[] = [];
    let reached = false;
    let complete = false;
    try {
      let before: string | undefined;
      for (let i = 0; i < s.backfillPages; i++) {
        const q: { limit: number; before?: string } = { limit: PAGE };
        if (before) q.before = before;
        let page = await s.transport.getMessages(this.room, q, s.abort.signal);
        // A server that ignores `before` (Doc B documents no cursor) answers with the newest page again:
        // keep what is older than the cursor and stop paging.
        let ignored = false;
        if (before) {
          const at = page.findIndex((m) => m.event.id === before);
          if (at >= 0) {
            page = page.slice(0, at);
            ignored = true;
          }
        }
        collected = [...page, ...collected];
        if (typeof anchor === 'object' && page.some((m) => m.event.id === anchor.id)) {
          reached = true;
          break;
        }
        if (ignored) break;
        if (page.length < PAGE) {
          complete = true;
          break;
        }
        before = page[0]?.event.id;
        if (!before) break;
      }
    } catch (err) {
      if (gen !== this.gen || this.stopped) return;
      const e = toChatError(err);
      s.emit({ type: 'notice', text: `could not backfill ${this.label()}: ${e.message}`, room: this.room });
      s.emit({ type: 'gap', room: this.room });
      this.flushHeld();
      return;
    }
    if (this.stopped || gen !== this.gen) return;
    let fresh: ParsedMessage[];
    if (typeof anchor === 'object') {
      const at = collected.findIndex((m) => m.event.id === anchor.id);
      fresh = at >= 0 ? collected.slice(at + 1) : collected.filter((m) => m.event.time >= anchor.time);
      if (at < 0 && !complete) s.emit({ type: 'gap', room: this.room });
    } else if (anchor === 'start') {
      fresh = collected;
      if (!complete && !reached) s.emit({ type: 'gap', room: this.room });
    } else {
      fresh = [];
      s.emit({ type: 'gap', room: this.room });
      const last = collected.at(-1);
      if (last) this.anchor = { id: last.event.id, time: last.event.time };
    }
    for (const m of fresh) this.emitMessage(m.event, true);
    this.flushHeld();
  }

  private flushHeld(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const ev of held) this.emitMessage(ev, true);
  }

  /** Emits a message once per id; moves the anchor. `force`: bypass the hold (backfill output). */
  emitMessage(ev: Omit<MessageEvent, 'profile'>, force = false): void {
    if (!force && this.held) {
      this.held.push(ev);
      return;
    }
    if (!this.seen.add(ev.id)) return;
    const anchor = this.anchor;
    // The event itself is the anchor ({id, time}): no object per message. A message stamped in the
    // future (beyond clock skew) never becomes it: one that the server pushed live but keeps no history
    // of would leave the anchor where no backfill can find it, and every later message older than it.
    if ((typeof anchor !== 'object' || ev.time >= anchor.time) && !beyondFuture(ev.time)) this.anchor = ev;
    const sent = this.s.sentTxn;
    const txn = sent.size === 0 ? undefined : sent.get(ev.id);
    this.s.learnName(ev.author);
    this.s.emit(txn ? { ...ev, txnId: txn } : ev);
  }

  /** One notice of `kind` per NOTICE_EVERY_MS. */
  notice(kind: string, text: string): void {
    const now = Date.now();
    if (now - (this.notices.get(kind) ?? -Infinity) < NOTICE_EVERY_MS) return;
    this.notices.set(kind, now);
    this.s.emit({ type: 'notice', text, room: this.room });
  }

  /**
   * Online lists carry bare ids (Doc B): once per room, names are looked up in the participants list
   * and the presence is emitted again with them. Best effort; a server without the endpoint is fine.
   */
  private async learnNames(): Promise<void> {
    this.askedNames = true;
    try {
      const people = await this.s.transport.getParticipants(this.room, this.s.abort.signal);
      for (const u of people) {
        if (u.name === u.id) continue;
        this.s.learnName(u);
        if (this.online.has(u.id)) this.online.set(u.id, u.name);
      }
      if (!this.stopped) this.presence();
    } catch {
      // names stay ids
    }
  }

  /** Emits the online list when it changed since the last presence event of this room. */
  private presence(): void {
    const online: UserRef[] = [...this.online].map(([id, name]) => ({ id, name }));
    const key = JSON.stringify(online);
    if (key === this.lastPresence) return;
    this.lastPresence = key;
    this.s.emit({ type: 'presence', room: this.room, online });
  }

  /** Maps one incoming frame (Doc B "Incoming Messages") to core events. */
  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.socket && !this.live) this.becameLive();
    const f = parseFrame(data, isBinary);
    if (f === 'too_big') return this.notice('too_big', `dropped a frame of ${Math.round(data.length / 1024)} KiB in ${this.label()} (over the 1 MiB limit)`);
    if (f === 'binary') return this.notice('binary', `ignored a binary frame in ${this.label()}`);
    if (f === 'not_json' || f === 'not_envelope') return this.notice('malformed', `ignored a malformed frame in ${this.label()}`);
    this.onEvent(f);
  }

  private onEvent(f: IncomingFrame): void {
    const s = this.s;
    const d = f.data;
    switch (f.type) {
      case 'message': {
        const ev = messageEvent(d, this.room, f.timestamp);
        if (!ev) return this.notice('malformed', `ignored a malformed message in ${this.label()}`);
        if (d.is_deleted === true) return;
        return this.emitMessage(ev);
      }
      case 'message_updated': {
        const id = asId(d.id) ?? asId(d.message_id);
        if (!id || typeof d.content !== 'string') return this.notice('malformed', `ignored a malformed edit in ${this.label()}`);
        const m = parseMessage({ id, content: d.content, created_at: d.edited_at ?? frameTime(f) }, this.room, f.timestamp);
        if (!m) return;
        return s.emit({ type: 'message.edit', room: this.room, id, text: m.event.text, time: m.event.time });
      }
      case 'message_deleted': {
        const id = asId(d.id) ?? asId(d.message_id);
        if (!id) return this.notice('malformed', `ignored a malformed delete in ${this.label()}`);
        return s.emit({ type: 'message.delete', room: this.room, id });
      }
      case 'user_joined': {
        const u = parseUser(d);
        if (!u) return;
        s.learnName(u);
        // Bounded: a server announcing ever new users must not grow the list (issue 7 "memory stays bounded").
        if (!this.online.has(u.id) && this.online.size >= s.maxOnline) return;
        this.online.set(u.id, u.name);
        return this.presence();
      }
      case 'user_left': {
        const u = parseUser(d);
        if (!u) return;
        this.online.delete(u.id);
        return this.presence();
      }
      case 'typing': {
        const u = parseUser(d);
        if (!u || u.id === s.me()?.id) return;
        s.learnName(u);
        return s.emit({ type: 'typing', room: this.room, user: u, typing: d.is_typing === true });
      }
      case 'notification': {
        const title = asName(d.title);
        const content = asName(d.content);
        const text = [title, content].filter(Boolean).join(': ');
        if (text) s.emit({ type: 'notice', text: text.slice(0, 500), room: this.room });
        return;
      }
      case 'connection_status': {
        const users = parseOnlineUsers(d);
        if (!users) return;
        this.online.clear();
        for (const u of users.slice(0, s.maxOnline)) this.online.set(u.id, u.name !== u.id ? u.name : s.nameOf(u.id));
        this.presence();
        if (!this.askedNames && users.some((u) => this.online.get(u.id) === u.id)) void this.learnNames();
        return;
      }
      case 'pong':
        return; // liveness only (handled before parsing)
      case 'error': {
        const text = asName(d.message) ?? asName(d.detail) ?? 'error';
        return this.notice('server_error', `server (${this.label()}): ${text.slice(0, 200)}`);
      }
      default:
        return; // unknown types are ignored (Doc B's own client logs them)
    }
  }
}

/** A short reason for a socket end without an error. */
function describeEnd(end: SocketEnd): string {
  if (end.reason && /heartbeat|frame/.test(end.reason)) return end.reason;
  if (end.code === 1006) return 'connection lost (1006)';
  const why = sanitizeLine(end.reason).slice(0, 100);
  return `server closed the socket (${end.code}${why ? `: ${why}` : ''})`;
}

/**
 * The session object the registry's `create` returns: one `RoomLink` (socket + reconnect loop) per open
 * room, REST through the transport. Events go to `ctx.emit` (sanitised); nothing is emitted after
 * `disconnect()`.
 */
export class ChatApiSession implements ConnectorSession {
  readonly capabilities: Capabilities;
  readonly transport: ChatApiTransport;
  readonly heartbeatIntervalMs: number;
  readonly heartbeatTimeoutMs: number;
  readonly connectedGraceMs: number;
  readonly typingIdleMs: number;
  readonly rateLimitFloorMs: number;
  readonly backfillPages: number;
  readonly maxOnline: number;
  readonly abort = new AbortController();
  /** Message id → client transaction id of our sends (so a live copy carries the txnId too). */
  readonly sentTxn = new Map<string, string>();
  private readonly links = new Map<string, RoomLink>();
  private readonly info = new Map<string, RoomInfo>();
  private readonly names = new Map<string, string>();
  private readonly typing = new Map<string, { on: boolean; sentAt: number; timer: NodeJS.Timeout | undefined }>();
  private stopped = false;
  private connecting: Promise<void> | undefined;
  /** Profile room references given by name → room id. */
  private readonly alias = new Map<string, string>();
  /** Profile room names that matched no room (not listed by `rooms()`). */
  private readonly missing = new Set<string>();
  /** Profile rooms closed with `partRoom` (no longer listed by `rooms()`). */
  private readonly parted = new Set<string>();

  constructor(
    private readonly ctx: ConnectorContext,
    readonly opts: ChatApiSessionOptions = {},
  ) {
    this.capabilities = { ...CHATAPI_CAPABILITIES, typingSend: ctx.profile.sendTyping !== false };
    this.heartbeatIntervalMs = opts.heartbeatIntervalMs ?? 25_000;
    this.heartbeatTimeoutMs = opts.heartbeatTimeoutMs ?? 10_000;
    this.connectedGraceMs = opts.connectedGraceMs ?? 1500;
    this.typingIdleMs = opts.typingIdleMs ?? 3000;
    this.rateLimitFloorMs = opts.rateLimitFloorMs ?? 5 * Number(process.env.CHAT_TUI_BACKOFF_BASE_MS ?? 1000);
    this.backfillPages = opts.backfillPages ?? 50;
    this.maxOnline = opts.maxOnline ?? 10_000;
    const me = this.me();
    if (me) this.names.set(me.id, me.name);
    this.transport =
      opts.transport?.(ctx) ??
      new DocBTransport({ baseUrl: ctx.profile.url ?? DEFAULT_URL, token: ctx.token ?? '', user: me });
  }

  /** Emits unless disconnected. */
  emit(ev: ConnectorEvent): void {
    if (this.stopped) return;
    try {
      this.ctx.emit(ev);
    } catch {
      // a listener failure must not break the socket loop
    }
  }

  /** Our user on the socket query string (profile userId/userName). */
  me(): UserRef | undefined {
    const id = this.ctx.profile.userId;
    if (!id) return undefined;
    return { id, name: this.ctx.profile.userName || id };
  }

  /** Remembers a user's name for presence lists that carry only ids. */
  learnName(u: UserRef): void {
    const known = this.names.get(u.id);
    if (known === u.name || (known !== undefined && u.name === u.id)) return;
    this.names.set(u.id, u.name);
    if (this.names.size > NAMES_LIMIT) {
      const oldest = this.names.keys().next().value;
      if (oldest !== undefined) this.names.delete(oldest);
    }
  }

  /** The name learned for a user id, or the id itself. */
  nameOf(id: string): string {
    return this.names.get(id) ?? id;
  }

  /**
   * Opens a socket per profile room and resolves when one is connected; rejects with the first error
   * when every room failed for good (4001 auth, 4002 not_found, 4003 forbidden). With no rooms it checks
   * the key with `GET /rooms/` instead. Retryable failures keep retrying in the background.
   */
  connect(signal: AbortSignal): Promise<void> {
    if (this.stopped) return Promise.reject(new ChatError('network', 'the session was closed'));
    signal.addEventListener('abort', () => void this.disconnect(), { once: true });
    this.connecting ??= this.doConnect();
    return this.connecting;
  }

  private async doConnect(): Promise<void> {
    const refs = [...new Set(this.ctx.profile.rooms ?? [])];
    if (refs.length === 0) {
      await this.listRooms();
      this.emit({ type: 'connection', state: 'connected' });
      return;
    }
    // Doc B addresses rooms by UUID; a room given by name (`--room general`) is looked up in GET /rooms/ first.
    const failures: ChatError[] = [];
    const rooms: string[] = [];
    if (refs.some((r) => !UUID.test(r))) {
      let listErr: ChatError | undefined;
      try {
        await this.listRooms();
      } catch (err) {
        listErr = toChatError(err);
        if (listErr.code === 'auth' || listErr.code === 'forbidden') throw listErr;
      }
      for (const ref of refs) {
        if (UUID.test(ref) || listErr) {
          rooms.push(ref);
          continue;
        }
        const want = ref.replace(/^#/, '').toLowerCase();
        const hit = [...this.info.values()].find((r) => r.id === ref || r.name.toLowerCase() === want);
        if (hit) {
          this.alias.set(ref, hit.id);
          rooms.push(hit.id);
        } else {
          const e = new ChatError('not_found', `no room named "${sanitizeLine(ref).slice(0, 80)}"`, { retryable: false });
          this.emit({ type: 'error', code: e.code, message: e.message });
          this.missing.add(ref);
          failures.push(e);
        }
      }
    } else {
      rooms.push(...refs);
      void this.learnRooms();
    }
    for (const r of rooms) if (!this.info.has(r)) this.info.set(r, { id: r, name: r });
    if (rooms.length === 0) throw failures[0] ?? new ChatError('not_found', 'no room to open', { retryable: false });
    const links = [...new Set(rooms)].map((r) => this.openLink(r));
    await new Promise<void>((resolve, reject) => {
      let failed = 0;
      let first: unknown;
      for (const l of links) {
        l.ready.then(resolve, (err: unknown) => {
          first ??= err;
          if (++failed === links.length) reject(first);
        });
      }
    });
  }

  /** Room names from `GET /rooms/` (emitted as `room` events); failures are ignored here. */
  private async learnRooms(): Promise<void> {
    try {
      await this.listRooms();
    } catch {
      // the sockets report auth problems themselves
    }
  }

  private openLink(room: string): RoomLink {
    let link = this.links.get(room);
    this.parted.delete(room);
    if (link?.state === 'failed') {
      // a room refused earlier (4002/4003) is tried again when asked for again
      this.links.delete(room);
      link = undefined;
    }
    if (!link) {
      link = new RoomLink(this, room);
      this.links.set(room, link);
      link.start();
    }
    return link;
  }

  async disconnect(): Promise<void> {
    if (this.stopped) return;
    for (const room of this.links.keys()) this.emit({ type: 'connection', state: 'offline', room });
    this.stopped = true;
    this.abort.abort();
    for (const t of this.typing.values()) clearTimeout(t.timer);
    this.typing.clear();
    for (const l of this.links.values()) l.stop();
    // let the close frames go out (the transport drops sockets that do not finish within 1 s)
    await new Promise((r) => setTimeout(r, 20));
  }

  reconnectNow(): void {
    for (const l of this.links.values()) l.kick();
  }

  /**
   * `POST /rooms/{id}/messages/` (Doc B's own example sends over REST; facts §B2). Stops our typing
   * indicator first. Resolves with the server's copy and `txnId`; rejects with ChatError (auth,
   * forbidden, not_found, rate_limited with retryAfterMs, network, protocol).
   */
  async send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    this.setTyping(room, false);
    const m = await this.transport.postMessage(room, text, this.abort.signal);
    this.sentTxn.set(m.event.id, txnId);
    if (this.sentTxn.size > 1000) {
      const oldest = this.sentTxn.keys().next().value;
      if (oldest !== undefined) this.sentTxn.delete(oldest);
    }
    return { ...m.event, profile: this.ctx.profile.name, txnId };
  }

  rooms(): RoomInfo[] {
    const ids = new Set([...(this.ctx.profile.rooms ?? []).map((r) => this.alias.get(r) ?? r), ...this.links.keys()]);
    for (const p of [...this.parted, ...this.missing]) ids.delete(p);
    return [...ids].map((id) => this.info.get(id) ?? { id, name: id });
  }

  /**
   * Messages of `room`, oldest first: the latest `limit`, or those before message `before`. Pages of 100
   * (`before=`/`before_message_id=`; answers of a server that ignores them are filtered here).
   */
  async history(room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    let remaining = Math.max(1, Math.floor(opts.limit));
    let cursor = opts.before;
    let out: MessageEvent[] = [];
    const ids = new Set<string>();
    while (remaining > 0) {
      const want = Math.min(PAGE, remaining);
      const q: { limit: number; before?: string } = { limit: want };
      if (cursor) q.before = cursor;
      let page = await this.transport.getMessages(room, q, this.abort.signal);
      let ignored = false;
      if (cursor) {
        const at = page.findIndex((m) => m.event.id === cursor);
        if (at >= 0) {
          page = page.slice(0, at); // the server ignored the cursor (see backfill)
          ignored = true;
        }
      }
      page = page.filter((m) => !ids.has(m.event.id));
      if (page.length === 0) break;
      page = page.slice(-want);
      for (const m of page) {
        ids.add(m.event.id);
        this.learnName(m.event.author);
      }
      out = [...page.map((m) => ({ ...m.event, profile: this.ctx.profile.name })), ...out];
      remaining -= page.length;
      if (ignored || page.length < want) break;
      cursor = page[0]?.event.id;
    }
    return out;
  }

  /** `GET /rooms/` as RoomInfo; learns names and emits `room` events for the rooms we have open. */
  async listRooms(): Promise<RoomInfo[]> {
    const list = await this.transport.listRooms(this.abort.signal);
    for (const r of list) {
      const known = this.info.get(r.id);
      this.info.set(r.id, r);
      if (known && (known.name !== r.name || known.topic !== r.topic)) {
        const ev: ConnectorEvent = { type: 'room', room: r.id, name: r.name };
        if (r.topic) ev.topic = r.topic;
        this.emit(ev);
      }
    }
    return list;
  }

  /**
   * A room by id or name (case-insensitive, a leading `#` ignored): our rooms, then `GET /rooms/`; an id
   * that looks like a UUID is taken as is. Throws ChatError not_found.
   */
  async resolveRoom(ref: string): Promise<RoomInfo> {
    const want = ref.replace(/^#/, '').toLowerCase();
    const find = (): RoomInfo | undefined =>
      this.info.get(ref) ?? [...this.info.values()].find((r) => r.id.toLowerCase() === want || r.name.toLowerCase() === want);
    let hit = find();
    if (hit) return hit;
    let listErr: ChatError | undefined;
    try {
      await this.listRooms();
    } catch (err) {
      listErr = toChatError(err);
    }
    hit = find();
    if (hit) return hit;
    if (UUID.test(ref)) return { id: ref, name: ref };
    if (listErr && listErr.code !== 'not_found') throw listErr;
    throw new ChatError('not_found', `no room named "${sanitizeLine(ref).slice(0, 80)}"`, { retryable: false });
  }

  /** Opens another room's socket (`/join`); resolves once connected, rejects on a refusal. */
  async joinRoom(ref: string): Promise<RoomInfo> {
    const info = await this.resolveRoom(ref);
    this.info.set(info.id, info);
    const link = this.openLink(info.id);
    try {
      await link.ready;
    } catch (err) {
      link.stop();
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
    link.stop();
    this.links.delete(room);
    this.parted.add(room);
    this.emit({ type: 'connection', state: 'offline', room });
  }

  /**
   * Typing indicator, debounced (Doc B example, issue 3 §4): `true` on input sends `typing {is_typing:
   * true}` at once and again at most every `typingIdleMs` while input continues; `false` after
   * `typingIdleMs` of no input, on send, or when called with `false`. No-op when the profile says
   * `sendTyping: false` or the room's socket is not open.
   */
  setTyping(room: string, typing: boolean): void {
    if (!this.capabilities.typingSend || this.stopped) return;
    const socket = this.links.get(room)?.socket;
    let st = this.typing.get(room);
    if (!typing) {
      if (!st) return;
      clearTimeout(st.timer);
      if (st.on) socket?.sendTyping(false);
      this.typing.delete(room);
      return;
    }
    if (!socket) return;
    const now = Date.now();
    if (!st) {
      st = { on: false, sentAt: 0, timer: undefined };
      this.typing.set(room, st);
    }
    if (!st.on || now - st.sentAt >= this.typingIdleMs) {
      socket.sendTyping(true);
      st.on = true;
      st.sentAt = now;
    }
    clearTimeout(st.timer);
    st.timer = setTimeout(() => this.setTyping(room, false), this.typingIdleMs);
  }

  /** Forgets the typing state of a room whose socket ended (the server drops it with the socket). */
  typingReset(room: string): void {
    const st = this.typing.get(room);
    if (!st) return;
    clearTimeout(st.timer);
    this.typing.delete(room);
  }
}

/** Default base URL: the production host of Doc B (facts §B1: not backed by anything we could check). */
export const DEFAULT_URL = 'https://api.chatapi.dev';
