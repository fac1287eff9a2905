import type { IncomingMessage } from 'node:http';
import type { ConnectorContext, RoomInfo, ServiceTraits } from '../../../core/connector.js';
import type WebSocket from 'ws';
import { frameBuffer, guardFrame, openWebSocket, type Copy, type LinkAttempt, type LinkConnection, type ReadMissed } from '../../../core/connection/index.js';
import { ChatError } from '../../../core/errors.js';
import type { UserRef } from '../../../core/events.js';
import { sanitize } from '../../../core/sanitize.js';
import { cannotReachServer } from '../../http.js';
import { AccountSession, type AccountSessionOptions } from '../account.js';
import { restJson } from '../rest.js';
import { shortRoom } from '../transport.js';
import { MAX_FRAME_BYTES, asId, asName, asObj, httpError, parseFrame, retryAfterMs, type Obj } from '../wire.js';
import { jwtSubject, lastSeqOf, parseV2Members, parseV2Message, parseV2Messages, parseV2Rooms, v2Frame, type V2Msg } from './wire.js';

/**
 * The `v2` transport: the Go rewrite of ChatAPI (`hastenr/chatapi`; facts §B6 and its addendum), as
 * its code does it — one WebSocket `/ws` per account, flat frames with a per-room `seq`, REST without
 * a prefix. Where the code and the facts sheet differ, the code is followed (said where it matters).
 * Credentials (both eras of the server, one header set): `Authorization: Bearer <token>` (HEAD: a JWT
 * whose `sub` is the user id, rest `AuthMiddleware`, ws `authenticate`) and `X-API-Key: <token>` +
 * `X-User-Id: <profile user id>` (the tenant era, v0.1.6). No secret ever goes into a URL: the
 * `?token=` / `?api_key=` query forms are for browsers (and `?token=` is a one-time ticket in v0.1.6).
 */

/** What v2 carries besides the session's methods: typing, presence, pushed edits and deletes (rest HandleEditMessage / HandleDeleteMessage broadcast). */
const V2_TRAITS: ServiceTraits = { typingReceive: true, presence: true, edits: true, readOnly: false, atMentions: true };

/** Tunables of the v2 session, for tests. All times in ms. */
export interface V2SessionOptions extends AccountSessionOptions {
  /** A `{"type":"ping"}` frame (and a WebSocket ping) every this long (default 20 s: the server closes a socket after 60 s without a data frame, ws handler `SetReadDeadline`). */
  pingIntervalMs?: number;
  /** No frame or pong within this long → the socket is dead (default 45 s). */
  idleMs?: number;
  /** Acks of delivered messages are sent at most this often per room (default 1 s). */
  ackEveryMs?: number;
}

/** The largest history page (rest HandleGetMessages: `limit` 1..100). */
const PAGE = 100;
/** Most `server.shutdown` wait obeyed, ms. */
const MAX_SHUTDOWN_WAIT_MS = 60_000;

/** Splits the profile URL into the REST base (no prefix) and the socket URL `ws(s)://host/ws`. */
function v2Urls(base: string): { rest: string; ws: string } {
  let u: URL;
  try {
    u = new URL(base);
  } catch {
    throw new ChatError('protocol', 'the profile URL is not a valid URL', { retryable: false });
  }
  const path = u.pathname.replace(/\/+$/, '');
  const secure = u.protocol === 'wss:' || u.protocol === 'https:';
  return { rest: `${secure ? 'https:' : 'http:'}//${u.host}${path}`, ws: `${secure ? 'wss:' : 'ws:'}//${u.host}${path}/ws` };
}

