import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import type { IncomingMessage } from 'node:http';
import type { Capabilities, ConnectorContext, ConnectorSession, RoomInfo } from '../../core/connector.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import { Backoff, WakeableSleep } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { cannotReachServer } from '../http.js';
import { errorFromBody, errorFromStatus, request } from './http.js';
import { DEFAULT_API_URL, DEFAULT_URL, apiUrl, messagesUrl, socketUrl } from './urls.js';
import {
  MAX_AUTH_FRAME_BYTES,
  MAX_FRAME_BYTES,
  asErrorBody,
  authFrame,
  derivedId,
  encodeData,
  readAccessToken,
  toMessageEvent,
  unwrap,
  userRef,
} from './wire.js';

/**
 * A Talkee session: one WebSocket per slug (facts §5, §11), sends over the chat REST (facts §6).
 *
 * What goes over a socket: exactly one text frame, `{"type":"auth","token":…}`, right after it opens —
 * nothing else ever (facts §5: the server closes the socket with an empty close frame, code 1005, on
 * any other text frame; no app-level pings, no typing). `ws` answers the server's pings by itself.
 * Every close (1005 included) reconnects with the core Backoff; a refused upgrade (HTTP 200
 * `{code,msg}` instead of 101, facts §5) is reported with the server's text and not retried.
 * The service keeps no history per room (facts §6: GET /messages is one global list with no room
 * field), so every reconnect emits a `gap` for the room instead of a backfill.
 */

/** Tunables, for tests (all ms). */
export interface TalkeeSessionOptions {
  /**
   * A socket that delivers nothing (no frame, no ping) for this long is treated as dead and replaced
   * (issue 7 "Liveness"). The server pings every 54 s (facts §5, melody default); default 90 s.
   */
  idleTimeoutMs?: number;
  /** A 1005 close within this time after the auth frame, with no frame in between, counts as an auth refusal (default 3 s). */
  authRefusalWindowMs?: number;
  /** WebSocket handshake time limit (default 15 s). */
  handshakeTimeoutMs?: number;
  /** Backoff factory (default: core Backoff with its env overrides). */
  backoff?: () => Backoff;
}

/** Frames larger than this close the socket inside `ws` (memory bound); 1 MiB < size ≤ this are dropped with a notice. */
const WS_MAX_PAYLOAD = 8 * MAX_FRAME_BYTES;
/** How many message ids per room are remembered for dedupe. */
const SEEN_LIMIT = 10_000;
/** Consecutive quick 1005 closes after auth that mean "token refused". */
const AUTH_REFUSALS = 2;
/** Repeated notices of one kind (malformed frames…) at most this often, ms. */
const NOTICE_EVERY_MS = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Static capabilities of the service (facts §5–§7; issue 6 "Capabilities"). */
export const TALKEE_CAPABILITIES: Capabilities = {
  history: false, // GET /messages is the whole server's last 100, no room field (facts §6)
  typingSend: false, // any non-auth frame closes the socket (facts §5)
  typingReceive: false,
  presence: false,
  edits: false, // no edit or delete endpoints (facts §7)
  roomListing: false, // no API lists slugs (facts §3)
  dms: false,
  join: true, // any slug can be opened at run time (facts §3: the server never checks it exists)
  readOnly: false,
  moderation: false,
  atMentions: false,
};

/** A set that forgets its oldest entries beyond `limit`. */
class SeenIds {
  private readonly ids = new Set<string>();
  constructor(private readonly limit: number) {}
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

type LinkState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';

/** How one socket ended. */
interface Outcome {
  opened: boolean;
  error?: ChatError;
  reason: string;
}

/** One slug's socket and its reconnect loop. */
class RoomLink {
  state: LinkState = 'idle';
  failure: ChatError | undefined;
  private ws: WebSocket | undefined;
  private readonly backoff: Backoff;
  private stopped = false;
  private everConnected = false;
  /** The reconnect wait; reconnectNow() and disconnect() cut it short. */
  private readonly retryWait = new WakeableSleep();
  private quickAuthCloses = 0;
  private toldFirstFailure = false;
  private kicked = false;
  private running = false;
  /** Settles with the first attempt's result: resolves when connected, rejects on a non-retryable failure. */
  readonly ready: Promise<void>;
  private settleReady!: (err?: ChatError) => void;

