import { capabilitiesOf, type Capabilities, type ConnectorContext, type ConnectorSession, type HistoryOptions, type RoomInfo, type ServiceTraits } from '../../core/connector.js';
import { CatchUp, NoticeThrottle, PendingSends, ReconnectingLink, SafeEmitter, type LinkOptions } from '../../core/connection/index.js';
import { ChatError, UsageError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import type { Backoff } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { RoomsAccount } from './account.js';
import { MessageArchive } from './archive.js';
import { RoomDirectory, notOurs, type RoomRecord } from './directory.js';
import { retrieveAfter } from './retrieve.js';
import { openRoomsSocket } from './socket.js';
import { MAX_FRAME_BYTES, isRoomNumber, sendFrame, toMessageEvent, type WireMessage } from './wire.js';

/**
 * A rooms session (the Tibi API server; ../shared/protocols/rooms.facts.md Part A).
 *
 * One socket, `GET <url>/chat/connect`, carries every room of the account (facts A4; socket.ts), on the
 * core kit's `ReconnectingLink`. Catching up (facts A4.4: messages published before the server's
 * subscription, i.e. before CONNECTED, are lost to the socket):
 * - before the first socket, `POST /chat/retrieve {"after": 0}` is the baseline: what the server had
 *   when we started is history (kept for `history`, used to discover rooms), not new messages;
 * - after EVERY CONNECTED, the first included, `POST /chat/retrieve {"after": H}` (H the highest id
 *   seen; ids are one serial over all rooms, facts A5) brings what was posted meanwhile, merged by id
 *   with the live messages that arrived during it (the kit's `CatchUp`) — every message once, in id order.
 * Rooms: there is no list endpoint (facts A1); directory.ts. Sending: `{"room","message","messages"}`
 * over the socket; the server has no ack but echoes our own message with its id (facts A4.2), which the
 * kit's `PendingSends` matches; a send to a room we are not in is dropped silently, so a send with no
 * echo within `echoTimeoutMs` fails. Liveness: the server answers WS pings (facts A4.4); we ping, and a
 * socket with no frame or pong for `idleTimeoutMs` is replaced.
 */

/** What the service carries besides the methods of the session (facts A1, A4, A5). */
const ROOMS_TRAITS: ServiceTraits = {
  typingReceive: false, // no typing or presence frames in the protocol (facts A4)
  presence: false,
  edits: false,
  readOnly: false,
  atMentions: false,
};

/** Tunables, for tests (all ms). */
export interface RoomsSessionOptions {
  /** A send whose echo has not come back within this time fails (default 10 s). */
  echoTimeoutMs?: number;
  /** From the socket's open to the CONNECTED frame (default 15 s). */
  connectedTimeoutMs?: number;
  /** WS ping interval (default 25 s; the server answers pings, facts A4.4). */
  pingIntervalMs?: number;
  /** No frame and no pong for this long: the socket is dead and replaced (default 70 s). */
  idleTimeoutMs?: number;
  /** WebSocket handshake time limit (default 15 s). */
  handshakeTimeoutMs?: number;
  /** REST time limit (default 20 s). */
  httpTimeoutMs?: number;
  /** Messages kept per room for `history` (default 10,000). */
  archiveLimit?: number;
  /** Rooms known at most; a message for a new room beyond it is dropped with a notice (default MAX_ROOMS, 1000). */
  maxRooms?: number;
  /** Live messages held while a catch-up runs, at most (default {@link MAX_CATCH_UP_BUFFER}); beyond it the socket is replaced. */
  maxCatchUpBuffer?: number;
  /** Backoff factory (default: core Backoff with its env overrides). */
  backoff?: () => Backoff;
  /** Clock, ms (token age). */
  now?: () => number;
  /** How often a running session checks whether its token is a day old and refreshes it (default 1 h). */
  refreshCheckMs?: number;
}

/**
 * Live messages held while a catch-up runs (bounded memory). A flood that fills it ends the socket:
 * nothing is lost, since the next catch-up starts from the same high-water mark and retrieves those
 * messages from the server, in order.
 */
export const MAX_CATCH_UP_BUFFER = 20_000;
/** How many message ids are remembered for dedupe. */
const SEEN_LIMIT = 100_000;
/**
 * At most this many rooms are known (profile, discovered, named). Each new room costs a record, an
 * archive and a room_info request, so a server sending messages to ever new room ids must not grow them.
 */
const MAX_ROOMS = 1000;
/** listRooms() re-discovers only when the last discovery is older than this, ms. */
const DISCOVERY_FRESH_MS = 10_000;

/** A message in the account's stream: its event, and the wire message (numeric id, raw text). */
interface Item {
  id: string;
  time: string;
  m: WireMessage;
}

/** The ConnectorSession of a rooms profile. Create with `definition.create(ctx)` (index.ts). */
export class RoomsSession implements ConnectorSession {
  readonly capabilities: Capabilities = capabilitiesOf(this, ROOMS_TRAITS);
  private readonly emitter: SafeEmitter;
  private readonly notices: NoticeThrottle;
  private readonly account: RoomsAccount;
  private readonly directory: RoomDirectory;
  private readonly archive: MessageArchive;
  private readonly stream: CatchUp<Item>;
  private readonly pending: PendingSends;
  private readonly link: ReconnectingLink;
  private readonly abort = new AbortController();
  /** REST time limit of the options, as `post` takes it. */
  private readonly timeout: { timeoutMs?: number };
  /** The open socket's send once CONNECTED; undefined while not connected. */
  private sendFrame: ((frame: string, done: (err?: Error) => void) => void) | undefined;
  /** Why the last catch-up failed (an auth refusal ends the session). */
  private catchUpError: ChatError | undefined;
  /** The baseline retrieve (`after: 0`) is done. */
  private baselined = false;
  private lastDiscovery = 0;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: ConnectorContext,
    readonly opts: RoomsSessionOptions = {},
  ) {
    this.emitter = new SafeEmitter(ctx.emit);
    this.notices = new NoticeThrottle((text, room) => this.emit(room === undefined ? { type: 'notice', text } : { type: 'notice', text, room }));
    this.timeout = opts.httpTimeoutMs === undefined ? {} : { timeoutMs: opts.httpTimeoutMs };
    this.account = new RoomsAccount(ctx, ctx.profile.url ?? '', opts.now ?? Date.now, this.notices, this.timeout);
    this.directory = new RoomDirectory(ctx.profile.rooms ?? [], this.account, (ev) => this.emit(ev), this.notices, this.timeout);
    this.archive = new MessageArchive(opts.archiveLimit ?? 10_000);
    this.pending = new PendingSends(() => this.account.myPosterId());
    this.stream = new CatchUp<Item>({
      deliver: (it) => this.deliver(it.m),
      gap: () => {},
      failed: (_why, err) => (this.catchUpError = toChatError(err)),
      gapOnFailure: false, // the history is exact: a failed catch-up reconnects and reads again from the same id
      seenLimit: SEEN_LIMIT,
      maxHeld: opts.maxCatchUpBuffer ?? MAX_CATCH_UP_BUFFER,
      newer: (it, a) => a === undefined || it.m.n > a.m.n,
      order: (a, b) => a.m.n - b.m.n,
    });
    const idleMs = opts.idleTimeoutMs ?? 70_000;
    const linkOpts: LinkOptions = {
      emit: (ev) => this.emit(ev),
      open: async (a) => {
        const signal = AbortSignal.any([a.signal, this.abort.signal]);
        await this.account.prepare(signal);
        if (!this.baselined) await this.baseline(signal);
        const token = this.account.token ?? '';
        const hooks = {
          token,
          notices: this.notices,
          connected: (sig: AbortSignal) => this.catchUp(sig),
          message: (m: WireMessage) => this.stream.live(item(m)),
          setSend: (send: typeof this.sendFrame) => (this.sendFrame = send),
        };
        return openRoomsSocket(this.account.base, a, hooks, opts, opts.maxCatchUpBuffer ?? MAX_CATCH_UP_BUFFER);
      },
      liveness: { idleMs, pingEveryMs: opts.pingIntervalMs ?? 25_000, reason: `no frames or pongs for ${Math.round(idleMs / 1000)} s` },
      onDown: () => {
        this.sendFrame = undefined;
        // Live messages not yet merged are dropped: the next catch-up (from the unchanged high-water mark) brings them in order.
        this.stream.drop();
      },
      onFailed: (err) => this.pending.failAll(err),
    };
    const backoff = opts.backoff?.();
    if (backoff) linkOpts.backoff = backoff;
    this.link = new ReconnectingLink(linkOpts);
  }

  /** Emits an event unless the session is closed (a listener's failure is not ours). */
  private emit(ev: ConnectorEvent): void {
    this.emitter.emit(ev);
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Connects: refreshes an old token, learns who we are (`/user/info`), reads the baseline, opens the
   * socket, waits for CONNECTED, catches up and names the rooms. Resolves once live; rejects with
   * ChatError auth (no token, token refused, not retried) or not_found (no socket at the URL), or
   * UsageError without a URL. Retryable failures retry in the background, with `connection` events.
   */
  connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new ChatError('network', 'rooms: cancelled'));
    signal.addEventListener('abort', () => void this.disconnect(), { once: true });
    if (this.emitter.closed) return Promise.reject(new ChatError('network', 'rooms: the session is closed'));
    if (!this.account.base) return Promise.reject(new UsageError('rooms needs the server URL: chat-tui profile add … --url URL'));
    if (!this.account.token) {
      const err = new ChatError('auth', `rooms: no token; run chat-tui login --profile ${this.ctx.profile.name}, or give --token`, { retryable: false });
      this.emit({ type: 'error', code: err.code, message: err.message });
      this.emit({ type: 'connection', state: 'failed', reason: err.message });
      return Promise.reject(err);
    }
    this.link.start();
    if (!this.refreshTimer) {
      // A session can run for days (the TUI): the token is also refreshed while connected (facts A3: once a day).
      this.refreshTimer = setInterval(() => void this.account.maybeRefresh(this.abort.signal), this.opts.refreshCheckMs ?? 3600_000);
      this.refreshTimer.unref();
    }
    return this.link.ready;
  }

  /** Closes the socket; no events after it resolves. Pending sends fail (network). Idempotent. */
  async disconnect(): Promise<void> {
    if (this.emitter.closed) return;
    this.emit({ type: 'connection', state: 'offline', reason: 'disconnected' });
    clearInterval(this.refreshTimer);
    this.link.stop();
    await this.emitter.close(this.abort, this.pending, 'rooms: disconnected before the server echoed the message');
  }

  /** Reconnect now (the kit's one meaning: the next attempt starts at once); a failed session tries again. */
  reconnectNow(): void {
    if (this.emitter.closed || !this.account.token) return;
    this.link.reconnectNow();
  }

  // ---------------------------------------------------------------- catching up

  /** Before the first socket: what the server has now is history, not news (facts A4.4; see the class comment). */
  private async baseline(signal: AbortSignal): Promise<void> {
    const fetched = await this.retrieve(0, signal);
    for (const m of fetched) {
      this.directory.add(m.room, false);
      this.archive.remember(m.room, m.n, this.toEvent(m));
      this.stream.advance(item(m));
    }
    this.baselined = true;
    this.lastDiscovery = Date.now();
    await this.directory.nameAll(signal);
    if (this.directory.map.size === 0) {
      this.notices.notice('no-rooms', 'rooms: no rooms found yet; the server lists rooms only through their messages, so a room appears here with its first message');
    }
  }

  /** After every CONNECTED: retrieve after the high-water mark, name new rooms, deliver merged with the held live messages. */
  private async catchUp(signal: AbortSignal): Promise<void> {
    const result = await this.stream.catchUp(async (anchor, sig) => {
      const after = typeof anchor === 'object' ? anchor.m.n : 0;
      const fetched = await this.retrieve(after, AbortSignal.any([sig, signal]));
      for (const m of fetched) this.directory.add(m.room, false);
      await this.directory.nameAll(AbortSignal.any([sig, signal, this.abort.signal]));
      return { messages: fetched.map(item), reached: true };
    }, signal);
    if (result === 'failed') throw this.catchUpError ?? new ChatError('network', 'rooms: catching up failed');
    if (result === 'stale') throw new ChatError('network', 'the socket closed while catching up');
    this.lastDiscovery = Date.now();
  }

  /** `POST /chat/retrieve {"after": n}` (retrieve.ts), bounded by the session's signal. */
  private retrieve(after: number, signal?: AbortSignal): Promise<WireMessage[]> {
    const sig = signal ? AbortSignal.any([signal, this.abort.signal]) : this.abort.signal;
    return retrieveAfter(this.account, after, sig, this.timeout, this.notices);
  }

  // ---------------------------------------------------------------- messages

  private toEvent(m: WireMessage): MessageEvent {
    return { ...toMessageEvent(m, this.account.userRef(m.poster)), profile: this.ctx.profile.name };
  }

  /**
   * One new message (once per id, in id order, from the stream): keep it for history, discover its
   * room, confirm our own send by its echo, emit it when its room is followed (or it is our echo).
   */
  private deliver(m: WireMessage): void {
    const id = String(m.n);
    if (!this.directory.map.has(m.room)) {
      const maxRooms = this.opts.maxRooms ?? MAX_ROOMS;
      if (this.directory.map.size >= maxRooms) {
        this.notices.notice('too-many-rooms', `rooms: dropped message ${id}: its room is new and ${maxRooms} rooms are known already`);
        return;
      }
      this.directory.add(m.room, false);
      void this.directory.nameAll(this.abort.signal);
    }
    if (m.oversized) {
      this.notices.notice('huge', `rooms: dropped message ${id}: its text is over ${MAX_FRAME_BYTES / 1024 / 1024} MiB`, m.room);
      return;
    }
    const ev = this.pending.match(this.toEvent(m));
    this.archive.remember(m.room, m.n, ev);
    if (ev.txnId !== undefined || this.directory.follows(m.room)) this.emit(ev);
  }

  /**
   * Sends `text` to room `room` (a numeric id as a string) over the socket (facts A4.2, A7): the frame
   * has both `message` and `messages`. Resolves with the server's copy — our own message echoed back
   * (same room, text and poster, oldest pending first; the kit's PendingSends), with its real id and
   * `txnId` set — also when the echo comes in through a catch-up after a drop. Rejects with ChatError:
   * network when the socket is not up (nothing was sent; safe to retry) or the session closes;
   * not_found for a non-numeric room, and at once for a room room_info refused; protocol (not
   * retryable) when no echo came within `echoTimeoutMs` — the server drops sends to rooms we are not
   * in (or may not send to) without a word.
   */
  async send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    const r = room.trim();
    if (!isRoomNumber(r)) throw new ChatError('not_found', `rooms: "${sanitizeLine(room).slice(0, 60)}" is not a room id (room ids are numbers)`, { retryable: false });
    const roomId = String(Number(r));
    // room_info already said 404: the server would drop the frame without a word (facts A4.2).
    if (this.directory.map.get(roomId)?.info === 'missing') throw notOurs(roomId);
    if (Buffer.byteLength(text, 'utf8') > MAX_FRAME_BYTES / 2) throw new ChatError('protocol', 'rooms: the message is too long (over 512 KiB)', { retryable: false });
    const send = this.sendFrame;
    if (this.emitter.closed || !send) throw new ChatError('network', 'rooms: not connected; the message was not sent');
    const timeoutMs = this.opts.echoTimeoutMs ?? 10_000;
    const timeout = (): ChatError => {
      const name = this.directory.map.get(roomId)?.name;
      const named = name && name !== `room ${roomId}` ? ` (${name})` : '';
      return new ChatError('protocol', `rooms: no echo from the server within ${Math.round(timeoutMs / 1000)} s: not a member of room ${roomId}${named}?`, { retryable: false });
    };
    // No ack: the echo of our own message is the confirmation (facts A4.2).
    const post = (): Promise<undefined> =>
      new Promise((resolve, reject) =>
        send(sendFrame(roomId, text), (err) => (err ? reject(new ChatError('network', 'rooms: the socket broke while sending; the message was not sent')) : resolve(undefined))),
      );
    return { ...(await this.pending.send(roomId, text, txnId, post, { timeoutMs, timeout })), profile: this.ctx.profile.name };
  }

  // ---------------------------------------------------------------- rooms and history

  /** Rooms found so far (profile rooms, retrieve, live messages), by id; names from room_info. Only the followed ones when the profile names rooms. */
  rooms(): RoomInfo[] {
    return this.directory.list((r) => this.directory.follows(r.id));
  }

  /**
   * The account's rooms. There is no list endpoint (facts A1): this is discovery — the rooms of every
   * message `/chat/retrieve {"after": 0}` returns, named by room_info — and is redone only when the last
   * discovery is older than 10 s. An empty DM (created, no message yet) cannot be found (facts A1).
   * Every room of the account, also when the profile follows only some (`rooms()`); not rooms that
   * room_info refused.
   */
  async listRooms(): Promise<RoomInfo[]> {
    const all = (r: RoomRecord): boolean => r.info !== 'missing';
    if (this.baselined && Date.now() - this.lastDiscovery < DISCOVERY_FRESH_MS) return this.directory.list(all);
    await this.keepAll();
    await this.directory.nameAll(this.abort.signal);
    this.lastDiscovery = Date.now();
    return this.directory.list(all);
  }

  /** Reads every message (`after: 0`) into the archive and the directory. */
  private async keepAll(): Promise<void> {
    for (const m of await this.retrieve(0)) {
      this.directory.add(m.room, false);
      this.archive.remember(m.room, m.n, this.toEvent(m));
    }
  }

  /** A room by id or name (directory.ts). Throws ChatError not_found. */
  resolveRoom(ref: string): Promise<RoomInfo> {
    return this.directory.resolve(ref, this.abort.signal);
  }

  /**
   * Older messages of `room`, oldest first, at most `limit`, older than `before` (a message id) when
   * given. Limitation: the server's only history query is "every message of every room after id N"
   * (`/chat/retrieve`, no room filter, no limit, facts A5), so this reads the messages kept since the
   * baseline (or makes that retrieve) and filters them to the room. Throws ChatError not_found for a
   * room we do not occupy, or the retrieve's error.
   */
  async history(room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    const t = room.trim();
    const id = isRoomNumber(t) ? String(Number(t)) : (await this.resolveRoom(t)).id;
    if (!this.baselined && !this.archive.size) await this.keepAll();
    const before = opts.before !== undefined && /^\d+$/.test(opts.before) ? Number(opts.before) : undefined;
    const a = this.archive.get(id);
    if (!a) {
      const r = this.directory.map.get(id);
      if (!r || r.info === 'none') await this.resolveRoom(id);
      else if (r.info === 'missing') throw notOurs(id);
      return [];
    }
    let items = before === undefined ? a.items : a.items.filter((x) => x.n < before);
    const oldestKept = a.items[0]?.n;
    if (a.truncated && items.length < opts.limit && (before === undefined || oldestKept === undefined || before <= oldestKept + 1)) {
      // Older than what is kept: read everything again (not stored).
      const all = (await this.retrieve(0)).filter((m) => m.room === id && !m.oversized && (before === undefined || m.n < before));
      items = all.map((m) => ({ n: m.n, ev: this.toEvent(m) }));
    }
    return items.slice(-Math.max(0, opts.limit)).map((x) => ({ ...x.ev }));
  }

  /**
   * The room's messages the server has now (`POST /chat/retrieve`, facts A5: one id serial over all
   * rooms, no room filter), after the 100th newest message kept for the room (`after: 0` when fewer are
   * kept): the outbox looks there for a send whose echo never came before it sends it again. Throws the
   * retrieve's ChatError.
   */
  async recentMessages(room: string): Promise<MessageEvent[]> {
    const id = String(Number(room.trim()));
    const kept = this.archive.get(id)?.items ?? [];
    const after = kept.length > 100 ? (kept[kept.length - 100]?.n ?? 0) : 0;
    const fetched = await this.retrieve(after);
    return fetched.filter((m) => m.room === id && !m.oversized).map((m) => this.toEvent(m));
  }

  // ---------------------------------------------------------------- DMs and us

  /** Starts a DM with `user` (a user id, or a name from the profile's aliases): directory.ts. */
  createDm(user: string): Promise<string> {
    return this.directory.createDm(user, this.abort.signal);
  }

  /** Our user (from /user/info; before it answers, the login's or the token's id). */
  me(): UserRef | undefined {
    return this.account.me();
  }

  /** The non-retryable error that stopped the session, if any. */
  get failedWith(): ChatError | undefined {
    return this.link.failure;
  }
}

/** A wire message as an item of the account's stream. */
function item(m: WireMessage): Item {
  return { id: String(m.n), time: '', m };
}

/** Capabilities of the service: the methods of the session, and what the protocol carries (facts A1, A4, A5). */
export const ROOMS_CAPABILITIES: Capabilities = capabilitiesOf(RoomsSession.prototype, ROOMS_TRAITS);