/** A v2 session (see the module comment). */
export class V2Session extends AccountSession<V2Msg> {
  protected readonly pageSize = PAGE;
  private readonly urls: { rest: string; ws: string };
  private readonly token: string;
  /** Message id → seq (the newest 20,000): history pages before a message start below its seq. */
  private seqs = new Map<string, number>();
  private oldSeqs = new Map<string, number>();
  /** Per room: the seq and time of the newest live message (see `inOrder`). */
  private readonly lastLive = new Map<string, { seq: number; time: string }>();
  private socket: WebSocket | undefined;
  /** Least wait before the next connection, from a `server.shutdown` frame. */
  private shutdownFloorMs: number | undefined;
  private readonly acks = new Map<string, number>();
  private ackTimer: NodeJS.Timeout | undefined;

  constructor(ctx: ConnectorContext, opts: V2SessionOptions = {}) {
    const every = opts.pingIntervalMs ?? 20_000;
    const idle = opts.idleMs ?? every * 2 + 5000;
    super(ctx, opts, V2_TRAITS, { liveness: { idleMs: idle, pingEveryMs: every, reason: `no frame or pong within ${Math.round(idle / 1000)} s` } });
    this.urls = v2Urls(ctx.profile.url ?? 'http://localhost:8080');
    this.token = ctx.token ?? '';
    const sub = jwtSubject(this.token);
    if (sub) this.self = { id: sub, name: ctx.profile.userId === sub && ctx.profile.userName ? ctx.profile.userName : sub };
  }

  private get v2opts(): V2SessionOptions {
    return this.opts as V2SessionOptions;
  }

  /** Both eras' credential headers (see the module comment). */
  private headers(): Record<string, string> {
    const h: Record<string, string> = { authorization: `Bearer ${this.token}`, 'x-api-key': this.token };
    const uid = this.ctx.profile.userId ?? this.self?.id;
    if (uid) h['x-user-id'] = uid;
    return h;
  }

  private rest(method: string, path: string, what: string, body?: unknown, signal: AbortSignal = this.abort.signal): Promise<unknown> {
    return restJson({ method, url: this.urls.rest + path, headers: this.headers(), body, what, signal, timeoutMs: this.opts.requestTimeoutMs });
  }

  protected isRoomId(ref: string): boolean {
    return /^[0-9a-z_-]{6,}$/i.test(ref) && /\d/.test(ref) && !ref.startsWith('#');
  }