  constructor(
    private readonly session: TalkeeSession,
    readonly slug: string,
  ) {
    this.backoff = session.opts.backoff?.() ?? new Backoff();
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

  /** Starts the reconnect loop (again, after a failure or `stop`). */
  start(): void {
    if (this.running) return;
    this.kicked = false;
    this.stopped = false;
    this.running = true;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  /** Stops for good: closes the socket, ends the loop. */
  stop(): Promise<void> {
    this.stopped = true;
    this.state = 'stopped';
    this.settleReady(new ChatError('network', 'disconnected'));
    this.retryWait.wake();
    const ws = this.ws;
    if (!ws || ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000); // a close frame is a control frame, not a text frame
    });
  }

  /** "Reconnect now": drop the socket (or cut the backoff wait short) and try again at once. */
  kick(): void {
    this.backoff.reset();
    this.kicked = true;
    if (this.stopped) return;
    if (!this.running) {
      this.start();
      return;
    }
    if (this.retryWait.waiting) this.retryWait.wake();
    else this.ws?.terminate();
  }

  private async loop(): Promise<void> {
    const s = this.session;
    let first = true;
    while (!this.stopped) {
      if (first) {
        this.state = 'connecting';
        s.emit({ type: 'connection', state: 'connecting', room: this.slug });
      }
      first = false;
      const outcome = await this.attempt();
      if (this.stopped) break;
      if (outcome.error && !outcome.error.retryable) {
        this.state = 'failed';
        this.failure = outcome.error;
        s.emit({ type: 'error', code: outcome.error.code, message: outcome.error.message, room: this.slug });
        s.emit({ type: 'connection', state: 'failed', reason: outcome.error.message, room: this.slug });
        this.settleReady(outcome.error);
        s.linkFailed();
        return;
      }
      if (!this.everConnected && !this.toldFirstFailure && outcome.error) {
        // Once, so that a one-shot command can say why it never connected; the retries follow as `connection` events.
        this.toldFirstFailure = true;
        s.emit({ type: 'error', code: outcome.error.code, message: outcome.error.message, room: this.slug });
      }
      const delay = this.kicked ? 0 : this.backoff.nextDelay();
      this.kicked = false;
      this.state = 'reconnecting';
      s.emit({
        type: 'connection',
        state: 'reconnecting',
        reason: outcome.error?.message ?? outcome.reason,
        room: this.slug,
        retryAt: new Date(Date.now() + delay).toISOString(),
      });
      await this.retryWait.wait(delay);
    }
  }

  /** Opens one socket and resolves when it has closed (or could not open). */
  private attempt(): Promise<Outcome> {
    const s = this.session;
    const url = socketUrl(s.baseUrl, s.siteId, this.slug);
    const what = `room "${sanitizeLine(this.slug).slice(0, 80)}" (site_id ${s.siteId})`;
    return new Promise<Outcome>((resolve) => {
      let ws: WebSocket;
      try {
        ws = new WebSocket(url, {
          handshakeTimeout: s.opts.handshakeTimeoutMs ?? 15_000,
          maxPayload: WS_MAX_PAYLOAD,
          perMessageDeflate: false, // the server offers none (facts §5)
          skipUTF8Validation: true, // a text frame with invalid UTF-8 is read leniently (U+FFFD), not a reason to drop the socket
          headers: { 'user-agent': 'chat-tui' },
        });
      } catch (err) {
        resolve({ opened: false, error: new ChatError('protocol', `${what}: bad socket URL: ${toChatError(err).message}`, { retryable: false }), reason: 'bad URL' });
        return;
      }
      this.ws = ws;
      let opened = false;
      let refusal: ChatError | undefined;
      let lastError: Error | undefined;
      let authSentAt: number | undefined;
      let gotFrame = false;
      let idleFired = false;
      let tooBig = false;
      let idle: NodeJS.Timeout | undefined;
      const idleMs = s.opts.idleTimeoutMs ?? 90_000;
      const armIdle = (): void => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          idleFired = true;
          ws.terminate();
        }, idleMs);
      };

