import { Socket, type Channel, type Push } from 'phoenix';
import type { Capabilities, ConnectorContext, ConnectorSession, HistoryOptions, ModerationAction, RoomInfo } from '../../core/connector.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import { Backoff } from '../../core/reconnect.js';
import { sanitize, sanitizeLine } from '../../core/sanitize.js';
import { describeNetworkError } from '../http.js';
import { GraphHttp, httpBase, type Credential, type GqlResult } from './http.js';
import { clientCredentials, tokenExpired } from './login.js';
import { makeTransport } from './transport.js';
import {
  CHANNEL_BY_ID,
  CHANNEL_BY_USERNAME,
  CHAT_PAGE,
  CONTROL_TOPIC,
  CREATE_MESSAGE,
  MAX_FRAME_BYTES,
  MAX_MESSAGE_GRAPHEMES,
  MAX_PAGE,
  MODERATION,
  MYSELF,
  SUBSCRIBE_CHANNEL,
  SUBSCRIBE_CHAT,
  USER_BY_NAME,
  compareIds,
  decodeFrame,
  errorsOf,
  graphemeCount,
  idOf,
  isRecord,
  parseChannel,
  parseMessage,
  type ChannelInfo,
  type GqlError,
  type PhxMessage,
} from './wire.js';

/**
 * A Glimesh session (issue 4; ../shared/protocols/glimesh.facts.md).
 *
 * Live chat: one Phoenix socket (official `phoenix` client, `ws` as transport) at
 * `{url}/api/socket/websocket?vsn=2.0.0` with `token=` or `client_id=` (facts §2, §4), a heartbeat every
 * 30 s (a missing reply makes phoenix close and reconnect, facts §3), one join of `__absinthe__:control`,
 * and per channel one `chatMessage(channelId:)` and one `channel(id:)` subscription with variables.
 * `subscription:data` frames arrive on the subscription id's topic, so they are routed by id through
 * `socket.onMessage`. Ids die with the channel: after every (re)join the map is rebuilt, every room is
 * subscribed again exactly once, and a backfill over HTTP (`chatMessages(last:, before:)`) fills what was
 * missed, merged by id while live pushes wait (facts §9 "Backfill").
 * Everything else (channel lookup, history, moderation, sending while the socket is down) is GraphQL over
 * HTTP at `{url}/api/graph` (facts §5, §6).
 */

/** Tunables, for tests (times in ms). */
export interface GlimeshSessionOptions {
  /** Phoenix heartbeat interval; a missing reply by the next beat means reconnect (default 30 000, facts §3). */
  heartbeatIntervalMs?: number;
  /** A push (doc, join) without a reply fails after this long (default 10 000, phoenix's default). */
  pushTimeoutMs?: number;
  /** HTTP request time limit (default 20 000). */
  httpTimeoutMs?: number;
  /** Messages per backfill page (default 250, at most 1000) and most pages per backfill (default 20). */
  backfillPageSize?: number;
  backfillMaxPages?: number;
  /** Backoff factory for socket reconnects and control rejoins (default: core Backoff). */
  backoff?: () => Backoff;
}

/** Static capabilities (facts §4, §6: no typing, presence, edits or deletion events; history over HTTP). */
export const GLIMESH_CAPABILITIES: Capabilities = {
  history: true,
  typingSend: false,
  typingReceive: false,
  presence: false,
  edits: false,
  roomListing: false,
  dms: false,
  join: true,
  readOnly: false,
  // Whether the account may moderate a channel cannot be asked (no `moderators` field we can rely on, and
  // scopes are not introspectable), so a token profile offers it and a refusal is reported clearly.
  moderation: true,
  atMentions: true,
  maxMessageLength: MAX_MESSAGE_GRAPHEMES,
};

const READ_ONLY_REASON = 'signed in with a client id only, which Glimesh makes read-only; add --token or run chat-tui login';
const SEEN_LIMIT = 10_000;
/** The reason of a reconnect when nothing more precise is known. */
const DEFAULT_REASON = 'connection lost';
const NOTICE_EVERY_MS = 10_000;
/** Upgrade statuses that mean "this credential is refused" (facts §2: Phoenix answers 403). */
const AUTH_STATUSES = new Set([401, 403]);

/** A set of ids that forgets its oldest entries beyond a limit. */
class SeenIds {
  private readonly ids = new Set<string>();
  add(id: string): boolean {
    if (this.ids.has(id)) return false;
    this.ids.add(id);
    if (this.ids.size > SEEN_LIMIT) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
    return true;
  }
}

type Msg = Omit<MessageEvent, 'profile'>;

/** One channel we follow. */
interface Room {
  /** The channel id (the room id). */
  id: string;
  info: ChannelInfo;
  /** Join generation whose subscriptions this room has (or is getting). */
  subGen: number;
  /** Live pushes held while a backfill runs; undefined when not holding. */
  held: Msg[] | undefined;
  /** Highest message id emitted (or the baseline), where a backfill starts. */
  anchor: string | undefined;
  seen: SeenIds;
  /** message id → Relay cursor (offsets; stable because the list only grows, facts §6). */
  cursors: Map<string, string>;
}

/** A subscription id's target. */
interface SubTarget {
  room: string;
  kind: 'chat' | 'channel';
  gen: number;
}

/** A reply to a pushed document. */
interface DocReply {
  status: 'ok' | 'error';
  response: Record<string, unknown>;
}