  /**
   * `GET /ws` with the credential headers. The server checks them before the upgrade (ws handler
   * `authenticate`): 401 is an auth failure (not retried), 429 waits its Retry-After; the connection
   * counts as up at the upgrade, and the server sends nothing until something happens.
   */
  protected openConnection(a: LinkAttempt): LinkConnection {
    let refusal: ChatError | undefined;
    let lastError: Error | undefined;
    let opened = false;
    const ws = openWebSocket(this.urls.ws, { headers: this.headers(), handshakeTimeout: 15_000, maxPayload: 8 * MAX_FRAME_BYTES });
    this.socket = ws;
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if ((size += c.length) <= 4096) chunks.push(c);
      });
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        refusal = status === 404 ? new ChatError('not_found', 'the server has no /ws: is it a ChatAPI v2 server? (try --protocol auto)', { retryable: false }) : httpError(status, text, 'socket', retryAfterMs(res.headers['retry-after'] as string | undefined));
        if (refusal.code === 'auth') refusal = new ChatError('auth', `${refusal.message} (check --token${this.ctx.profile.userId ? ' and --user-id' : ''})`, { retryable: false });
        if (status >= 500 || status === 0) refusal = new ChatError('network', refusal.message, { retryable: true });
        ws.terminate();
      });
    });
    ws.on('open', () => {
      opened = true;
      a.watch();
      a.up();
    });
    ws.on('pong', () => a.alive());
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      a.alive();
      const buf = frameBuffer(data);
      guardFrame(
        () => this.onFrame(buf, isBinary),
        () => this.notices.notice('crash', 'ignored a frame the client could not handle'),
      );
    });
    ws.on('error', (err: Error) => {
      lastError = err;
    });
    ws.on('close', (code: number, reasonBuf: Buffer) => {
      if (this.socket === ws) this.socket = undefined;
      const reason = reasonBuf.toString('utf8').slice(0, 200);
      const floor = this.shutdownFloorMs;
      this.shutdownFloorMs = undefined;
      if (refusal) return a.end({ code, reason, error: refusal, ...(refusal.retryAfterMs !== undefined ? { floorMs: refusal.retryAfterMs } : {}) });
      if (!opened) {
        const msg = (lastError && cannotReachServer(lastError)) ?? 'the connection closed before the socket opened';
        return a.end({ code, reason, error: new ChatError('network', msg, { retryable: true }) });
      }
      a.end({ code, reason, ...(floor !== undefined ? { floorMs: floor, said: 'the server is shutting down' } : {}) });
    });
    return {
      close: () => {
        if (ws.readyState === ws.CONNECTING) ws.terminate();
        else ws.close(1000);
        setTimeout(() => ws.terminate(), 1000).unref();
      },
      terminate: () => ws.terminate(),
      ping: () => {
        this.sendFrame(v2Frame('ping'));
        if (ws.readyState === ws.OPEN) ws.ping();
      },
    };
  }

  private sendFrame(text: string): boolean {
    const ws = this.socket;
    if (!ws || ws.readyState !== ws.OPEN) return false;
    try {
      ws.send(text);
      return true;
    } catch {
      return false;
    }
  }

  /** One frame of the server (ws.md "Server → Client events"); unknown types are ignored. */
  private onFrame(data: Buffer, isBinary: boolean): void {
    const n = this.notices;
    const f = parseFrame(data, isBinary);
    if (f === 'too_big') return n.notice('too_big', `dropped a frame of ${Math.round(data.length / 1024)} KiB (over the 1 MiB limit)`);
    if (f === 'binary') return n.notice('binary', 'ignored a binary frame');
    if (f === 'not_json' || f === 'not_envelope') return n.notice('malformed', 'ignored a malformed frame');
    const o = f as unknown as Obj;
    const room = asId(o.room_id);
    switch (f.type) {
      case 'message':
      case 'message.stream.end': {
        // stream.end carries the whole text and the stored seq (bot service `runBot`); start/delta are partial and not shown.
        const m = parseV2Message(o);
        if (!m) return n.notice('malformed', 'ignored a malformed message');
        this.learnSeq(m);
        this.inOrder(m);
        return this.live(m.room, m);
      }
      case 'message.edited': {
        const id = asId(o.message_id);
        if (!room || !id || typeof o.content !== 'string' || o.content.length > MAX_FRAME_BYTES) return n.notice('malformed', 'ignored a malformed edit');
        if (this.isOpen(room)) this.emit({ type: 'message.edit', room, id, text: sanitize(o.content), time: new Date().toISOString() });
        return;
      }
      case 'message.deleted': {
        const id = asId(o.message_id);
        if (room && id && this.isOpen(room)) this.emit({ type: 'message.delete', room, id });
        return;
      }
      case 'typing': {
        const uid = asId(o.user_id);
        if (room && uid) this.typingOf(room, { id: uid, name: this.names.nameOf(uid) }, o.action === 'start');
        return;
      }
      case 'presence.update': {
        const uid = asId(o.user_id);
        if (!uid) return;
        if (o.status === 'online') this.userOnline({ id: uid, name: uid });
        else if (o.status === 'offline') this.userOffline(uid);
        return;
      }
      case 'error': {
        const d = asObj(o.data) ?? {};
        if (d.code === 'rate_limited') return n.notice('rate_limited', 'the server is rate limiting this account (too many requests)');
        return n.notice('server_error', `server: ${(asName(d.message) ?? asName(d.code) ?? 'error').slice(0, 200)}`);
      }
      case 'server.shutdown': {
        const ms = o.reconnect_after_ms;
        if (typeof ms === 'number' && Number.isFinite(ms) && ms > 0) this.shutdownFloorMs = Math.min(ms, MAX_SHUTDOWN_WAIT_MS);
        return;
      }
      default:
        return; // ack.received, message.stream.start/delta/error, types of later versions
    }
  }

  /**
   * Live times have whole seconds, and the store orders messages of the same time by id (random UUIDs
   * here): a live message in the same second as the room's previous one is put 1 ms after it (up to
   * .999), so that a room's messages keep their seq order, as the history (nanoseconds) has them.
   */
  private inOrder(m: V2Msg): void {
    const prev = this.lastLive.get(m.room);
    if (prev && prev.seq < m.seq && m.time.endsWith('.000Z') && prev.time.startsWith(m.time.slice(0, 20)) && prev.time >= m.time) {
      const ms = Number(prev.time.slice(20, 23)) + 1;
      if (ms <= 999) m.time = `${m.time.slice(0, 20)}${String(ms).padStart(3, '0')}Z`;
    }
    if (!prev || prev.seq < m.seq) this.lastLive.set(m.room, { seq: m.seq, time: m.time });
  }

  /** Remembers `m`'s seq; two generations of 20,000 (as the kit's BoundedSet: evicting one by one walks a Map's deleted slots on every add, a flood's hot spot). */
  private learnSeq(m: V2Msg): void {
    this.seqs.set(m.id, m.seq);
    if (this.seqs.size >= 20_000) {
      this.oldSeqs = this.seqs;
      this.seqs = new Map();
    }
  }

  private seqOf(id: string): number | undefined {
    return this.seqs.get(id) ?? this.oldSeqs.get(id);
  }

  protected toEvent(m: V2Msg): Copy {
    const { seq: _seq, ...ev } = m;
    return ev;
  }

  protected streamOptions(): { newer(m: V2Msg, a: V2Msg | undefined): boolean; order(a: V2Msg, b: V2Msg): number } {
    // The room's seq orders its messages (rest HandleGetMessages: `ORDER BY seq`), not the clock.
    return { newer: (m, a) => a === undefined || m.seq > a.seq, order: (a, b) => a.seq - b.seq };
  }

  /** Acks what was delivered (ws.md `ack`: "all messages up to and including seq"), at most once a second per room. */
  protected delivered(room: string, m: V2Msg): void {
    if ((this.acks.get(room) ?? 0) >= m.seq) return;
    this.acks.set(room, m.seq);
    this.ackTimer ??= setTimeout(() => {
      this.ackTimer = undefined;
      for (const [r, seq] of this.acks) if (this.isOpen(r)) this.sendFrame(v2Frame('ack', { room_id: r, seq }));
    }, this.v2opts.ackEveryMs ?? 1000);
    this.ackTimer.unref();
  }

  protected async fetchRooms(signal: AbortSignal): Promise<RoomInfo[]> {
    return parseV2Rooms(await this.rest('GET', '/rooms', 'list rooms', undefined, signal));
  }

  /** `GET /rooms/{id}`: 404 → not_found (the socket sends every room we are a member of; nothing to join). */
  protected async enter(room: string): Promise<void> {
    const body = await this.rest('GET', `/rooms/${encodeURIComponent(room)}`, `room ${shortRoom(room)}`);
    const o = asObj(body);
    const name = asName(o?.name);
    if (name && !this.book.info.get(room)?.name.trim().length) this.book.info.set(room, { id: room, name });
    else if (name && this.book.info.get(room)?.name === room) this.book.info.set(room, { id: room, name });
  }

  protected async fetchMembers(room: string, signal: AbortSignal): Promise<UserRef[]> {
    return parseV2Members(await this.rest('GET', `/rooms/${encodeURIComponent(room)}/members`, `members of room ${shortRoom(room)}`, undefined, signal));
  }

  private async messagesAfter(room: string, afterSeq: number, limit: number, signal: AbortSignal): Promise<V2Msg[]> {
    const q = new URLSearchParams({ limit: String(Math.max(1, Math.min(PAGE, limit))) });
    if (afterSeq > 0) q.set('after_seq', String(afterSeq));
    const list = parseV2Messages(await this.rest('GET', `/rooms/${encodeURIComponent(room)}/messages?${q.toString()}`, `history of room ${shortRoom(room)}`, undefined, signal), room);
    for (const m of list) this.learnSeq(m);
    return list;
  }

  /**
   * History only reads forward (`after_seq`, `ORDER BY seq ASC`, rest HandleGetMessages), so a page
   * back is a window below a seq: below `before`'s seq, or up to the room's `last_seq` (`GET
   * /rooms/{id}`). Deleted messages leave holes in the seqs: the window widens until `limit` are
   * read or seq 1 is reached. A `before` whose seq was never seen gives an empty page.
   */
  protected async page(room: string, before: string | undefined, limit: number, signal: AbortSignal): Promise<V2Msg[]> {
    let hi: number;
    if (before === undefined) hi = lastSeqOf(await this.rest('GET', `/rooms/${encodeURIComponent(room)}`, `room ${shortRoom(room)}`, undefined, signal));
    else {
      const s = this.seqOf(before);
      if (s === undefined) return [];
      hi = s - 1;
    }
    const out: V2Msg[] = [];
    for (let i = 0; i < 10 && out.length < limit && hi > 0; i++) {
      const after = Math.max(0, hi - (limit - out.length));
      const got = (await this.messagesAfter(room, after, hi - after, signal)).filter((m) => m.seq <= hi);
      out.unshift(...got);
      hi = after;
    }
    return out;
  }

  /** Catch-up: everything after the anchor's seq, forward in pages of 100 (ws.md "Missed messages"). */
  protected readMissed(room: string): ReadMissed<V2Msg> {
    return async (anchor, signal) => {
      if (anchor === undefined) {
        const newest = (await this.page(room, undefined, 1, signal)).at(-1);
        return newest ? { messages: [], reached: false, baseline: newest } : { messages: [], reached: false };
      }
      let after = anchor === 'start' ? 0 : anchor.seq;
      const out: V2Msg[] = [];
      for (let i = 0; i < this.backfillPages; i++) {
        const got = (await this.messagesAfter(room, after, PAGE, signal)).filter((m) => m.seq > after);
        out.push(...got);
        const last = got.at(-1);
        if (got.length < PAGE || !last) return { messages: out, reached: true };
        after = last.seq;
      }
      return { messages: out, reached: false };
    };
  }

  /**
   * `POST /rooms/{id}/messages {content, meta}` (answered with the stored message; 429 + Retry-After on the
   * rate limit). `meta` (a JSON string the server stores and gives back, facts §B6) carries
   * `{"client_message_id": txnId}`: a copy of a send whose answer never came is known by it.
   */
  protected async post(room: string, text: string, txnId: string): Promise<Copy> {
    const what = `send to room ${shortRoom(room)}`;
    // The handler broadcasts the message before it answers (rest HandleSendMessage): the kit matches
    // that live copy as our echo, and the answer confirms the send either way.
    return this.pending.send(
      room,
      text,
      txnId,
      async () => {
        const o = asObj(await this.rest('POST', `/rooms/${encodeURIComponent(room)}/messages`, what, { content: text, meta: JSON.stringify({ client_message_id: txnId }) }));
        const m = o && parseV2Message(o, room);
        if (!m) throw new ChatError('protocol', `${what}: the server's answer holds no message`);
        this.learnSeq(m);
        return this.toEvent(m);
      },
      { answers: true },
    );
  }

  protected sendTypingFrame(room: string, on: boolean): boolean {
    return this.sendFrame(v2Frame(on ? 'typing.start' : 'typing.stop', { room_id: room }));
  }

  async disconnect(): Promise<void> {
    clearTimeout(this.ackTimer);
    await super.disconnect();
  }
}