      // A bad site id or slug is answered with HTTP 200 {code,msg} instead of 101 (facts §5): read the text.
      ws.on('unexpected-response', (_req, res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = (): void => {
          clearTimeout(timer);
          if (refusal) return;
          let json: unknown;
          try {
            json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            json = undefined;
          }
          const body = asErrorBody(json);
          refusal = body ? errorFromBody(body, what) : errorFromStatus(res.statusCode ?? 0, `${what}: the server did not open a socket`);
          ws.terminate();
        };
        const timer = setTimeout(finish, 5000);
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size <= 64 * 1024) chunks.push(chunk);
        });
        res.on('end', finish);
        res.on('error', finish);
        res.on('close', finish);
      });
      ws.on('open', () => {
        opened = true;
        armIdle();
        const token = s.token;
        if (token !== undefined && !s.authRefused) {
          ws.send(authFrame(token).text); // the one frame we ever send (facts §5)
          authSentAt = Date.now();
        }
        this.onOpen();
      });
      ws.on('ping', armIdle);
      ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
        armIdle();
        gotFrame = true;
        s.onFrame(this.slug, data, isBinary);
      });
      ws.on('error', (err: Error) => {
        lastError = err;
        if (/max payload/i.test(err.message)) tooBig = true;
      });
      ws.on('close', (code: number, reasonBuf: Buffer) => {
        clearTimeout(idle);
        if (this.ws === ws) this.ws = undefined;
        if (refusal) return resolve({ opened: false, error: refusal, reason: refusal.message });
        if (!opened) {
          const e = lastError ? describeSocketError(lastError) : 'the connection closed before the socket opened';
          return resolve({ opened: false, error: new ChatError('network', `${what}: ${e}`), reason: e });
        }
        // Quick 1005 closes right after the auth frame: the server's only way to say "bad token" (facts §5).
        if (code === 1005 && authSentAt !== undefined && !gotFrame && Date.now() - authSentAt <= (s.opts.authRefusalWindowMs ?? 3000)) {
          if (++this.quickAuthCloses >= AUTH_REFUSALS) s.markAuthRefused();
        } else {
          this.quickAuthCloses = 0;
        }
        if (tooBig) s.notice(this.slug, 'huge', `dropped a frame over ${WS_MAX_PAYLOAD / MAX_FRAME_BYTES} MiB; reconnecting`);
        const reason = idleFired
          ? `no frames or pings for ${Math.round(idleMs / 1000)} s`
          : `socket closed (code ${code}${reasonBuf.length ? `: ${sanitizeLine(reasonBuf.toString('utf8')).slice(0, 120)}` : ''})`;
        resolve({ opened: true, reason });
      });
    });
  }

  private onOpen(): void {
    const s = this.session;
    this.backoff.succeeded();
    this.state = 'connected';
    s.emit({ type: 'connection', state: 'connected', room: this.slug });
    if (this.everConnected) {
      // Messages sent while we were away are lost for us: the service cannot backfill a room (facts §6).
      s.emit({ type: 'gap', room: this.slug });
    } else {
      s.emit({ type: 'notice', room: this.slug, text: 'talkee keeps no history for a room: messages appear from now on' });
    }
    this.everConnected = true;
    this.settleReady();
  }
}

