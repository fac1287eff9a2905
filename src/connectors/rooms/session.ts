import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Capabilities, ConnectorContext, ConnectorSession, HistoryOptions, RoomInfo } from '../../core/connector.js';
import { ChatError, UsageError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import { Backoff, WakeableSleep } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { cannotReachServer } from '../http.js';
import { LOGIN_HINT, REFUSED_HINT, errorFromAnswer, post, postOk, socketUrl } from './http.js';
import { needsRefresh, refreshToken, tokenFields } from './login.js';
import {
  MAX_FRAME_BYTES,
  MAX_RETRIEVE_BYTES,
  authFrame,
  classifyFrame,
  fallbackRoomName,
  isRoomNumber,
  readMessage,
  readRetrieve,
  readRoomInfo,
  readTokenClaims,
  readUserInfo,
  retrieveList,
  sendFrame,
  toMessageEvent,
  type WireMessage,
} from './wire.js';

/**
 * A rooms session (the Tibi API server; ../shared/protocols/rooms.facts.md Part A, issue 5).
 *
 * One socket, `GET <url>/chat/connect`, carries every room of the account (facts A4):
 * 1. on open we send `{"auth_token": T}`; the connection counts as made only on a frame whose `status`
 *    is `CONNECTED` (with or without `type`); an `{error, error_code}` frame is the auth refusal
 *    (AUTH_TOKEN_INVALID / AUTH_TOKEN_EXPIRED), after which the server ends the socket: not retried;
 * 2. after CONNECTED, and after every reconnect, we catch up with `POST /chat/retrieve {"after": H}`
 *    where H is the highest message id seen (ids are one serial over all rooms, facts A5): the answer
 *    spans every room, unordered, so it is sorted by id, split per room, and merged with the live
 *    messages that arrived meanwhile (buffered until the catch-up is done) — every message once, in
 *    id order. The first connect has seen nothing yet: its `after: 0` answer is the baseline, kept as
 *    history and used to discover the rooms, not emitted as new messages;
 * 3. any frame with a `message` object is a chat message, whatever `type` says (facts A7).
 * Rooms: there is no list endpoint (facts A1); rooms are found in retrieve answers and live messages,
 * plus the profile's `--room`s, and named with `POST /chat/room_info` (null name → the occupants).
 * Sending: `{"room","message","messages"}` over the socket; the server has no ack but echoes our own
 * message to us with its id, which confirms the send; a send to a room we are not in is silently
 * dropped (facts A4.2), so a send with no echo within `echoTimeoutMs` fails.
 * Liveness: the server sends no heartbeat but answers WS pings (facts A4.4); we ping, and a socket
 * that gives no frame or pong for `idleTimeoutMs` is replaced.
 */

/** Static capabilities of the service (facts A1, A4, A5; issue 5 "Capabilities"). */
export const ROOMS_CAPABILITIES: Capabilities = {
  history: true, // /chat/retrieve {"after"} (facts A5)
  typingSend: false, // no typing frames in the protocol (facts A4)
  typingReceive: false,
  presence: false,
  edits: false,
  roomListing: true, // no list endpoint: listRooms() is discovery from /chat/retrieve + /chat/room_info (facts A1)
  dms: true, // /chat/create_dm (facts A5)
  join: false, // no endpoint joins a room (facts A1)
  readOnly: false,
  moderation: false,
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
 * Live messages held while a catch-up runs (issue 7 bounded memory). A flood that fills it ends the
 * socket: nothing is lost, since the next catch-up starts from the same high-water mark and retrieves
 * those messages from the server, in order.
 */
export const MAX_CATCH_UP_BUFFER = 20_000;

/** Frames larger than this close the socket inside `ws` (memory bound); 1 MiB < size ≤ this are dropped with a notice. */
const WS_MAX_PAYLOAD = 8 * MAX_FRAME_BYTES;
/** How many message ids are remembered for dedupe. */
const SEEN_LIMIT = 100_000;
/**
 * At most this many rooms are known (profile, discovered, named). A message for a new room beyond it is
 * dropped with a notice: each new room costs a room record, an archive and a room_info request, so a
 * server sending messages to ever new room ids must not grow them without bound (issue 7 "memory stays
 * bounded").
 */
const MAX_ROOMS = 1000;
/** Repeated notices of one kind at most this often, ms. */
const NOTICE_EVERY_MS = 10_000;
/** listRooms() re-discovers only when the last discovery is older than this, ms. */
const DISCOVERY_FRESH_MS = 10_000;
/** How many room_info requests run at once. */
const ROOM_INFO_PARALLEL = 8;

/** A set that forgets its oldest entries beyond `limit`. */
class SeenIds {
  private readonly ids = new Set<string>();
  constructor(private readonly limit: number) {}
  has(id: string): boolean {
    return this.ids.has(id);
  }
  /** Adds `id`; false when it was already there. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > this.limit) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

/** What we know of a room. */
interface RoomRecord {
  id: string;
  name: string;
  members?: UserRef[];
  /** room_info: not asked yet, asked, answered, or refused (404: not ours / no such room). */
  info: 'none' | 'pending' | 'done' | 'missing';
  /** The room came from the profile's `--room`, not from a message. */
  fromProfile: boolean;
}

/** A room's kept messages, oldest first (by numeric id). */
interface Archive {
  items: { n: number; ev: MessageEvent }[];
  /** Older messages were dropped to stay within `archiveLimit`. */
  truncated: boolean;
}

/** A send waiting for its echo. */
interface PendingSend {
  room: string;
  text: string;
  txnId: string;
  resolve(msg: MessageEvent): void;
  reject(err: ChatError): void;
  timer: NodeJS.Timeout;
}

type Phase = 'idle' | 'connecting' | 'catching-up' | 'live' | 'reconnecting' | 'failed' | 'stopped';

/** How one socket ended. */
interface Outcome {
  error?: ChatError;
  reason: string;
}

/** The ConnectorSession of a rooms profile. Create with `definition.create(ctx)` (index.ts). */
export class RoomsSession implements ConnectorSession {
  readonly capabilities: Capabilities = { ...ROOMS_CAPABILITIES };
  private readonly base: string;
  private token: string | undefined;
  private readonly aliases: Record<string, string>;
  private readonly backoff: Backoff;
  private readonly now: () => number;
  private phase: Phase = 'idle';
  private closed = false;
  private running = false;
  private ws: WebSocket | undefined;
  /** The reconnect wait; reconnectNow() and disconnect() cut it short. */
  private readonly retryWait = new WakeableSleep();
  private readonly abort = new AbortController();
  /** Our user; `confirmed` once /user/info answered (else from the login or the token's claims). */
  private self: UserRef | undefined;
  private selfConfirmed = false;
  /** Highest message id seen (emitted or baseline); the next catch-up asks for `after` it. */
  private highWater = 0;
  /** The first retrieve (`after: 0`) is done. */
  private baselined = false;
  /** Live messages received while a catch-up is in flight. */
  private buffer: WireMessage[] = [];
  private readonly emitted = new SeenIds(SEEN_LIMIT);
  private readonly roomMap = new Map<string, RoomRecord>();
  private readonly archive = new Map<string, Archive>();
  private readonly pending: PendingSend[] = [];
  private readonly noticeAt = new Map<string, { at: number; skipped: number }>();
  private lastDiscovery = 0;
  private failure: ChatError | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  /**
   * The rooms the profile names (`--room`: ids, or names in lower case), or undefined for "every room".
   * One socket carries every room of the account (facts A4), so this is a filter on what is emitted and
   * listed; discovery, catch-up and echo matching stay account-wide.
   */
  private readonly follow: Set<string> | undefined;
  /** When the token in use was issued (ISO UTC), if known: the profile's, then our refresh's. */
  private tokenIssuedAt: string | undefined;
  /** Settles with the first connection: resolves when live, rejects on a non-retryable failure. */
  private readonly ready: Promise<void>;
  private settleReady!: (err?: ChatError) => void;

  constructor(
    private readonly ctx: ConnectorContext,
    readonly opts: RoomsSessionOptions = {},
  ) {
    const p = ctx.profile;
    this.base = p.url ?? '';
    this.token = ctx.token;
    this.tokenIssuedAt = p.tokenIssuedAt;
    this.aliases = {};
    for (const [id, name] of Object.entries(p.aliases ?? {})) {
      const clean = sanitizeLine(name).trim();
      if (clean) this.aliases[id] = clean.slice(0, 100);
    }
    this.backoff = opts.backoff?.() ?? new Backoff();
    this.now = opts.now ?? Date.now;
    const id = p.userId ?? readTokenClaims(ctx.token)?.id;
    if (id !== undefined) this.self = { id, name: this.aliases[id] ?? (p.userName ? sanitizeLine(p.userName) : sanitizeLine(id)) };
    const follow = new Set<string>();
    for (const r of p.rooms ?? []) {
      const t = r.trim();
      if (isRoomNumber(t)) {
        this.addRoom(String(Number(t)), true);
        follow.add(String(Number(t)));
      } else if (t) follow.add(t.toLowerCase());
    }
    this.follow = follow.size ? follow : undefined;
    this.ready = new Promise<void>((resolve, reject) => {
      let done = false;
      this.settleReady = (err) => {
        if (done) return;
        done = true;
        if (err) reject(err);
        else resolve();
      };
    });
    this.ready.catch(() => {}); // observed by connect(); never an unhandled rejection
  }

  // ---------------------------------------------------------------- events

  /** Emits an event unless the session is closed. */
  private emit(ev: ConnectorEvent): void {
    if (this.closed) return;
    try {
      this.ctx.emit(ev);
    } catch {
      // a listener's failure is not ours
    }
  }

  /** Whether `room` is one this session follows: every room, or those the profile names (by id or name). */
  private follows(room: string): boolean {
    if (!this.follow || this.follow.has(room)) return true;
    const name = this.roomMap.get(room)?.name;
    return name !== undefined && this.follow.has(name.toLowerCase());
  }

  /** Emits a `room` event for a followed room. */
  private emitRoom(ev: Extract<ConnectorEvent, { type: 'room' }>): void {
    if (this.follows(ev.room)) this.emit(ev);
  }

  /** A notice of kind `kind`, at most once per 10 s (later ones are counted and reported with the next). */
  private notice(kind: string, text: string, room?: string): void {
    const key = `${room ?? ''}\u0000${kind}`;
    const now = Date.now();
    const last = this.noticeAt.get(key);
    if (last && now - last.at < NOTICE_EVERY_MS) {
      last.skipped++;
      return;
    }
    const more = last?.skipped ? ` (and ${last.skipped} more like it)` : '';
    this.noticeAt.set(key, { at: now, skipped: 0 });
    this.emit(room === undefined ? { type: 'notice', text: `${text}${more}` } : { type: 'notice', text: `${text}${more}`, room });
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Connects: refreshes an old token, learns who we are (`/user/info`), opens the socket, waits for
   * CONNECTED, catches up and names the rooms. Resolves once live; rejects with ChatError auth (no
   * token, token refused, not retried) or not_found (no socket at the URL). Retryable failures retry in
   * the background with the core Backoff, with `connection` events.
   */
  connect(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.reject(new ChatError('network', 'rooms: cancelled'));
    signal.addEventListener('abort', () => void this.disconnect(), { once: true });
    if (this.closed) return Promise.reject(new ChatError('network', 'rooms: the session is closed'));
    if (!this.base) {
      const err = new UsageError('rooms needs the server URL: chat-tui profile add … --url URL');
      return Promise.reject(err);
    }
    if (!this.token) {
      const err = new ChatError('auth', `rooms: no token; run chat-tui login --profile ${this.ctx.profile.name}, or give --token`, { retryable: false });
      this.emit({ type: 'error', code: err.code, message: err.message });
      this.emit({ type: 'connection', state: 'failed', reason: err.message });
      this.phase = 'failed';
      this.settleReady(err);
      return this.ready;
    }
    this.startLoop();
    if (!this.refreshTimer) {
      // A session can run for days (the TUI): the token is also refreshed while connected (facts A3: once a day).
      this.refreshTimer = setInterval(() => void this.maybeRefresh(), this.opts.refreshCheckMs ?? 3600_000);
      this.refreshTimer.unref();
    }
    return this.ready;
  }

  private startLoop(): void {
    if (this.running || this.closed) return;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  private async loop(): Promise<void> {
    this.phase = 'connecting';
    this.emit({ type: 'connection', state: 'connecting' });
    while (!this.closed) {
      const outcome = await this.attempt();
      if (this.closed) break;
      if (outcome.error && !outcome.error.retryable) {
        this.phase = 'failed';
        this.failure = outcome.error;
        this.emit({ type: 'error', code: outcome.error.code, message: outcome.error.message });
        this.emit({ type: 'connection', state: 'failed', reason: outcome.error.message });
        this.failPending(outcome.error);
        this.settleReady(outcome.error);
        return;
      }
      const delay = this.backoff.nextDelay();
      this.phase = 'reconnecting';
      this.emit({
        type: 'connection',
        state: 'reconnecting',
        reason: outcome.error?.message ?? outcome.reason,
        retryAt: new Date(Date.now() + delay).toISOString(),
      });
      await this.retryWait.wait(delay);
    }
  }

  /** Closes the socket; no events after it resolves. Pending sends fail (network). Idempotent. */
  async disconnect(): Promise<void> {
    if (this.closed) return;
    this.emit({ type: 'connection', state: 'offline', reason: 'disconnected' });
    this.closed = true;
    this.phase = 'stopped';
    clearInterval(this.refreshTimer);
    this.abort.abort();
    this.retryWait.wake();
    this.failPending(new ChatError('network', 'rooms: disconnected before the server echoed the message'));
    this.settleReady(new ChatError('network', 'rooms: disconnected'));
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    });
  }

  /** Drops the socket (or cuts the backoff wait short) and reconnects at once; a failed session tries again. */
  reconnectNow(): void {
    if (this.closed) return;
    this.backoff.reset();
    if (!this.running) {
      if (this.phase === 'failed' && this.token) this.startLoop();
      return;
    }
    if (this.retryWait.waiting) this.retryWait.wake();
    else this.ws?.terminate();
  }

  // ---------------------------------------------------------------- one connection

  /** Refreshes the token when it is older than a day (facts A3) and the profile stores it; failures are notices. */
  private async maybeRefresh(): Promise<void> {
    if (this.closed || this.refreshing) return;
    const token = this.token;
    const p = this.ctx.profile;
    // Only a token stored in the profile can be replaced; a --token-env/--token-cmd source is the user's to renew.
    if (!token || p.token === undefined || !needsRefresh(token, this.tokenIssuedAt, this.now())) return;
    this.refreshing = true;
    try {
      const fresh = await refreshToken(this.base, token, this.abort.signal);
      this.token = fresh;
      this.tokenIssuedAt = new Date(this.now()).toISOString();
      await this.ctx.saveProfile(tokenFields(fresh, this.now())).catch(() => {
        this.notice('refresh', 'rooms: the token was refreshed but could not be saved to the config');
      });
    } catch (err) {
      const e = toChatError(err);
      if (e.code !== 'auth') this.notice('refresh', `rooms: token refresh failed: ${e.message}`);
      // An auth refusal shows up at once on /user/info with the server's own code.
    } finally {
      this.refreshing = false;
    }
  }

  /** `POST /user/info` (facts A3): our id and names. Auth refusals throw; other failures keep the token's id. */
  private async fetchMe(): Promise<void> {
    let answer;
    try {
      answer = await postOk(this.base, '/user/info', 'rooms (/user/info)', { token: this.token, signal: this.abort.signal, ...this.httpTimeout() });
    } catch (err) {
      const e = toChatError(err);
      if (e.code === 'auth' || e.code === 'not_found') throw e;
      if (this.self) return; // keep the id from the token / login; ask again next connect
      throw e;
    }
    const user = readUserInfo(answer.json);
    if (!user) {
      if (!this.self) throw new ChatError('protocol', 'rooms: /user/info returned no user id', { retryable: false });
      return;
    }
    const name = this.aliases[user.id] ?? user.givenName ?? user.fullName ?? user.username ?? sanitizeLine(user.id);
    this.self = { id: user.id, name };
    this.selfConfirmed = true;
  }

  private httpTimeout(): { timeoutMs?: number } {
    return this.opts.httpTimeoutMs === undefined ? {} : { timeoutMs: this.opts.httpTimeoutMs };
  }

  /** One connection: REST preparation, socket, auth, CONNECTED, catch-up, live until it closes. */
  private async attempt(): Promise<Outcome> {
    try {
      await this.maybeRefresh();
      if (!this.selfConfirmed) await this.fetchMe();
    } catch (err) {
      const e = toChatError(err);
      return { error: e, reason: e.message };
    }
    if (this.closed) return { reason: 'closed' };
    return this.openSocket();
  }

  private openSocket(): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(socketUrl(this.base), {
          handshakeTimeout: this.opts.handshakeTimeoutMs ?? 15_000,
          maxPayload: WS_MAX_PAYLOAD,
          headers: { 'user-agent': 'chat-tui' },
        });
      } catch (err) {
        resolve({ error: new ChatError('protocol', `rooms: bad socket URL: ${toChatError(err).message}`, { retryable: false }), reason: 'bad URL' });
        return;
      }
      this.ws = ws;
      let opened = false;
      let connected = false;
      let refusal: ChatError | undefined;
      let lastError: Error | undefined;
      let tooBig = false;
      let overflowed = false;
      const bufferCap = this.opts.maxCatchUpBuffer ?? MAX_CATCH_UP_BUFFER;
      let idleFired = false;
      let connectedTimerFired = false;
      let idle: NodeJS.Timeout | undefined;
      let ping: NodeJS.Timeout | undefined;
      let connectedTimer: NodeJS.Timeout | undefined;
      const idleMs = this.opts.idleTimeoutMs ?? 70_000;
      const armIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          idleFired = true;
          ws.terminate();
        }, idleMs);
      };
      const catchUp = new AbortController();

      ws.on('unexpected-response', (_req, res: IncomingMessage) => {
        const status = res.statusCode ?? 0;
        res.resume();
        refusal =
          status === 404
            ? new ChatError('not_found', 'rooms: no chat socket at <url>/chat/connect (HTTP 404); check the profile\'s --url', { retryable: false })
            : status === 401 || status === 403
              ? new ChatError('auth', `rooms: the server refused the socket (HTTP ${status}); ${LOGIN_HINT}`, { retryable: false })
              : new ChatError('network', `rooms: the server did not open a socket (HTTP ${status})`);
        ws.terminate();
      });
      ws.on('open', () => {
        opened = true;
        armIdle();
        ws.send(authFrame(this.token ?? '')); // the first frame (facts A4.1); never in the URL
        connectedTimer = setTimeout(() => {
          connectedTimerFired = true;
          ws.terminate();
        }, this.opts.connectedTimeoutMs ?? 15_000);
        ping = setInterval(() => {
          if (ws.readyState === WebSocket.OPEN) ws.ping();
        }, this.opts.pingIntervalMs ?? 25_000);
      });
      ws.on('pong', armIdle);
      ws.on('ping', armIdle);
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        armIdle();
        if (this.ws !== ws || this.closed) return;
        const frame = this.readFrame(data, isBinary);
        if (!frame) return;
        if (frame.kind === 'error') {
          // The auth refusal (facts A4.1): one frame, then the server stops the socket. Not retried.
          if (!connected || frame.code.startsWith('AUTH_TOKEN')) {
            const why =
              frame.code === 'AUTH_TOKEN_EXPIRED'
                ? 'the token has expired'
                : frame.code === 'AUTH_TOKEN_INVALID'
                  ? 'the token is invalid'
                  : 'the server refused the connection';
            const detail = [frame.text, frame.code ? `(${frame.code})` : ''].filter(Boolean).join(' ');
            refusal = new ChatError('auth', `rooms: ${why}: ${detail || 'no reason given'}; ${LOGIN_HINT}`, { retryable: false });
            ws.terminate();
          } else {
            this.notice('server-error', `rooms: the server said: ${frame.text || frame.code}`);
          }
          return;
        }
        if (frame.kind === 'connected') {
          if (connected) return;
          connected = true;
          clearTimeout(connectedTimer);
          this.phase = 'catching-up';
          this.buffer = [];
          void this.catchUp(ws, catchUp.signal).then(
            () => {
              if (this.ws !== ws || this.closed) return;
              this.phase = 'live';
              this.backoff.succeeded();
              this.emit({ type: 'connection', state: 'connected' });
              this.settleReady();
            },
            (err: unknown) => {
              if (this.ws !== ws || this.closed) return;
              const e = toChatError(err);
              if (e.code === 'auth') refusal = e;
              else this.notice('catch-up', `rooms: catching up failed: ${e.message}; reconnecting`);
              ws.terminate();
            },
          );
          return;
        }
        if (frame.kind === 'message') {
          const m = readMessage(frame.raw);
          if (!m) {
            this.notice('malformed', 'rooms: ignored a message frame without a numeric id or a room');
            return;
          }
          if (this.phase === 'live') this.deliver([m]);
          else if (this.buffer.length < bufferCap) this.buffer.push(m); // before/while catching up: merged in id order afterwards
          else if (!overflowed) {
            overflowed = true;
            this.notice('catch-up-flood', `rooms: over ${bufferCap} live messages arrived during the catch-up; reconnecting to catch up from the server instead`);
            ws.terminate();
          }
          return;
        }
        this.notice('other', 'rooms: ignored a frame that is neither a message nor a status');
      });
      ws.on('error', (err: Error) => {
        lastError = err;
        if (/max payload/i.test(err.message)) tooBig = true;
      });
      ws.on('close', (code: number) => {
        clearTimeout(idle);
        clearTimeout(connectedTimer);
        clearInterval(ping);
        catchUp.abort();
        if (this.ws === ws) this.ws = undefined;
        // Live messages not yet merged are dropped: the next catch-up (from the unchanged high-water mark) brings them in order.
        this.buffer = [];
        if (refusal) return resolve({ error: refusal, reason: refusal.message });
        if (!opened) {
          const e = lastError ? describeSocketError(lastError) : 'the connection closed before the socket opened';
          return resolve({ error: new ChatError('network', `rooms: ${e}`), reason: e });
        }
        if (tooBig) this.notice('huge', `rooms: the server sent a frame over ${WS_MAX_PAYLOAD / MAX_FRAME_BYTES} MiB; reconnecting`);
        const reason = idleFired
          ? `no frames or pongs for ${Math.round(idleMs / 1000)} s`
          : connectedTimerFired
            ? `no CONNECTED from the server within ${Math.round((this.opts.connectedTimeoutMs ?? 15_000) / 1000)} s`
            : `socket closed (code ${code})`;
        resolve({ reason });
      });
    });
  }

  /** Parses one inbound frame; undefined (with a notice) for binary, oversized or non-JSON frames. Never throws. */
  private readFrame(data: WebSocket.RawData, isBinary: boolean): ReturnType<typeof classifyFrame> | undefined {
    try {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isBinary) {
        this.notice('binary', 'rooms: ignored a binary frame from the server');
        return undefined;
      }
      if (buf.length > MAX_FRAME_BYTES) {
        this.notice('huge', `rooms: dropped a ${buf.length}-byte frame (over ${MAX_FRAME_BYTES / 1024 / 1024} MiB)`);
        return undefined;
      }
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8'));
      } catch {
        this.notice('malformed', 'rooms: ignored a frame that is not JSON');
        return undefined;
      }
      return classifyFrame(value);
    } catch {
      this.notice('malformed', 'rooms: ignored a frame that could not be read');
      return undefined;
    }
  }

  /**
   * The catch-up after CONNECTED (facts A4.4, A5; issue 5 "History"): retrieve after the high-water
   * mark, name any new rooms, then emit the retrieved and buffered live messages merged by id. On the
   * first connect (nothing seen yet) the retrieved messages are the baseline: kept, not emitted.
   */
  private async catchUp(ws: WebSocket, signal: AbortSignal): Promise<void> {
    const after = this.baselined ? this.highWater : 0;
    const fetched = await this.retrieve(after, signal);
    if (this.ws !== ws || this.closed || signal.aborted) throw new ChatError('network', 'the socket closed while catching up');
    const baseline = !this.baselined;
    if (baseline) {
      for (const m of fetched) {
        this.addRoom(m.room, false);
        this.remember(m, this.toEvent(m));
        if (m.n > this.highWater) this.highWater = m.n;
      }
    } else {
      for (const m of fetched) this.addRoom(m.room, false);
    }
    for (const m of this.buffer) this.addRoom(m.room, false);
    await this.nameRooms(signal);
    if (this.ws !== ws || this.closed || signal.aborted) throw new ChatError('network', 'the socket closed while catching up');
    const merged = new Map<number, WireMessage>();
    if (!baseline) for (const m of fetched) merged.set(m.n, m);
    for (const m of this.buffer) merged.set(m.n, m);
    this.buffer = [];
    this.baselined = true;
    this.lastDiscovery = Date.now();
    if (baseline && this.roomMap.size === 0) {
      this.notice('no-rooms', 'rooms: no rooms found yet; the server lists rooms only through their messages, so a room appears here with its first message');
    }
    this.deliver([...merged.values()].sort((a, b) => a.n - b.n));
  }

  /** `POST /chat/retrieve {"after": n}` (facts A5): every room's messages after `n`, sorted by id and deduped. */
  private async retrieve(after: number, signal?: AbortSignal): Promise<WireMessage[]> {
    const sig = signal ? AbortSignal.any([signal, this.abort.signal]) : this.abort.signal;
    const answer = await postOk(this.base, '/chat/retrieve', 'rooms (/chat/retrieve)', {
      token: this.token,
      body: { after },
      signal: sig,
      limit: MAX_RETRIEVE_BYTES,
      ...this.httpTimeout(),
    });
    const list = retrieveList(answer.json);
    if (!list) throw new ChatError('protocol', 'rooms: /chat/retrieve answered neither {"messages":[…]} nor {"occupants":[…]}');
    const { messages, malformed } = readRetrieve(list);
    if (malformed) this.notice('malformed', `rooms: ignored ${malformed} retrieved item(s) that are not messages`);
    return messages;
  }

  // ---------------------------------------------------------------- messages

  /** The display name of user `id`: ours, the profile's alias, else the id itself (the server has no user lookup, facts A1). */
  private nameOf(id: string): string {
    if (this.self && id === this.self.id) return this.self.name;
    return this.aliases[id] ?? (sanitizeLine(id).slice(0, 100) || 'unknown');
  }

  private userRef(id: string): UserRef {
    return { id: sanitizeLine(id).slice(0, 200) || 'unknown', name: this.nameOf(id) };
  }

  private toEvent(m: WireMessage): MessageEvent {
    return { ...toMessageEvent(m, this.userRef(m.poster)), profile: this.ctx.profile.name };
  }

  /** Keeps `ev` in the room's archive (for `history`), in id order, bounded. */
  private remember(m: WireMessage, ev: MessageEvent): void {
    if (m.oversized) return;
    let a = this.archive.get(m.room);
    if (!a) {
      a = { items: [], truncated: false };
      this.archive.set(m.room, a);
    }
    const items = a.items;
    const last = items[items.length - 1];
    if (!last || last.n < m.n) items.push({ n: m.n, ev });
    else {
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((items[mid]?.n ?? 0) < m.n) lo = mid + 1;
        else hi = mid;
      }
      if (items[lo]?.n === m.n) return;
      items.splice(lo, 0, { n: m.n, ev });
    }
    const limit = this.opts.archiveLimit ?? 10_000;
    if (items.length > limit) {
      items.splice(0, items.length - limit);
      a.truncated = true;
    }
  }

  /**
   * Emits messages (already in id order) once each: dedupe by id (ids are global, facts A5), keep them
   * for history, advance the high-water mark, confirm our own sends by their echo, discover new rooms.
   */
  private deliver(list: WireMessage[]): void {
    for (const m of list) {
      if (m.n > this.highWater) this.highWater = m.n;
      const id = String(m.n);
      if (!this.emitted.add(id)) continue;
      if (!this.roomMap.has(m.room)) {
        const maxRooms = this.opts.maxRooms ?? MAX_ROOMS;
        if (this.roomMap.size >= maxRooms) {
          this.notice('too-many-rooms', `rooms: dropped message ${id}: its room is new and ${maxRooms} rooms are known already`);
          continue;
        }
        this.addRoom(m.room, false);
        void this.nameRooms(this.abort.signal).catch(() => {});
      }
      if (m.oversized) {
        this.notice('huge', `rooms: dropped message ${id}: its text is over ${MAX_FRAME_BYTES / 1024 / 1024} MiB`, m.room);
        continue;
      }
      const ev = this.toEvent(m);
      this.remember(m, ev);
      const pending = this.matchEcho(m);
      if (pending) {
        ev.txnId = pending.txnId;
        this.emit(ev);
        pending.resolve({ ...ev });
      } else if (this.follows(m.room)) {
        this.emit(ev);
      }
    }
  }

  /** The oldest pending send this message is the echo of: same room, same text, posted by us (FIFO). Removed from the list. */
  private matchEcho(m: WireMessage): PendingSend | undefined {
    if (!this.pending.length) return undefined;
    if (this.self && m.poster !== this.self.id) return undefined;
    const i = this.pending.findIndex((p) => p.room === m.room && p.text === m.text);
    if (i < 0) return undefined;
    const [p] = this.pending.splice(i, 1);
    if (p) clearTimeout(p.timer);
    return p;
  }

  private failPending(err: ChatError): void {
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }

  /**
   * Sends `text` to room `room` (a numeric id as a string) over the socket (facts A4.2, A7): the frame
   * has both `message` and `messages`. Resolves with the server's copy — our own message echoed back
   * (same room, text and poster, oldest pending first), with its real id and `txnId` set — also when the
   * echo comes in through a catch-up after a drop. Rejects with ChatError: network when the socket is
   * not up (nothing was sent; safe to retry) or the session closes; not_found for a non-numeric room;
   * not_found at once for a room room_info refused; protocol (not retryable) when no echo came within
   * `echoTimeoutMs` — the server drops sends to rooms we are not in (or may not send to) without a word.
   */
  send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    const r = room.trim();
    if (!isRoomNumber(r)) {
      return Promise.reject(new ChatError('not_found', `rooms: "${sanitizeLine(room).slice(0, 60)}" is not a room id (room ids are numbers)`, { retryable: false }));
    }
    const roomId = String(Number(r));
    if (this.roomMap.get(roomId)?.info === 'missing') {
      // room_info already said 404: the server would drop the frame without a word (facts A4.2).
      return Promise.reject(new ChatError('not_found', `rooms: room ${roomId} was not found, or you are not one of its occupants`, { retryable: false }));
    }
    if (Buffer.byteLength(text, 'utf8') > MAX_FRAME_BYTES / 2) {
      return Promise.reject(new ChatError('protocol', 'rooms: the message is too long (over 512 KiB)', { retryable: false }));
    }
    const ws = this.ws;
    if (this.closed || !ws || ws.readyState !== WebSocket.OPEN || (this.phase !== 'live' && this.phase !== 'catching-up')) {
      return Promise.reject(new ChatError('network', 'rooms: not connected; the message was not sent'));
    }
    const timeoutMs = this.opts.echoTimeoutMs ?? 10_000;
    return new Promise<MessageEvent>((resolve, reject) => {
      const entry: PendingSend = {
        room: roomId,
        text,
        txnId,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.pending.indexOf(entry);
          if (i >= 0) this.pending.splice(i, 1);
          const name = this.roomMap.get(roomId)?.name;
          reject(
            new ChatError(
              'protocol',
              `rooms: no echo from the server within ${Math.round(timeoutMs / 1000)} s: not a member of room ${roomId}${name && name !== `room ${roomId}` ? ` (${name})` : ''}?`,
              { retryable: false },
            ),
          );
        }, timeoutMs),
      };
      this.pending.push(entry);
      ws.send(sendFrame(roomId, text), (err) => {
        if (!err) return;
        const i = this.pending.indexOf(entry);
        if (i < 0) return;
        this.pending.splice(i, 1);
        clearTimeout(entry.timer);
        reject(new ChatError('network', 'rooms: the socket broke while sending; the message was not sent'));
      });
    });
  }

  // ---------------------------------------------------------------- rooms

  /** Adds a room we learned of (not yet named). */
  private addRoom(id: string, fromProfile: boolean): RoomRecord {
    let r = this.roomMap.get(id);
    if (!r) {
      r = { id, name: `room ${id}`, info: 'none', fromProfile };
      this.roomMap.set(id, r);
    }
    return r;
  }

  /**
   * Names every room not asked about yet with `POST /chat/room_info {"room_id": "<id>"}` (facts A5),
   * a few at a time, and emits a `room` event for each (name, occupants as members). A null name
   * becomes the other occupants' names; a 404 (not ours, or no such room) keeps `room <id>` and says so
   * once for a profile room. Never throws (failures keep the fallback name; asked again next connect).
   */
  private async nameRooms(signal: AbortSignal): Promise<void> {
    const todo = [...this.roomMap.values()].filter((r) => r.info === 'none');
    for (const r of todo) r.info = 'pending';
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const r = todo[next++];
        if (!r) break;
        await this.nameRoom(r, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(ROOM_INFO_PARALLEL, todo.length) }, worker));
  }

  private async nameRoom(r: RoomRecord, signal: AbortSignal): Promise<void> {
    try {
      const answer = await post(this.base, '/chat/room_info', 'rooms (/chat/room_info)', {
        token: this.token,
        body: { room_id: r.id }, // a JSON string: a number is a 400 (facts A5)
        signal: AbortSignal.any([signal, this.abort.signal]),
        ...this.httpTimeout(),
      });
      if (answer.status === 404) {
        r.info = 'missing';
        if (r.fromProfile) this.notice(`missing-${r.id}`, `rooms: room ${r.id} was not found, or you are not one of its occupants`, r.id);
        this.emitRoom({ type: 'room', room: r.id, name: r.name });
        return;
      }
      if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer, 'rooms (/chat/room_info)');
      const info = readRoomInfo(answer.json);
      if (!info) throw new ChatError('protocol', 'rooms: /chat/room_info answered something else');
      const members = info.occupants.map((id) => this.userRef(id));
      const others = members.filter((u) => !this.self || u.id !== this.self.id);
      const name = info.name !== null ? sanitizeLine(info.name).trim().slice(0, 200) : '';
      r.name = name || fallbackRoomName(r.id, others);
      r.members = members;
      r.info = 'done';
      this.emitRoom({ type: 'room', room: r.id, name: r.name, members });
    } catch (err) {
      r.info = 'none'; // ask again later
      if (!signal.aborted && !this.closed) this.notice('room-info', `rooms: could not name room ${r.id}: ${toChatError(err).message}`);
      this.emitRoom({ type: 'room', room: r.id, name: r.name });
    }
  }

  /** Rooms found so far (profile rooms, retrieve, live messages), by id; names from room_info. Only the followed ones when the profile names rooms. */
  rooms(): RoomInfo[] {
    return this.roomList((r) => this.follows(r.id));
  }

  private roomList(keep: (r: RoomRecord) => boolean): RoomInfo[] {
    return [...this.roomMap.values()]
      .filter(keep)
      .sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id))
      .map((r) => {
        const info: RoomInfo = { id: r.id, name: r.name };
        if (r.members) info.members = r.members;
        return info;
      });
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
    if (this.baselined && Date.now() - this.lastDiscovery < DISCOVERY_FRESH_MS) return this.roomList(all);
    for (const m of await this.retrieve(0)) {
      this.addRoom(m.room, false);
      this.remember(m, this.toEvent(m));
    }
    await this.nameRooms(this.abort.signal);
    this.lastDiscovery = Date.now();
    return this.roomList(all);
  }

  /**
   * A room by reference: a numeric id (known, or confirmed with room_info: 404 → not_found), or the name
   * of a known room (case-insensitive). Throws ChatError not_found.
   */
  async resolveRoom(ref: string): Promise<RoomInfo> {
    const t = ref.trim();
    if (isRoomNumber(t)) {
      const id = String(Number(t));
      const known = this.roomMap.get(id);
      if (known && known.info !== 'missing' && known.info !== 'none') return { id, name: known.name };
      const r = this.addRoom(id, false);
      if (r.info !== 'pending') await this.nameRoom(r, this.abort.signal);
      if (r.info === 'missing') throw new ChatError('not_found', `rooms: room ${id} was not found, or you are not one of its occupants`, { retryable: false });
      return { id, name: r.name };
    }
    const lower = t.toLowerCase();
    const byName = [...this.roomMap.values()].find((r) => r.name.toLowerCase() === lower);
    if (byName) return { id: byName.id, name: byName.name };
    throw new ChatError('not_found', `rooms: no room named "${sanitizeLine(ref).slice(0, 60)}" among the rooms found so far (use the room id)`, { retryable: false });
  }

  /**
   * Older messages of `room`, oldest first, at most `limit`, older than `before` (a message id) when
   * given. Limitation: the server's only history query is "every message of every room after id N"
   * (`/chat/retrieve`, no room filter, no limit, facts A5), so this reads the messages kept since the
   * first connect's `after: 0` retrieve (or makes that retrieve) and filters them to the room. Throws
   * ChatError not_found for a room we do not occupy, or the retrieve's error.
   */
  async history(room: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    const t = room.trim();
    const id = isRoomNumber(t) ? String(Number(t)) : (await this.resolveRoom(t)).id;
    if (!this.baselined && !this.archive.size) {
      for (const m of await this.retrieve(0)) {
        this.addRoom(m.room, false);
        this.remember(m, this.toEvent(m));
      }
    }
    const before = opts.before !== undefined && /^\d+$/.test(opts.before) ? Number(opts.before) : undefined;
    const a = this.archive.get(id);
    if (!a) {
      const r = this.roomMap.get(id);
      if (!r || r.info === 'none') await this.resolveRoom(id);
      else if (r.info === 'missing') throw new ChatError('not_found', `rooms: room ${id} was not found, or you are not one of its occupants`, { retryable: false });
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

  // ---------------------------------------------------------------- DMs and us

  /**
   * Starts a DM with `user` (a user id, or a name from the profile's aliases) with
   * `POST /chat/create_dm {"other": id}` (facts A5). The answer is empty: the new room's id is not given,
   * so the returned notice says it appears once its first message is posted. Throws ChatError not_found
   * on 404 (`USER_NOT_FOUND`, or the doc's `NOT_FOUND`), protocol for a DM with ourselves (the server
   * answers that with a 500), auth/network otherwise.
   */
  async createDm(user: string): Promise<string> {
    const ref = user.trim();
    if (!ref) throw new ChatError('not_found', 'rooms: no user given', { retryable: false });
    const lower = ref.toLowerCase();
    const byAlias = Object.entries(this.aliases).find(([, name]) => name.toLowerCase() === lower)?.[0];
    const other = byAlias ?? ref.replace(/^@/, '');
    if (this.self && other === this.self.id) throw new ChatError('protocol', 'rooms: a DM needs another user (that id is yours)', { retryable: false });
    const answer = await post(this.base, '/chat/create_dm', 'rooms (/chat/create_dm)', { token: this.token, body: { other }, signal: this.abort.signal, ...this.httpTimeout() });
    if (answer.status === 404) {
      throw new ChatError('not_found', `rooms: no user "${sanitizeLine(other).slice(0, 60)}" on the server (users are named by their id, e.g. a UPI)`, { retryable: false });
    }
    if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer, 'rooms (/chat/create_dm)');
    const who = this.nameOf(other);
    return `DM with ${who === other ? sanitizeLine(other) : `${who} (${sanitizeLine(other)})`} created; the server does not say the new room's id, so it appears here with its first message`;
  }

  /** Our user (from /user/info; before it answers, the login's or the token's id). */
  me(): UserRef | undefined {
    return this.self ? { ...this.self } : undefined;
  }

  /** The non-retryable error that stopped the session, if any. */
  get failedWith(): ChatError | undefined {
    return this.failure;
  }
}

/** One line for a socket error (no URL). */
function describeSocketError(err: Error): string {
  const unreachable = cannotReachServer(err, REFUSED_HINT);
  if (unreachable) return unreachable;
  if (/handshake has timed out/i.test(err.message)) return 'the socket handshake timed out';
  return sanitizeLine(err.message).slice(0, 160);
}
