import { CatchUp, ReconnectingLink, describeClose, guardFrame, readByPaging, type LinkAttempt, type LinkConnection, type LinkEnd } from '../../core/connection/index.js';
import type { MessageEvent } from '../../core/events.js';
import { RoomPresence } from './presence.js';
import type { ChatApiSession } from './session.js';
import { shortRoom, type RoomSocket, type SocketEnd } from './transport.js';
import { CLOSE_RATE_LIMITED, asId, asName, closeError, frameTime, messageEvent, parseFrame, parseMessage, parseOnlineUsers, parseUser, type IncomingFrame } from './wire.js';

/**
 * One chatapi room: its socket (Doc B "Connection": one WebSocket per room) on the kit's
 * `ReconnectingLink`, its messages through the kit's `CatchUp` (backfill from REST history after every
 * reconnect, merged by id), its online list, and the mapping of Doc B's incoming frames to events.
 * What stays here is the wire: the close codes 4001–4004 (Doc B "Error Codes"), the app-level `ping`
 * heartbeat (Doc B "Ping/Heartbeat"), and a socket counting as connected at its first frame or after
 * a grace time (the server sends nothing on accept).
 */

/** A message as chatapi emits it. */
type Msg = Omit<MessageEvent, 'profile'>;

/** A history page (the documented maximum, facts §B2). */
export const PAGE = 100;
/** Remembered message ids per room (exactly-once). */
const SEEN_LIMIT = 20_000;
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

/** A room's socket, reconnect loop and message stream. */
export class RoomLink {
  readonly link: ReconnectingLink;
  readonly stream: CatchUp<Msg>;
  readonly presence: RoomPresence;
  /** The open (or opening) socket, if any. */
  socket: RoomSocket | undefined;
  private readonly label: string;

  constructor(
    private readonly s: ChatApiSession,
    readonly room: string,
  ) {
    this.label = `room ${shortRoom(room)}`;
    this.stream = new CatchUp<Msg>({
      deliver: (m) => s.deliver(m),
      gap: () => s.emit({ type: 'gap', room }),
      failed: (why) => s.emit({ type: 'notice', text: `could not backfill ${this.label}: ${why}`, room }),
      seenLimit: SEEN_LIMIT,
      // A message stamped in the future (beyond clock skew) never becomes the anchor: one that the server
      // pushed live but keeps no history of would leave the anchor where no backfill can find it.
      newer: (m, a) => (a === undefined || m.time >= a.time) && !beyondFuture(m.time),
    });
    this.presence = new RoomPresence(s.names, s.maxOnline, (online) => this.emitIfOpen({ type: 'presence', room, online }), () =>
      s.transport.getParticipants(room, s.abort.signal),
    );
    const interval = s.heartbeatIntervalMs;
    const timeout = s.heartbeatTimeoutMs;
    const opts: ConstructorParameters<typeof ReconnectingLink>[0] = {
      emit: (ev) => s.emit(ev),
      room,
      open: (a) => this.open(a),
      // Doc B "Ping/Heartbeat": a `ping` every interval; no frame at all within the time-out after it → dead.
      liveness: { idleMs: interval + timeout, pingEveryMs: interval, reason: `no heartbeat reply within ${Math.round((interval + timeout) / 1000)} s` },
      onUp: (again) => void (again ? this.backfill() : this.baseline()),
      onDown: () => {
        this.socket = undefined;
        this.stream.drop();
        s.typing.reset(room);
      },
      describe: (end) => (end.reason && /frame/.test(end.reason) ? end.reason : describeClose(end.code ?? 1006, end.reason)),
    };
    const backoff = s.opts.backoff?.();
    if (backoff) opts.backoff = backoff;
    this.link = new ReconnectingLink(opts);
  }

  private emitIfOpen(ev: Parameters<ChatApiSession['emit']>[0]): void {
    if (this.link.state !== 'stopped') this.s.emit(ev);
  }

  /** Opens one socket for an attempt of the link. */
  private open(a: LinkAttempt): LinkConnection {
    const s = this.s;
    let grace: NodeJS.Timeout | undefined;
    let live = false;
    const up = (): void => {
      if (live) return;
      live = true;
      clearTimeout(grace);
      a.up();
    };
    const socket = s.transport.openRoom(this.room, {
      onOpen: () => {
        socket.requestOnline(); // Doc B: "Request current online users" on open
        a.watch();
        grace = setTimeout(up, s.connectedGraceMs);
      },
      onActivity: () => a.alive(),
      onFrame: (data, isBinary) => {
        a.alive();
        up();
        guardFrame(
          () => this.onFrame(data, isBinary),
          () => s.notices.notice('crash', 'ignored a frame the client could not handle', this.room),
        );
      },
      onEnd: (end) => {
        clearTimeout(grace);
        a.end(this.linkEnd(end));
      },
    });
    this.socket = socket;
    return { close: () => socket.close(), terminate: () => socket.terminate(), ping: () => socket.ping() };
  }