/** One line for a socket error (no URL: it names the site but keep lines short). */
function describeSocketError(err: Error): string {
  const unreachable = cannotReachServer(err);
  if (unreachable) return unreachable;
  if (/handshake has timed out/i.test(err.message)) return 'the socket handshake timed out';
  return sanitizeLine(err.message).slice(0, 160);
}

/** The ConnectorSession of a talkee profile. Create with `definition.create(ctx)` (index.ts). */
export class TalkeeSession implements ConnectorSession {
  readonly capabilities: Capabilities;
  readonly baseUrl: string;
  readonly siteId: number;
  readonly token: string | undefined;
  authRefused = false;
  private readonly links = new Map<string, RoomLink>();
  private readonly seen = new Map<string, SeenIds>();
  private readonly noticeAt = new Map<string, { at: number; skipped: number }>();
  private readonly abort = new AbortController();
  private closed = false;
  private started: Promise<void> | undefined;
  private self: UserRef | undefined;

  constructor(
    private readonly ctx: ConnectorContext,
    readonly opts: TalkeeSessionOptions = {},
  ) {
    const p = ctx.profile;
    this.baseUrl = p.url ?? DEFAULT_URL;
    this.siteId = p.siteId ?? 0;
    this.token = ctx.token;
    this.capabilities = ctx.token ? { ...TALKEE_CAPABILITIES } : { ...TALKEE_CAPABILITIES, readOnly: true, readOnlyReason: 'no access token (give --token or run chat-tui login --mixin-token …)' };
    const claims = readAccessToken(ctx.token);
    const id = p.userId ?? claims?.userId;
    if (id !== undefined) this.self = { id, name: p.userName ?? `user ${id}` };
  }

  /** Emits an event unless the session is closed. */
  emit(ev: ConnectorEvent): void {
    if (this.closed) return;
    try {
      this.ctx.emit(ev);
    } catch {
      // a listener's failure is not ours
    }
  }

  /** A notice of kind `kind` for `room`, at most once per 10 s (later ones are counted and reported with the next). */
  notice(room: string, kind: string, text: string): void {
    const key = `${room}\u0000${kind}`;
    const now = Date.now();
    const last = this.noticeAt.get(key);
    if (last && now - last.at < NOTICE_EVERY_MS) {
      last.skipped++;
      return;
    }
    const more = last?.skipped ? ` (and ${last.skipped} more like it)` : '';
    this.noticeAt.set(key, { at: now, skipped: 0 });
    this.emit({ type: 'notice', room, text: `${text}${more}` });
  }

  /**
   * Opens one socket per slug of the profile (facts §11 "Open a room"). Resolves when the first room
   * is connected; rejects with the ChatError of the first room when every room failed for a
   * non-retryable reason (bad site id/slug, …). Idempotent.
   */
  connect(signal: AbortSignal): Promise<void> {
    if (this.started) return this.started;
    this.started = this.start(signal);
    return this.started;
  }

  private async start(signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new ChatError('network', 'cancelled');
    signal.addEventListener('abort', () => void this.disconnect(), { once: true });
    if (this.token !== undefined) {
      const { bytes } = authFrame(this.token);
      if (bytes > MAX_AUTH_FRAME_BYTES) {
        // Refused here: the server would close the socket with 1009 on a frame over 512 bytes (facts §5).
        throw new ChatError('auth', `the access token is too long for talkee's auth frame (${bytes} bytes, the server takes at most ${MAX_AUTH_FRAME_BYTES}); is it a Talkee access token?`, { retryable: false });
      }
    }
    const slugs = [...new Set(this.ctx.profile.rooms ?? [])];
    if (slugs.length === 0) throw new ChatError('not_found', 'talkee: the profile names no slug (--room SLUG)', { retryable: false });
    for (const slug of slugs) this.openLink(slug);
    void this.learnMe();
    try {
      await Promise.any([...this.links.values()].map((l) => l.ready));
    } catch {
      const first = [...this.links.values()].find((l) => l.failure)?.failure;
      throw first ?? new ChatError('network', 'talkee: no room could be opened');
    }
  }