/** The session. Create with `new GlimeshSession(ctx, opts)` (or `definition.create`). */
export class GlimeshSession implements ConnectorSession {
  readonly capabilities: Capabilities;
  private cred: Credential;
  private http: GraphHttp;
  private readonly base: string;
  private readonly opts: Required<Omit<GlimeshSessionOptions, 'backoff'>>;
  private readonly backoff: Backoff;
  private readonly rejoinBackoff: Backoff;
  private socket: Socket | undefined;
  private control: Channel | undefined;
  private joinGen = 0;
  private joined = false;
  private readonly subs = new Map<string, SubTarget>();
  private readonly roomMap = new Map<string, Room>();
  /** Room references not resolved yet (username or id as the profile gives them). */
  private pendingRefs: string[];
  private readonly pendingPushes = new Set<(err: ChatError) => void>();
  private readonly sentTxn = new Map<string, string>();
  private readonly userIds = new Map<string, string>();
  private myself: UserRef | undefined;
  private stopped = false;
  private failed: ChatError | undefined;
  private everJoined = false;
  private toldFirstFailure = false;
  private closeReason = DEFAULT_REASON;
  /** `closeReason` came from an abnormal close (1006: no close frame), which a socket error can say better. */
  private closeReasonAbnormal = false;
  private refusedStatus: number | undefined;
  private renewing: Promise<void> | undefined;
  private readonly noticeAt = new Map<string, number>();
  private settleReady: ((err?: ChatError) => void) | undefined;
  private readyPromise: Promise<void> | undefined;

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
    this.backoff = opts.backoff?.() ?? new Backoff();
    this.rejoinBackoff = opts.backoff?.() ?? new Backoff();
    if (ctx.token) this.cred = { kind: 'token', token: ctx.token };
    else if (p.clientId) this.cred = { kind: 'client', clientId: p.clientId };
    else throw new ChatError('auth', 'glimesh needs --token (or chat-tui login) or --client-id', { retryable: false });
    this.http = new GraphHttp(this.base, this.cred, this.opts.httpTimeoutMs);
    const readOnly = this.cred.kind === 'client';
    this.capabilities = readOnly
      ? { ...GLIMESH_CAPABILITIES, readOnly: true, readOnlyReason: READ_ONLY_REASON, moderation: false }
      : { ...GLIMESH_CAPABILITIES };
    this.pendingRefs = [...new Set((p.rooms ?? []).map((r) => r.trim()).filter(Boolean))];
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
      await this.renewIfExpired();
    } catch (err) {
      this.fail(toChatError(err));
      return;
    }
    if (this.stopped) return;
    try {
      this.openSocket();
    } catch {
      // ws throws on an unusable URL; its text may hold the query string (the token), so it is not repeated
      this.fail(new ChatError('protocol', `cannot open a socket to ${this.host()}: check --url`, { retryable: false }));
    }
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
    this.rejectPending(new ChatError('network', 'disconnected before Glimesh replied'));
    const socket = this.socket;
    this.socket = undefined;
    this.control = undefined;
    if (socket) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1500);
        try {
          socket.disconnect(() => {
            clearTimeout(timer);
            resolve();
          }, 1000, 'bye');
        } catch {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    try {
      this.ctx.emit({ type: 'connection', state: 'offline' });
    } catch {
      // the consumer is going away too
    }
  }

  /** Drops the socket and reconnects at once (the TUI's "reconnect now"). */
  reconnectNow(): void {
    if (this.stopped) return;
    this.backoff.reset();
    if (this.failed) {
      this.failed = undefined;
      this.openSocket();
      return;
    }
    const socket = this.socket;
    if (!socket) return;
    this.closeReason = 'reconnect requested';
    socket.disconnect(() => {
      if (!this.stopped && this.socket === socket) socket.connect();
    });
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
    this.rejectPending(err);
    const socket = this.socket;
    this.socket = undefined;
    this.control = undefined;
    this.joined = false;
    try {
      socket?.disconnect();
    } catch {
      // already closing
    }
  }

  // ---------------------------------------------------------------- socket

  /** The socket endpoint phoenix appends `/websocket` and `vsn` to (facts §1 "old socket", conformance contract). */
  private endpoint(): string {
    return `${this.base.replace(/^http/i, 'ws')}/api/socket`;
  }

  private socketParams(): Record<string, string> {
    // Never both: client_id is matched first and would make the socket read-only (facts §2).
    return this.cred.kind === 'token' ? { token: this.cred.token } : { client_id: this.cred.clientId };
  }

  private openSocket(): void {
    if (this.stopped) return;
    this.refusedStatus = undefined;
    const transport = makeTransport({
      options: { maxPayload: 8 * MAX_FRAME_BYTES, handshakeTimeout: 15_000 },
      refused: (status) => {
        this.refusedStatus = status;
      },
    });
    const socket = new Socket(this.endpoint(), {
      transport: transport as unknown as new (endpoint: string) => object,
      params: () => this.socketParams(),
      heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
      timeout: this.opts.pushTimeoutMs,
      reconnectAfterMs: () => this.scheduleReconnect(),
      rejoinAfterMs: () => this.rejoinBackoff.nextDelay(),
      decode: (raw, callback) => this.decode(raw, callback),
    });
    this.socket = socket;
    socket.onError((error?: unknown) => {
      if (this.socket !== socket) return;
      this.onSocketError(socket, error);
    });
    socket.onClose((event) => {
      if (this.socket !== socket) return;
      const code = (event as { code?: unknown } | undefined)?.code;
      const reason = sanitizeLine((event as { reason?: unknown } | undefined)?.reason).slice(0, 100);
      if (this.closeReason === DEFAULT_REASON) {
        this.closeReason = `socket closed${typeof code === 'number' ? ` (code ${code}${reason ? ` ${reason}` : ''})` : ''}`;
        this.closeReasonAbnormal = code === 1006;
      }
      this.socketDown();
    });
    socket.onMessage((msg) => this.route(msg as PhxMessage));
    this.joinControl(socket);
    socket.connect();
  }

  /** Safe decoder for phoenix: drops binary, oversized and malformed frames with a notice; never throws. */
  private decode(raw: unknown, callback: (msg: unknown) => void): void {
    const msg = decodeFrame(raw);
    if (typeof msg === 'string') {
      if (msg === 'oversized') this.notice('oversized', `dropped a Glimesh frame larger than ${MAX_FRAME_BYTES / 1024 / 1024} MiB`);
      else if (msg === 'binary') this.notice('binary', 'dropped a binary frame (Glimesh sends text frames only)');
      else this.notice('malformed', 'dropped a malformed frame from Glimesh');
      return;
    }
    try {
      callback(msg);
    } catch {
      this.notice('malformed', 'dropped a frame Glimesh sent that could not be handled');
    }
  }

  /** phoenix is about to wait before reconnecting: the core backoff decides how long; tells the user. */
  private scheduleReconnect(): number {
    const delay = this.backoff.nextDelay();
    if (!this.stopped && !this.failed) {
      this.emit({ type: 'connection', state: 'reconnecting', reason: this.closeReason, retryAt: new Date(Date.now() + delay).toISOString() });
    }
    this.closeReason = DEFAULT_REASON;
    this.closeReasonAbnormal = false;
    return delay;
  }

  /** A socket error (`error`: what phoenix passes on, the transport's ErrorEvent). */
  private onSocketError(socket: Socket, error?: unknown): void {
    const status = this.refusedStatus;
    if (status === undefined) {
      const words = describeNetworkError(error);
      // ws may report the close (1006) before the error: the error's words are the better reason.
      if (this.closeReason === DEFAULT_REASON || (words && this.closeReasonAbnormal)) {
        this.closeReason = `could not reach Glimesh${words ? `: ${words}` : ''}`;
        this.closeReasonAbnormal = false;
      }
      // Said once, without "retrying": a one-shot command ends with this line; a following
      // `reconnecting` event says when the next attempt is for tail and the TUI.
      if (!this.everJoined && !this.toldFirstFailure) {
        this.toldFirstFailure = true;
        this.emit({ type: 'error', code: 'network', message: `could not connect to Glimesh at ${this.host()}${words ? `: ${words}` : ''}` });
      }
      return;
    }
    this.refusedStatus = undefined;
    if (AUTH_STATUSES.has(status) || (this.cred.kind === 'client' && status === 400)) {
      // An expired login token is renewed once instead of failing (issue 4 "Token").
      if (this.cred.kind === 'token' && this.canRenew() && !this.renewing) {
        socket.disconnect();
        this.renewing = this.renew()
          .then(() => {
            if (!this.stopped && this.socket === socket) socket.connect();
          })
          .catch((err: unknown) => this.fail(toChatError(err)))
          .finally(() => {
            this.renewing = undefined;
          });
        return;
      }
      const what = this.cred.kind === 'token' ? 'token' : 'client id';
      this.fail(new ChatError('auth', `Glimesh refused the ${what} (HTTP ${status} on the socket upgrade); check it or run chat-tui login`, { retryable: false }));
      return;
    }
    if (status === 404) {
      this.fail(new ChatError('protocol', `no Glimesh socket at ${this.host()}/api/socket/websocket (HTTP 404); check --url`, { retryable: false }));
      return;
    }
    this.closeReason = `socket upgrade refused (HTTP ${status})`;
  }

  /** The socket is gone: every subscription id is meaningless now (facts §4 "Subscription ids"). */
  private socketDown(): void {
    this.joined = false;
    this.subs.clear();
    this.rejectPending(new ChatError('network', `the connection to Glimesh was lost before it replied (${this.closeReason})`));
  }

  private rejectPending(err: ChatError): void {
    const all = [...this.pendingPushes];
    this.pendingPushes.clear();
    for (const reject of all) reject(err);
  }

  /** Creates and joins the control channel; its join "ok" fires again on every rejoin. */
  private joinControl(socket: Socket): void {
    const channel = socket.channel(CONTROL_TOPIC, {});
    this.control = channel;
    channel.onError((reason?: unknown) => {
      if (this.control !== channel) return;
      this.joined = false;
      this.subs.clear();
      const fromServer = !(isRecord(reason) && reason.source === 'transport');
      if (isRecord(reason) && reason.reason === 'heartbeat_timeout') this.closeReason = 'no reply to the heartbeat (connection presumed dead)';
      if (fromServer) {
        this.rejectPending(new ChatError('network', 'the Glimesh control channel crashed (phx_error) before it replied'));
        this.notice('phx_error', 'Glimesh reset the chat channel; joining again');
      }
    });
    channel.onClose(() => {
      // phoenix drops a phx_close whose join ref is not the current join's (facts §4 "a duplicate join").
      if (this.control !== channel || this.stopped || this.socket !== socket) return;
      this.joined = false;
      this.subs.clear();
      this.rejectPending(new ChatError('network', 'the Glimesh control channel was closed (phx_close) before it replied'));
      this.notice('phx_close', 'Glimesh closed the chat channel; joining again');
      this.joinControl(socket); // a closed channel is removed by phoenix: join a new one, once
    });
    channel
      .join(this.opts.pushTimeoutMs)
      .receive('ok', () => {
        if (this.control !== channel || this.stopped) return;
        void this.onJoined();
      })
      .receive('error', (resp?: unknown) => {
        const reason = isRecord(resp) ? sanitizeLine(resp.reason).slice(0, 100) : '';
        this.notice('join-error', `Glimesh refused to join the chat channel${reason ? ` (${reason})` : ''}; retrying`);
      })
      .receive('timeout', () => {
        this.notice('join-timeout', 'Glimesh did not answer the channel join; retrying');
      });
  }

  /** Every (re)join: map again, subscribe each room once, backfill. The first one settles `connect`. */
  private async onJoined(): Promise<void> {
    const gen = ++this.joinGen;
    this.joined = true;
    this.closeReason = DEFAULT_REASON;
    this.closeReasonAbnormal = false;
    this.subs.clear();
    this.backoff.succeeded();
    this.rejoinBackoff.reset();
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
          await this.addRoom(ref);
        } catch (err) {
          const e = toChatError(err);
          if (e.code === 'auth') {
            this.fail(e);
            return;
          }
          if (e.retryable) this.pendingRefs.push(ref);
          failures.push(e);
          this.emit({ type: 'error', code: e.code, message: e.message, room: ref });
        }
      }),
    );
    if (this.stopped || this.failed || gen !== this.joinGen) return;
    await Promise.all([...this.roomMap.values()].map((room) => this.subscribeRoom(room, gen)));
    if (this.stopped || this.failed) return;
    if (this.roomMap.size === 0 && failures.length && refs.length) {
      const err = failures[0]!;
      if (!err.retryable) {
        this.fail(err, true);
        return;
      }
    }
    if (this.pendingRefs.length) this.retryRefs(gen);
    await myself; // so that me() is known when connect resolves (never rejects)
    this.settleReady?.();
  }

  /** Rooms whose lookup failed for a retryable reason are tried again after a backoff delay (same join). */
  private retryRefs(gen: number): void {
    const timer = setTimeout(() => {
      if (this.stopped || this.failed || gen !== this.joinGen || !this.joined) return;
      const refs = this.pendingRefs;
      this.pendingRefs = [];
      for (const ref of refs) {
        this.addRoom(ref)
          .then((room) => this.subscribeRoom(room, gen))
          .catch((err: unknown) => {
            const e = toChatError(err);
            if (e.code === 'auth') return this.fail(e);
            if (!e.retryable) return this.emit({ type: 'error', code: e.code, message: e.message, room: ref });
            this.pendingRefs.push(ref);
            if (this.pendingRefs.length === 1) this.retryRefs(gen);
          });
      }
    }, this.rejoinBackoff.nextDelay());
    timer.unref?.();
  }

  /** Pushes a document on the control topic; resolves with the reply, rejects with ChatError on time-out/loss. */
  private pushDoc(query: string, variables: Record<string, unknown>, what: string): Promise<DocReply> {
    const channel = this.control;
    if (!channel || !this.joined || !this.socket?.isConnected()) return Promise.reject(new ChatError('network', `${what}: not connected`));
    return new Promise<DocReply>((resolve, reject) => {
      let push: Push;
      const done = (): void => {
        this.pendingPushes.delete(fail);
      };
      const fail = (err: ChatError): void => {
        done();
        reject(err);
      };
      this.pendingPushes.add(fail);
      try {
        push = channel.push('doc', { query, variables }, this.opts.pushTimeoutMs);
      } catch (err) {
        fail(toChatError(err));
        return;
      }
      push
        .receive('ok', (response?: unknown) => {
          done();
          resolve({ status: 'ok', response: isRecord(response) ? response : {} });
        })
        .receive('error', (response?: unknown) => {
          done();
          resolve({ status: 'error', response: isRecord(response) ? response : {} });
        })
        .receive('timeout', () => {
          fail(new ChatError('network', `${what}: no reply from Glimesh within ${Math.round(this.opts.pushTimeoutMs / 1000)} s`));
        });
    });
  }

  /** Subscribes a room's chat and channel updates for join generation `gen` (never twice per generation), then backfills. */
  private async subscribeRoom(room: Room, gen: number): Promise<void> {
    if (room.subGen === gen) return;
    room.subGen = gen;
    room.held ??= []; // pushes held by an interrupted backfill stay: the next one merges them
    const results = await Promise.allSettled([
      this.subscribe(room, gen, 'chat', SUBSCRIBE_CHAT, { channelId: room.id }),
      this.subscribe(room, gen, 'channel', SUBSCRIBE_CHANNEL, { id: room.id }),
    ]);
    if (gen !== this.joinGen || this.stopped) return;
    const chat = results[0];
    if (chat.status === 'rejected') {
      const e = toChatError(chat.reason);
      if (e.retryable) {
        // No reply: whether the server holds a subscription is unknown. Start the control channel over
        // (its subscriptions die with it, facts §4) rather than risk a second subscription.
        this.notice('subscribe-timeout', `no answer to the subscription of ${room.info.streamer.name}'s chat; joining again`, room.id);
        this.restartControl(gen);
        return;
      }
      this.emit({ type: 'error', code: e.code, message: `could not subscribe to ${room.info.streamer.name}'s chat: ${e.message}`, room: room.id });
    }
    await this.backfill(room, gen);
  }

  /** Leaves the control channel and joins a new one (once per join generation). */
  private restartControl(gen: number): void {
    const socket = this.socket;
    const old = this.control;
    if (!socket || !old || gen !== this.joinGen || this.stopped) return;
    this.joinGen++; // results of the old join are stale from here on
    this.joined = false;
    this.subs.clear();
    this.control = undefined;
    try {
      old.leave();
    } catch {
      // leaving is best effort: the new join replaces the old channel on the server anyway
    }
    const timer = setTimeout(() => {
      if (!this.stopped && this.socket === socket && !this.control) this.joinControl(socket);
    }, this.rejoinBackoff.nextDelay());
    timer.unref?.();
  }

  private async subscribe(room: Room, gen: number, kind: 'chat' | 'channel', query: string, variables: Record<string, unknown>): Promise<void> {
    const reply = await this.pushDoc(query, variables, `subscribe ${kind}`);
    const id = typeof reply.response.subscriptionId === 'string' ? reply.response.subscriptionId : undefined;
    if (reply.status !== 'ok' || !id) {
      const text = errorsOf(reply.response)[0]?.message ?? (typeof reply.response.error === 'string' ? sanitizeLine(reply.response.error) : 'refused');
      throw new ChatError(text === 'Could not find resource' ? 'not_found' : 'protocol', `Glimesh refused the subscription: ${text}`, { retryable: false });
    }
    if (gen !== this.joinGen || !this.joined) {
      // A late reply for an old join: that subscription must not double the current one.
      this.unsubscribe(id);
      return;
    }
    this.subs.set(id, { room: room.id, kind, gen });
  }

  private unsubscribe(id: string): void {
    const channel = this.control;
    if (!channel || !this.joined) return;
    try {
      channel.push('unsubscribe', { subscriptionId: id }, this.opts.pushTimeoutMs);
    } catch {
      // best effort
    }
  }

  /** Routes every decoded frame: `subscription:data` by subscription id (facts §4 "Data"). */
  private route(msg: PhxMessage): void {
    if (this.stopped || msg.event !== 'subscription:data') return;
    const target = this.subs.get(msg.topic);
    if (!target) return; // an id from an earlier join, or not ours
    const room = this.roomMap.get(target.room);
    if (!room) return;
    const result = isRecord(msg.payload.result) ? msg.payload.result : undefined;
    const data = result && isRecord(result.data) ? result.data : undefined;
    if (!data) {
      this.notice('bad-data', 'dropped a subscription push without data');
      return;
    }
    if (target.kind === 'chat') {
      const ev = parseMessage(data.chatMessage, room.id);
      if (!ev) {
        this.notice('bad-message', 'dropped a malformed chat message from Glimesh', room.id);
        return;
      }
      this.live(room, ev);
    } else {
      const info = parseChannel(data.channel);
      if (info && info.id === room.id) this.updateChannel(room, info, true);
    }
  }

  private live(room: Room, ev: Msg): void {
    if (room.held) {
      if (room.held.length < 50_000) room.held.push(ev);
      return;
    }
    this.emitMessage(room, ev);
  }

  /** Emits a message once per id and moves the anchor. */
  private emitMessage(room: Room, ev: Msg): void {
    if (!room.seen.add(ev.id)) return;
    if (room.anchor === undefined || compareIds(ev.id, room.anchor) > 0) room.anchor = ev.id;
    this.userIds.set(ev.author.name.toLowerCase(), ev.author.id);
    if (this.userIds.size > SEEN_LIMIT) {
      const oldest = this.userIds.keys().next().value;
      if (oldest !== undefined) this.userIds.delete(oldest);
    }
    const txn = this.sentTxn.get(ev.id);
    this.emit(txn ? { ...ev, txnId: txn } : ev);
  }

  private flushHeld(room: Room): void {
    const held = room.held ?? [];
    room.held = undefined;
    for (const ev of held) this.emitMessage(room, ev);
  }

  /**
   * After a (re)subscribe: the first time, remember the newest message as the baseline (nothing emitted);
   * later, read pages backwards until the anchor and emit what was missed, oldest first, then the held
   * live pushes — each id once, in order. A `gap` when the anchor was not reached (issue 7 "Backfill").
   */
  private async backfill(room: Room, gen: number): Promise<void> {
    const anchor = room.anchor;
    const collected: Msg[] = [];
    let reached = false;
    let complete = false;
    try {
      let before: string | undefined;
      const pageSize = anchor === undefined ? 1 : this.opts.backfillPageSize;
      for (let i = 0; i < this.opts.backfillMaxPages; i++) {
        const page = await this.page(room, pageSize, before);
        if (anchor === undefined && room.anchor === undefined) {
          // The baseline counts even when a newer join interrupts us: the next backfill starts from it.
          room.anchor = page.messages.at(-1)?.id ?? '0';
        }
        if (gen !== this.joinGen || this.stopped) return;
        collected.unshift(...page.messages);
        if (anchor === undefined) break;
        if (page.messages.some((m) => compareIds(m.id, anchor) <= 0)) {
          reached = true;
          break;
        }
        if (!page.hasPrevious || !page.startCursor) {
          complete = true;
          break;
        }
        before = page.startCursor;
      }
    } catch (err) {
      if (gen !== this.joinGen || this.stopped) return;
      const e = toChatError(err);
      this.emit({ type: 'notice', text: `could not backfill ${room.info.streamer.name}'s chat: ${e.message}`, room: room.id });
      if (anchor !== undefined) this.emit({ type: 'gap', room: room.id });
      this.flushHeld(room);
      return;
    }
    if (anchor === undefined) {
      const last = collected.at(-1);
      if (last && (room.anchor === undefined || compareIds(last.id, room.anchor) > 0)) room.anchor = last.id;
      if (room.anchor === undefined) room.anchor = '0';
    } else {
      if (!reached && !complete) this.emit({ type: 'gap', room: room.id });
      for (const m of collected) if (compareIds(m.id, anchor) > 0) this.emitMessage(room, m);
    }
    this.flushHeld(room);
  }

  // ---------------------------------------------------------------- HTTP

  /** One page of `chatMessages(last:, before:)`, oldest first, caching cursors by id. */
  private async page(room: Room, last: number, before: string | undefined): Promise<{ messages: Msg[]; hasPrevious: boolean; startCursor: string | undefined }> {
    const variables: Record<string, unknown> = { id: room.id, last: Math.min(MAX_PAGE, Math.max(1, last)) };
    if (before !== undefined) variables.before = before;
    const res = await this.http.run(CHAT_PAGE, variables, 'history');
    const channel = res.data.channel;
    if (!isRecord(channel)) throw this.resultError(res, 'history', `channel ${room.id}`);
    const conn = isRecord(channel.chatMessages) ? channel.chatMessages : {};
    const edges = Array.isArray(conn.edges) ? conn.edges : [];
    const messages: Msg[] = [];
    for (const edge of edges) {
      if (!isRecord(edge)) continue;
      const ev = parseMessage(edge.node, room.id);
      if (!ev) continue;
      if (typeof edge.cursor === 'string' && edge.cursor.length < 200) {
        room.cursors.set(ev.id, edge.cursor);
        if (room.cursors.size > SEEN_LIMIT) {
          const oldest = room.cursors.keys().next().value;
          if (oldest !== undefined) room.cursors.delete(oldest);
        }
      }
      messages.push(ev);
    }
    messages.sort((a, b) => compareIds(a.id, b.id));
    const info = isRecord(conn.pageInfo) ? conn.pageInfo : {};
    const startCursor = typeof info.startCursor === 'string' ? info.startCursor : undefined;
    return { messages, hasPrevious: info.hasPreviousPage === true, startCursor };
  }

  /** A ChatError for a result whose field came back null: "Could not find resource" → not_found. */
  private resultError(res: GqlResult, what: string, subject: string): ChatError {
    const text = res.errors[0]?.message;
    if (!text || text === 'Could not find resource') return new ChatError('not_found', `${what}: ${subject} not found on Glimesh`, { retryable: false });
    return new ChatError('protocol', `${what}: ${text}`, { retryable: false });
  }

  /** Looks a channel up by numeric id or streamer username (case-insensitive, facts §6). Throws ChatError not_found. */
  private async lookup(ref: string): Promise<ChannelInfo> {
    const numeric = /^\d+$/.test(ref);
    const res = await this.http.run(numeric ? CHANNEL_BY_ID : CHANNEL_BY_USERNAME, numeric ? { id: ref } : { username: ref }, 'channel lookup');
    const info = parseChannel(res.data.channel);
    if (!info) {
      const e = this.resultError(res, 'channel lookup', numeric ? `channel ${ref}` : `a channel of "${sanitizeLine(ref).slice(0, 60)}"`);
      throw e;
    }
    return info;
  }

  /** Resolves and adds a room (idempotent by channel id); subscribes it when the control topic is joined. */
  private async addRoom(ref: string): Promise<Room> {
    const known = this.findRoom(ref);
    if (known) return known;
    const info = await this.lookup(ref);
    const existing = this.roomMap.get(info.id);
    if (existing) return existing;
    const room: Room = { id: info.id, info, subGen: 0, held: undefined, anchor: undefined, seen: new SeenIds(), cursors: new Map() };
    this.roomMap.set(info.id, room);
    this.updateChannel(room, info, false);
    return room;
  }

  private findRoom(ref: string): Room | undefined {
    const direct = this.roomMap.get(ref);
    if (direct) return direct;
    const lower = ref.toLowerCase();
    for (const r of this.roomMap.values()) if (r.info.streamer.username.toLowerCase() === lower) return r;
    return undefined;
  }

  private updateChannel(room: Room, info: ChannelInfo, fromPush: boolean): void {
    const before = room.info;
    room.info = { ...info, streamer: info.streamer.username ? info.streamer : before.streamer };
    this.emit({ type: 'room', room: room.id, name: room.info.streamer.name, topic: room.info.title, live: room.info.live });
    if (fromPush && before.live !== info.live) {
      this.emit({ type: 'notice', text: info.live ? `${room.info.streamer.name} is live${info.title ? `: ${info.title}` : ''}` : `${room.info.streamer.name} went offline`, room: room.id });
    }
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

  // ---------------------------------------------------------------- token renewal

  private canRenew(): boolean {
    const p = this.ctx.profile;
    return Boolean(p.clientId && p.clientSecret && p.tokenExpiresAt);
  }

  private async renewIfExpired(): Promise<void> {
    if (this.cred.kind !== 'token' || !this.canRenew() || !tokenExpired(this.ctx.profile.tokenExpiresAt)) return;
    await this.renew();
  }

  /** Client credentials grant again (issue 4 "Token"), stored with `saveProfile`. */
  private async renew(): Promise<void> {
    const p = this.ctx.profile;
    const patch = await clientCredentials(this.base, p.clientId ?? '', p.clientSecret ?? '');
    await this.ctx.saveProfile(patch).catch(() => {});
    if (patch.token) {
      this.cred = { kind: 'token', token: patch.token };
      this.http = new GraphHttp(this.base, this.cred, this.opts.httpTimeoutMs);
      if (patch.tokenExpiresAt !== undefined) p.tokenExpiresAt = patch.tokenExpiresAt;
      else delete p.tokenExpiresAt;
      if (patch.tokenIssuedAt !== undefined) p.tokenIssuedAt = patch.tokenIssuedAt;
    }
    this.emit({ type: 'notice', text: 'renewed the Glimesh token (client credentials)' });
  }

  // ---------------------------------------------------------------- public API

  /** Rooms resolved so far: id = channel id, name = streamer, topic = stream title, live. */
  rooms(): RoomInfo[] {
    return [...this.roomMap.values()].map((r) => ({ id: r.id, name: r.info.streamer.username || r.info.streamer.name, topic: r.info.title, live: r.info.live }));
  }

  me(): UserRef | undefined {
    return this.myself;
  }

  /** Channel by numeric id or streamer username (case-insensitive); ChatError not_found. */
  async resolveRoom(ref: string): Promise<RoomInfo> {
    const known = this.findRoom(ref);
    const info = known?.info ?? (await this.lookup(ref));
    return { id: info.id, name: info.streamer.username || info.streamer.name, topic: info.title, live: info.live };
  }

  /** Follows another channel at run time: resolve, subscribe (when joined), baseline. */
  async joinRoom(ref: string): Promise<RoomInfo> {
    const room = await this.addRoom(ref);
    if (this.joined) await this.subscribeRoom(room, this.joinGen);
    return { id: room.id, name: room.info.streamer.username || room.info.streamer.name, topic: room.info.title, live: room.info.live };
  }

  /** Stops following a channel: its subscriptions are ended (`unsubscribe`) and forgotten. */
  async partRoom(roomId: string): Promise<void> {
    const room = this.findRoom(roomId);
    if (!room) return;
    for (const [id, target] of [...this.subs]) {
      if (target.room !== room.id) continue;
      this.subs.delete(id);
      this.unsubscribe(id);
    }
    this.roomMap.delete(room.id);
  }

  /**
   * Older messages, oldest first (at most 1000 per request, paged with `before`; facts §6). `before` is a
   * message id: its cursor is known from an earlier page, else pages are read back from the newest until
   * it is found. Throws ChatError not_found for an unknown channel.
   */
  async history(roomRef: string, opts: HistoryOptions): Promise<MessageEvent[]> {
    const room = this.findRoom(roomRef) ?? (await this.addRoom(roomRef));
    const want = Math.max(1, Math.floor(opts.limit));
    let cursor: string | undefined;
    if (opts.before !== undefined) {
      cursor = room.cursors.get(opts.before);
      let before: string | undefined;
      for (let i = 0; cursor === undefined && i < 20; i++) {
        const page = await this.page(room, MAX_PAGE, before);
        cursor = room.cursors.get(opts.before);
        if (!page.hasPrevious || !page.startCursor || page.messages.some((m) => compareIds(m.id, opts.before!) < 0)) break;
        before = page.startCursor;
      }
      if (cursor === undefined) return [];
    }
    const out: Msg[] = [];
    while (out.length < want) {
      const page = await this.page(room, Math.min(MAX_PAGE, want - out.length), cursor);
      out.unshift(...page.messages);
      if (!page.hasPrevious || !page.startCursor || page.messages.length === 0) break;
      cursor = page.startCursor;
    }
    return out.slice(-want).map((m) => ({ ...m, profile: this.ctx.profile.name }));
  }

  /**
   * Sends with `createChatMessage` and variables: over the socket when joined, else over HTTP. Checks
   * 1–255 graphemes first. Resolves with the server's copy (txnId set). Refusals (HTTP 200 / status ok
   * with errors, facts §2, §6): "unauthorized" → auth (the token lacks scope `chat`), the policy texts
   * (bans, timeouts, e-mail, links, length) → forbidden with the server's words. A client-id profile →
   * read_only without calling the server.
   */
  async send(roomRef: string, text: string, txnId: string): Promise<MessageEvent> {
    if (this.capabilities.readOnly) throw new ChatError('read_only', `cannot send: ${READ_ONLY_REASON}`, { retryable: false });
    if (!text.trim()) throw new ChatError('forbidden', 'Glimesh does not take empty messages', { retryable: false });
    const n = graphemeCount(text);
    if (n > MAX_MESSAGE_GRAPHEMES) throw new ChatError('forbidden', `message too long: ${n} characters (Glimesh allows at most ${MAX_MESSAGE_GRAPHEMES})`, { retryable: false });
    if (this.failed) throw this.failed;
    const room = this.findRoom(roomRef) ?? (await this.addRoom(roomRef));
    const variables = { channelId: room.id, message: text };
    let result: GqlResult;
    if (this.joined && this.socket?.isConnected()) {
      const started = Date.now();
      let reply: DocReply;
      try {
        reply = await this.pushDoc(CREATE_MESSAGE, variables, 'send');
      } catch (err) {
        // No reply (time-out, phx_error, drop): the server may still have stored it. Look before failing,
        // so that a retry does not post it twice (issue 7 "nothing doubled").
        const e = toChatError(err);
        const found = e.code === 'network' ? await this.findSent(room, text, started).catch(() => undefined) : undefined;
        if (!found) throw e;
        this.sentTxn.set(found.id, txnId);
        return { ...found, txnId, profile: this.ctx.profile.name };
      }
      const response = reply.response;
      result = { data: isRecord(response.data) ? response.data : {}, errors: errorsOf(response) };
      if (reply.status === 'error' && !result.errors.length) result.errors = [{ message: typeof response.error === 'string' ? sanitizeLine(response.error) : 'refused' }];
    } else {
      result = await this.http.run(CREATE_MESSAGE, variables, 'send');
    }
    const ev = parseMessage(result.data.createChatMessage, room.id);
    if (!ev) throw this.refusal(result.errors, 'send');
    this.sentTxn.set(ev.id, txnId);
    if (this.sentTxn.size > 1000) {
      const oldest = this.sentTxn.keys().next().value;
      if (oldest !== undefined) this.sentTxn.delete(oldest);
    }
    return { ...ev, txnId, profile: this.ctx.profile.name };
  }

  /**
   * Our message with exactly this text, stored since `since` (ms; insertedAt has whole seconds), not yet
   * matched to another send — or undefined. Needs our user id (token profiles, from `myself`).
   */
  private async findSent(room: Room, text: string, since: number): Promise<Msg | undefined> {
    const me = this.myself;
    if (!me) return undefined;
    const want = sanitize(text);
    const page = await this.page(room, 50, undefined);
    return page.messages
      .filter((m) => m.author.id === me.id && m.text === want && Date.parse(m.time) >= since - 2000 && !this.sentTxn.has(m.id))
      .at(-1);
  }

  /** Maps GraphQL errors of a refused mutation to a ChatError with the server's text (facts §6). */
  private refusal(errors: GqlError[], what: string): ChatError {
    const text = errors.map((e) => e.message).join('; ').slice(0, 300);
    if (!text) return new ChatError('protocol', `${what}: Glimesh returned no message and no error`, { retryable: false });
    if (/^unauthori[sz]ed$/i.test(text.trim())) {
      if (this.cred.kind === 'client') return new ChatError('read_only', `${what}: ${READ_ONLY_REASON}`, { retryable: false });
      return new ChatError('auth', `${what}: Glimesh said "unauthorized": the token lacks the "chat" scope (or the rights for this)`, { retryable: false });
    }
    if (text === 'Could not find resource') return new ChatError('not_found', `${what}: not found on Glimesh`, { retryable: false });
    return new ChatError('forbidden', text, { retryable: false });
  }

  /**
   * Moderation through the new schema's mutations (facts §6): delete → deleteChatMessage, timeout →
   * shortTimeoutUser (5 min), ban → banUser, unban → unbanUser. `user` is a username (or a user id).
   * Needs scope `chat` and owner/moderator rights; a refusal is ChatError forbidden with the reason.
   */
  async moderate(roomRef: string, action: ModerationAction): Promise<void> {
    if (this.capabilities.readOnly) throw new ChatError('read_only', `cannot moderate: ${READ_ONLY_REASON}`, { retryable: false });
    const room = this.findRoom(roomRef) ?? (await this.addRoom(roomRef));
    let res: GqlResult;
    let field: string;
    if (action.kind === 'delete') {
      field = 'deleteChatMessage';
      res = await this.http.run(MODERATION.delete, { channelId: room.id, messageId: action.messageId }, 'delete');
    } else {
      const userId = await this.userId(action.user);
      field = action.kind === 'timeout' ? 'shortTimeoutUser' : action.kind === 'ban' ? 'banUser' : 'unbanUser';
      res = await this.http.run(MODERATION[action.kind], { channelId: room.id, userId }, action.kind);
    }
    if (!isRecord(res.data[field])) {
      const e = this.refusal(res.errors, action.kind);
      if (e.code === 'auth') throw new ChatError('forbidden', `${action.kind}: Glimesh said "unauthorized": only the channel owner, its moderators and admins can do this (and the token needs scope "chat")`, { retryable: false });
      throw e;
    }
    if (action.kind === 'delete') {
      this.emit({ type: 'message.delete', room: room.id, id: action.messageId });
    } else {
      const who = sanitizeLine(action.user).slice(0, 60);
      const done = action.kind === 'timeout' ? `timed out ${who} for 5 minutes` : action.kind === 'ban' ? `banned ${who}` : `unbanned ${who}`;
      this.emit({ type: 'notice', text: done, room: room.id });
    }
  }

  private async userId(user: string): Promise<string> {
    const name = user.replace(/^@/, '').trim();
    const cached = this.userIds.get(name.toLowerCase());
    if (cached) return cached;
    const res = await this.http.run(USER_BY_NAME, { username: name }, 'user lookup');
    const id = isRecord(res.data.user) ? idOf(res.data.user.id) : undefined;
    if (id) return id;
    if (/^\d+$/.test(name)) return name;
    throw new ChatError('not_found', `no Glimesh user named "${sanitizeLine(name).slice(0, 60)}"`, { retryable: false });
  }
}
