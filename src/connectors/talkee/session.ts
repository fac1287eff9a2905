import { randomUUID } from 'node:crypto';
import { capabilitiesOf, type Capabilities, type ConnectorContext, type ConnectorSession, type RoomInfo, type ServiceTraits } from '../../core/connector.js';
import { NoticeThrottle, PendingSends, SafeEmitter, firstReady } from '../../core/connection/index.js';
import { ChatError } from '../../core/errors.js';
import type { ConnectorEvent, MessageEvent, UserRef } from '../../core/events.js';
import type { Backoff } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { errorFromBody, errorFromStatus, request } from './http.js';
import { SlugLink } from './room-link.js';
import { DEFAULT_API_URL, DEFAULT_URL, apiUrl, messagesUrl } from './urls.js';
import { MAX_AUTH_FRAME_BYTES, MAX_FRAME_BYTES, asErrorBody, authFrame, derivedId, encodeData, readAccessToken, toMessageEvent, unwrap, userRef } from './wire.js';

/**
 * A Talkee session: one WebSocket per slug (facts §5, §11; room-link.ts), sends over the chat REST
 * (facts §6). Reconnects, exactly-once delivery, gaps (the service keeps no history per room: facts §6,
 * GET /messages is one global list with no room field), echo matching and notices are the core
 * connection kit's (src/core/connection/).
 */

/** Tunables, for tests (all ms). */
export interface TalkeeSessionOptions {
  /**
   * A socket that delivers nothing (no frame, no ping) for this long is treated as dead and replaced
   * (the kit's liveness). The server pings every 54 s (facts §5, melody default); default 90 s.
   */
  idleTimeoutMs?: number;
  /** A 1005 close within this time after the auth frame, with no frame in between, counts as an auth refusal (default 3 s). */
  authRefusalWindowMs?: number;
  /** WebSocket handshake time limit (default 15 s). */
  handshakeTimeoutMs?: number;
  /** Backoff factory (default: core Backoff with its env overrides). */
  backoff?: () => Backoff;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What the service carries besides the methods of the session (facts §5–§7). */
const TALKEE_TRAITS: ServiceTraits = {
  typingReceive: false, // any non-auth frame closes the socket (facts §5): no typing, no presence
  presence: false,
  edits: false, // no edit or delete endpoints (facts §7)
  readOnly: false,
  atMentions: false,
};

/** The ConnectorSession of a talkee profile. Create with `definition.create(ctx)` (index.ts). */
export class TalkeeSession implements ConnectorSession {
  readonly capabilities: Capabilities;
  readonly baseUrl: string;
  readonly siteId: number;
  readonly token: string | undefined;
  authRefused = false;
  readonly abort = new AbortController();
  readonly notices: NoticeThrottle;
  /** Our sends: the socket copy of a message we posted carries the send's txnId. */
  readonly pending = new PendingSends(() => this.self?.id);
  private readonly emitter: SafeEmitter;
  private readonly links = new Map<string, SlugLink>();
  private self: UserRef | undefined;

  constructor(
    private readonly ctx: ConnectorContext,
    readonly opts: TalkeeSessionOptions = {},
  ) {
    const p = ctx.profile;
    this.baseUrl = p.url ?? DEFAULT_URL;
    this.siteId = p.siteId ?? 0;
    this.token = ctx.token;
    this.capabilities = ctx.token
      ? capabilitiesOf(this, TALKEE_TRAITS)
      : capabilitiesOf(this, { ...TALKEE_TRAITS, readOnly: true, readOnlyReason: 'no access token (give --token or run chat-tui login --mixin-token …)' });
    this.emitter = new SafeEmitter(ctx.emit);
    this.notices = new NoticeThrottle((text, room) => this.emit(room === undefined ? { type: 'notice', text } : { type: 'notice', text, room }));
    const claims = readAccessToken(ctx.token);
    const id = p.userId ?? claims?.userId;
    if (id !== undefined) this.self = { id, name: p.userName ?? `user ${id}` };
  }

  /** Emits an event unless the session is closed (a listener's failure is not ours). */
  emit(ev: ConnectorEvent): void {
    this.emitter.emit(ev);
  }

  /**
   * Opens one socket per slug of the profile (facts §11 "Open a room"). Resolves when the first room
   * is connected; rejects with the ChatError of the first room when every room failed for a
   * non-retryable reason (bad site id/slug, …). Idempotent.
   */
  connect(signal: AbortSignal): Promise<void> {
    return this.emitter.connectOnce(signal, () => this.disconnect(), () => this.start());
  }

  private async start(): Promise<void> {
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
    await firstReady(
      [...this.links.values()].map((l) => l.link.ready),
      () => new ChatError('network', 'talkee: no room could be opened'),
    );
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
      if (answer.status < 300 && user && typeof user === 'object' && !asErrorBody(user) && !this.emitter.closed) {
        const ref = userRef(user);
        if (!this.self || this.self.name.startsWith('user ')) this.self = ref;
      }
    } catch {
      // cosmetic
    }
  }