  /**
   * Reads our user from GET `{apiUrl}/me` (facts §7, wrapped `{ts, data}`) when the profile does not name
   * it, so local echoes carry our name. Only when the API base is known to belong to this chat server
   * (set explicitly, or both left at their defaults). Failures are ignored: it is cosmetic.
   */
  private async learnMe(): Promise<void> {
    const p = this.ctx.profile;
    if (!this.token || p.userName || (p.apiUrl === undefined && p.url !== undefined)) return;
    try {
      const answer = await request(apiUrl(p.apiUrl ?? DEFAULT_API_URL, '/me'), { method: 'GET', headers: { authorization: `Bearer ${this.token}` } }, 'GET /me', this.abort.signal);
      const user = unwrap(answer.json);
      if (answer.status < 300 && user && typeof user === 'object' && !asErrorBody(user) && !this.closed) {
        const ref = userRef(user);
        if (!this.self || this.self.name.startsWith('user ')) this.self = ref;
      }
    } catch {
      // cosmetic
    }
  }

  private openLink(slug: string): RoomLink {
    let link = this.links.get(slug);
    if (!link) {
      link = new RoomLink(this, slug);
      this.links.set(slug, link);
      this.seen.set(slug, new SeenIds(SEEN_LIMIT));
      this.emit({ type: 'room', room: slug, name: sanitizeLine(slug) });
    }
    link.start();
    return link;
  }

  /** Called by a link that failed for good: when every room has failed, the profile has failed. */
  linkFailed(): void {
    const links = [...this.links.values()];
    if (links.length && links.every((l) => l.state === 'failed')) {
      this.emit({ type: 'connection', state: 'failed', reason: links[0]?.failure?.message ?? 'every room failed' });
    }
  }

  /** Two quick 1005 closes after the auth frame: the token is refused; keep receiving without it (facts §5: auth is not needed to receive). */
  markAuthRefused(): void {
    if (this.authRefused) return;
    this.authRefused = true;
    this.emit({
      type: 'error',
      code: 'auth',
      message: 'talkee closed the socket right after the auth frame: the access token looks refused; receiving without it (to send, log in again: chat-tui login --mixin-token …)',
    });
  }

  /** One inbound frame of `room`'s socket (facts §5: bare message JSON; nothing else but pings). Never throws. */
  onFrame(room: string, data: WebSocket.RawData, isBinary: boolean): void {
    try {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (isBinary) {
        this.notice(room, 'binary', 'ignored a binary frame from the server');
        return;
      }
      if (buf.length > MAX_FRAME_BYTES) {
        this.notice(room, 'huge', `dropped a ${buf.length}-byte frame (over ${MAX_FRAME_BYTES / 1024 / 1024} MiB)`);
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8'));
      } catch {
        this.notice(room, 'malformed', 'ignored a frame that is not JSON');
        return;
      }
      const items = Array.isArray(value) ? value.slice(0, 1000) : [value];
      for (const item of items) {
        const body = asErrorBody(item);
        if (body) {
          this.notice(room, 'error', `talkee: ${body.msg || `code ${body.code}`}`);
          continue;
        }
        const ev = toMessageEvent(item, room);
        if (ev) this.deliver(ev);
        else this.notice(room, 'malformed', 'ignored a frame that is not a message');
      }
    } catch {
      this.notice(room, 'malformed', 'ignored a frame that could not be read');
    }
  }

  /** Emits a message once per (room, id). Returns false for a duplicate. */
  private deliver(ev: Omit<MessageEvent, 'profile'>): boolean {
    const seen = this.seen.get(ev.room) ?? new SeenIds(SEEN_LIMIT);
    this.seen.set(ev.room, seen);
    if (!seen.add(ev.id)) return false;
    this.emit(ev);
    return true;
  }