  /** Doc B close codes: 4001–4003 end the room for good, 4004 waits at least the rate-limit floor. */
  private linkEnd(end: SocketEnd): LinkEnd {
    const err = end.error ?? (end.opened ? closeError(end.code, end.reason, this.label) : undefined);
    const out: LinkEnd = { code: end.code, reason: end.reason };
    if (err) out.error = err;
    if (err?.code === 'rate_limited' || end.code === CLOSE_RATE_LIMITED) out.floorMs = Math.max(err?.retryAfterMs ?? 0, this.s.rateLimitFloorMs);
    return out;
  }

  /** First connect: the newest message in history is where a later backfill starts (nothing emitted). */
  private async baseline(): Promise<void> {
    if (this.stream.anchor !== undefined) return;
    try {
      const page = await this.s.transport.getMessages(this.room, { limit: 1 }, this.s.abort.signal);
      this.stream.baseline(page.at(-1)?.event);
    } catch {
      // no baseline: a reconnect before the first message marks a gap instead
    }
  }

  /** After a reconnect: history back to the anchor (at most `backfillPages` pages), merged with the live messages. */
  private backfill(): Promise<unknown> {
    const s = this.s;
    const read = readByPaging<Msg>(
      async (before, limit, signal) => {
        const q: { limit: number; before?: string } = { limit };
        if (before !== undefined) q.before = before;
        return (await s.transport.getMessages(this.room, q, signal)).map((m) => m.event);
      },
      PAGE,
      s.backfillPages,
    );
    return this.stream.catchUp(read, s.abort.signal);
  }

  /** Maps one incoming frame (Doc B "Incoming Messages") to core events. */
  private onFrame(data: Buffer, isBinary: boolean): void {
    if (this.link.state === 'stopped') return; // parted: frames still in flight before the close are not shown
    const n = this.s.notices;
    const f = parseFrame(data, isBinary);
    if (f === 'too_big') return n.notice('too_big', `dropped a frame of ${Math.round(data.length / 1024)} KiB in ${this.label} (over the 1 MiB limit)`, this.room);
    if (f === 'binary') return n.notice('binary', `ignored a binary frame in ${this.label}`, this.room);
    if (f === 'not_json' || f === 'not_envelope') return n.notice('malformed', `ignored a malformed frame in ${this.label}`, this.room);
    this.onEvent(f);
  }

  private onEvent(f: IncomingFrame): void {
    const s = this.s;
    const d = f.data;
    const room = this.room;
    const malformed = (what: string): void => s.notices.notice('malformed', `ignored a malformed ${what} in ${this.label}`, room);
    switch (f.type) {
      case 'message': {
        const ev = messageEvent(d, room, f.timestamp);
        if (!ev) return malformed('message');
        if (d.is_deleted === true) return;
        if (!this.stream.live(ev)) this.socket?.terminate(); // the hold of a backfill is full: read them again after a reconnect
        return;
      }
      case 'message_updated': {
        const id = asId(d.id) ?? asId(d.message_id);
        if (!id || typeof d.content !== 'string') return malformed('edit');
        const m = parseMessage({ id, content: d.content, created_at: d.edited_at ?? frameTime(f) }, room, f.timestamp);
        if (!m) return;
        return s.emit({ type: 'message.edit', room, id, text: m.event.text, time: m.event.time });
      }
      case 'message_deleted': {
        const id = asId(d.id) ?? asId(d.message_id);
        if (!id) return malformed('delete');
        return s.emit({ type: 'message.delete', room, id });
      }
      case 'user_joined': {
        const u = parseUser(d);
        if (!u) return;
        s.names.learn(u);
        return this.presence.join(u);
      }
      case 'user_left': {
        const u = parseUser(d);
        if (u) this.presence.leave(u.id);
        return;
      }
      case 'typing': {
        const u = parseUser(d);
        if (!u || u.id === s.me()?.id) return;
        s.names.learn(u);
        return s.emit({ type: 'typing', room, user: u, typing: d.is_typing === true });
      }
      case 'notification': {
        const text = [asName(d.title), asName(d.content)].filter(Boolean).join(': ');
        if (text) s.emit({ type: 'notice', text: text.slice(0, 500), room });
        return;
      }
      case 'connection_status': {
        const users = parseOnlineUsers(d);
        if (users) this.presence.replace(users);
        return;
      }
      case 'pong':
        return; // liveness only (any frame counts)
      case 'error': {
        const text = asName(d.message) ?? asName(d.detail) ?? 'error';
        return s.notices.notice('server_error', `server (${this.label}): ${text.slice(0, 200)}`, room);
      }
      default:
        return; // unknown types are ignored (Doc B's own client logs them)
    }
  }
}