  private openLink(slug: string): SlugLink {
    let link = this.links.get(slug);
    if (!link) {
      link = new SlugLink(this, slug);
      this.links.set(slug, link);
      this.emit({ type: 'room', room: slug, name: sanitizeLine(slug) });
    }
    link.link.start();
    return link;
  }

  /** Called by a link that failed for good: when every room has failed, the profile has failed. */
  linkFailed(): void {
    const links = [...this.links.values()];
    if (links.length && links.every((l) => l.link.state === 'failed')) {
      this.emit({ type: 'connection', state: 'failed', reason: links[0]?.link.failure?.message ?? 'every room failed' });
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
  onFrame(link: SlugLink, buf: Buffer, isBinary: boolean): void {
    const room = link.slug;
    const notice = (kind: string, text: string): void => this.notices.notice(kind, text, room);
    try {
      if (isBinary) {
        notice('binary', 'ignored a binary frame from the server');
        return;
      }
      if (buf.length > MAX_FRAME_BYTES) {
        notice('huge', `dropped a ${buf.length}-byte frame (over ${MAX_FRAME_BYTES / 1024 / 1024} MiB)`);
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(buf.toString('utf8'));
      } catch {
        notice('malformed', 'ignored a frame that is not JSON');
        return;
      }
      const items = Array.isArray(value) ? value.slice(0, 1000) : [value];
      for (const item of items) {
        const body = asErrorBody(item);
        if (body) {
          notice('error', `talkee: ${body.msg || `code ${body.code}`}`);
          continue;
        }
        const ev = toMessageEvent(item, room);
        if (ev) link.stream.live(ev);
        else notice('malformed', 'ignored a frame that is not a message');
      }
    } catch {
      notice('malformed', 'ignored a frame that could not be read');
    }
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
    const stream = this.links.get(room)?.stream;
    const post = async (): Promise<Omit<MessageEvent, 'profile'>> => {
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
        stream?.seen.add(derivedId(raw));
        ev.id = id;
      }
      return ev;
    };
    const mine = await this.pending.send(room, text, txnId, post, { answers: true });
    if (!this.self || this.self.name.startsWith('user ')) this.self = mine.author;
    // An authenticated socket never receives our own message (facts §6): the answer is the copy to show.
    if (stream) stream.live(mine);
    else this.emit(mine);
    return { ...mine, profile: this.ctx.profile.name };
  }

  /**
   * GET `{url}/messages?site_id=&slug=&filter=latest` (facts §6): the server's newest 100 messages, of
   * every slug (items carry no room, so they are given `room`), for the outbox to find a send whose answer
   * never came — by its `id`, which we chose (the txnId). Throws ChatError like `send`.
   */
  async recentMessages(room: string): Promise<MessageEvent[]> {
    const url = messagesUrl(this.baseUrl, this.siteId, room);
    url.searchParams.set('filter', 'latest');
    const answer = await request(url, { method: 'GET' }, 'recent messages', this.abort.signal);
    const refused = asErrorBody(answer.json);
    if (refused) throw errorFromBody(refused, 'recent messages');
    if (answer.status >= 300) throw errorFromStatus(answer.status, 'recent messages');
    const list = unwrap(answer.json);
    if (!Array.isArray(list)) throw new ChatError('protocol', 'recent messages: the server answered with no list', { retryable: false });
    const out: MessageEvent[] = [];
    for (const item of list.slice(-1000)) {
      const ev = toMessageEvent(item, room);
      if (ev) out.push({ ...ev, profile: this.ctx.profile.name });
    }
    return out;
  }

  /** Closes every socket; no events after it resolves. Idempotent. */
  async disconnect(): Promise<void> {
    if (this.emitter.closed) return;
    const links = [...this.links.values()];
    this.emit({ type: 'connection', state: 'offline', reason: 'disconnected' });
    this.emitter.close();
    this.abort.abort();
    for (const l of links) l.link.stop();
    await Promise.all(links.map((l) => l.closed()));
  }

  /** Reconnect now (the kit's one meaning: every slug's next attempt starts at once); failed rooms are tried again too. */
  reconnectNow(): void {
    if (this.emitter.closed) return;
    for (const l of this.links.values()) l.link.reconnectNow();
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
    if (this.emitter.closed) throw new ChatError('network', 'talkee: the session is closed');
    this.openLink(room.id);
    return room;
  }

  /** Closes a slug's socket. */
  async partRoom(room: string): Promise<void> {
    const link = this.links.get(room);
    if (!link) return;
    this.links.delete(room);
    link.link.stop();
    await link.closed();
  }

  /** Our user: learned from a send answer, else the profile's userId/userName (from login), else the token's `user_id` claim. */
  me(): UserRef | undefined {
    return this.self;
  }
}

/** Capabilities of the service: the methods of the session, and what the service carries (facts §5–§7). */
export const TALKEE_CAPABILITIES: Capabilities = capabilitiesOf(TalkeeSession.prototype, TALKEE_TRAITS);