  /**
   * Sends `text` to slug `room` (facts §6, §11 "Send"): POST `{url}/messages?site_id=&slug=` with
   * `Authorization: Bearer`, body `{id, message_id, category:"text", data: base64(utf8(text))}` (the server
   * keeps `id` and drops `message_id`, so both carry the same uuid: the txnId when it is a uuid). The
   * answer is the confirmation (an authenticated socket never receives our own message): it is
   * emitted as a `message` (deduped by id) and returned with `txnId`. Errors come as HTTP 200
   * `{code,msg}`: 401 → ChatError auth; see `errorFromBody`.
   */
  async send(room: string, text: string, txnId: string): Promise<MessageEvent> {
    if (!this.token) throw new ChatError('read_only', 'talkee: no access token, so nothing can be sent (give --token or run chat-tui login)', { retryable: false });
    const id = UUID.test(txnId) ? txnId.toLowerCase() : randomUUID();
    const body = JSON.stringify({ id, message_id: id, category: 'text', data: encodeData(text) });
    const answer = await request(
      messagesUrl(this.baseUrl, this.siteId, room),
      { method: 'POST', headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' }, body },
      'send',
      this.abort.signal,
    );
    const refused = asErrorBody(answer.json);
    if (refused) throw errorFromBody(refused, 'send');
    if (answer.status >= 300) throw errorFromStatus(answer.status, 'send');
    const ev = toMessageEvent(answer.json, room);
    if (!ev) throw new ChatError('protocol', 'send: the server answered something that is not a message', { retryable: false });
    const raw = answer.json as Record<string, unknown>;
    if (raw.id === undefined || raw.id === null || raw.id === '') {
      // A server that dropped our id: keep ours, and remember the hash an id-less echo of it would get.
      this.seen.get(room)?.add(derivedId(raw));
      ev.id = id;
    }
    if (!this.self || this.self.name.startsWith('user ')) this.self = ev.author;
    const msg: MessageEvent = { ...ev, profile: this.ctx.profile.name, txnId };
    this.deliver({ ...ev, txnId });
    return msg;
  }

  /** Closes every socket; no events after it resolves. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.closed) return;
    const links = [...this.links.values()];
    this.emit({ type: 'connection', state: 'offline', reason: 'disconnected' });
    this.closed = true;
    this.abort.abort();
    await Promise.all(links.map((l) => l.stop()));
  }

  /** Drops every socket and reconnects at once (backoff reset); failed rooms are tried again too. */
  reconnectNow(): void {
    if (this.closed) return;
    for (const link of this.links.values()) link.kick();
  }

  /** The profile's slugs (each one room, facts §3). */
  rooms(): RoomInfo[] {
    const slugs = this.links.size ? [...this.links.keys()] : [...new Set(this.ctx.profile.rooms ?? [])];
    return slugs.map((slug) => ({ id: slug, name: sanitizeLine(slug) }));
  }

  /** A slug is its own reference: the server never checks that it exists (facts §3). */
  async resolveRoom(ref: string): Promise<RoomInfo> {
    if (!ref) throw new ChatError('not_found', 'talkee: empty slug', { retryable: false });
    return { id: ref, name: sanitizeLine(ref) };
  }

  /** Opens another slug's socket at run time (capability `join`). */
  async joinRoom(ref: string): Promise<RoomInfo> {
    const room = await this.resolveRoom(ref);
    if (this.closed) throw new ChatError('network', 'talkee: the session is closed');
    this.openLink(room.id);
    return room;
  }

  /** Closes a slug's socket. */
  async partRoom(room: string): Promise<void> {
    const link = this.links.get(room);
    if (!link) return;
    this.links.delete(room);
    this.seen.delete(room);
    await link.stop();
  }

  /** Our user: learned from a send answer, else the profile's userId/userName (from login), else the token's `user_id` claim. */
  me(): UserRef | undefined {
    return this.self;
  }
}
