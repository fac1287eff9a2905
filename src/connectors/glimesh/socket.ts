import { Socket } from 'phoenix';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent } from '../../core/events.js';
import { Backoff } from '../../core/reconnect.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { describeNetworkError } from '../http.js';
import type { Credential } from './http.js';
import type { TokenRenewal } from './renewal.js';
import { makeTransport } from './transport.js';
import { MAX_FRAME_BYTES, decodeFrame, type PhxMessage } from './wire.js';

/**
 * The Phoenix socket (the official `phoenix` client with `ws` as its transport) at
 * `{url}/api/socket/websocket?vsn=2.0.0` with `token=` or `client_id=` (facts §1 "old socket", §2, §4).
 * phoenix keeps the protocol's timers: a heartbeat every 30 s whose missing reply closes and reconnects
 * (facts §3), and the reconnects themselves, whose delays come from the core Backoff here. What the
 * upgrade answered decides the rest (facts §2 "Sockets"): 403 is a refused credential (renewed once
 * when the profile can, else a failure that is not retried), 404 a wrong URL.
 */

/** The reason of a reconnect when nothing more precise is known. */
const DEFAULT_REASON = 'connection lost';
/** Upgrade statuses that mean "this credential is refused" (facts §2: Phoenix answers 403). */
const AUTH_STATUSES = new Set([401, 403]);

/** What the socket tells its session, and asks of it. */
export interface SocketHooks {
  emit(ev: ConnectorEvent): void;
  notice(kind: string, text: string): void;
  /** A failure that is not retried (auth, wrong URL). */
  fail(err: ChatError): void;
  /** A new phoenix socket exists (join the control channel on it). */
  opened(socket: Socket): void;
  /** The socket closed; `reason` says why in words (pushes waiting for a reply fail with it). */
  closed(reason: string): void;
  /** A decoded frame (phoenix handles replies and channel events itself). */
  frame(msg: PhxMessage): void;
  /** The credential of the next attempt. */
  credential(): Credential;
  renewal: TokenRenewal;
  /** The control channel was joined at least once (a first failure is said only before that). */
  everJoined(): boolean;
  /** The session stopped or failed: no more events. */
  over(): boolean;
}

/** The session's one Phoenix socket and its reconnect policy. */
export class PhoenixLink {
  private socket: Socket | undefined;
  private closeReason = DEFAULT_REASON;
  /** `closeReason` came from an abnormal close (1006: no close frame), which a socket error can say better. */
  private closeReasonAbnormal = false;
  private refusedStatus: number | undefined;
  private toldFirstFailure = false;
  private readonly backoff: Backoff;
  private readonly rejoinBackoff: Backoff;

  /** `base`: the site URL; `host`: its host for messages (never the URL: the socket URL carries the credential). */
  constructor(
    private readonly base: string,
    private readonly host: string,
    private readonly hooks: SocketHooks,
    private readonly opts: { heartbeatIntervalMs: number; pushTimeoutMs: number; backoff: () => Backoff },
  ) {
    this.backoff = opts.backoff();
    this.rejoinBackoff = opts.backoff();
  }

  /** Opens a socket (again after a failure). A URL that ws refuses is a failure naming only the host. */
  open(): void {
    try {
      this.create();
    } catch {
      // ws throws on an unusable URL; its text may hold the query string (the token), so it is not repeated
      this.hooks.fail(new ChatError('protocol', `cannot open a socket to ${this.host}: check --url`, { retryable: false }));
    }
  }

  /** The control channel is joined: the backoffs start over, the next close has no reason yet. */
  up(): void {
    this.closeReason = DEFAULT_REASON;
    this.closeReasonAbnormal = false;
    this.backoff.succeeded();
    this.rejoinBackoff.reset();
  }

  /** The reason of the coming close, when phoenix knows it (a heartbeat without a reply). */
  reason(text: string): void {
    this.closeReason = text;
  }

  /** The delay before a channel rejoin, ms (the core Backoff). */
  rejoinDelay(): number {
    return this.rejoinBackoff.nextDelay();
  }

  /** Whether the socket is open. */
  get connected(): boolean {
    return this.socket?.isConnected() ?? false;
  }

  /** Drops the socket and connects again at once (after a failure: opens a new one). */
  reconnectNow(failed: boolean): void {
    this.backoff.reset();
    if (failed) return this.open();
    const socket = this.socket;
    if (!socket) return;
    this.closeReason = 'reconnect requested';
    socket.disconnect(() => {
      if (!this.hooks.over() && this.socket === socket) socket.connect();
    });
  }

  /** Closes the socket for good (a close frame, waited for at most 1.5 s). */
  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
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

  /** Drops the socket without waiting (the session failed). */
  drop(): void {
    const socket = this.socket;
    this.socket = undefined;
    try {
      socket?.disconnect();
    } catch {
      // already closing
    }
  }

  private create(): void {
    this.refusedStatus = undefined;
    const transport = makeTransport({
      options: { maxPayload: 8 * MAX_FRAME_BYTES, handshakeTimeout: 15_000 },
      refused: (status) => {
        this.refusedStatus = status;
      },
    });
    const socket = new Socket(`${this.base.replace(/^http/i, 'ws')}/api/socket`, {
      transport: transport as unknown as new (endpoint: string) => object,
      // Never both: client_id is matched first and would make the socket read-only (facts §2).
      params: () => {
        const cred = this.hooks.credential();
        return cred.kind === 'token' ? { token: cred.token } : { client_id: cred.clientId };
      },
      heartbeatIntervalMs: this.opts.heartbeatIntervalMs,
      timeout: this.opts.pushTimeoutMs,
      reconnectAfterMs: () => this.scheduleReconnect(),
      rejoinAfterMs: () => this.rejoinDelay(),
      decode: (raw, callback) => this.decode(raw, callback),
    });
    this.socket = socket;
    socket.onError((error?: unknown) => {
      if (this.socket === socket) this.onError(socket, error);
    });
    socket.onClose((event) => {
      if (this.socket !== socket) return;
      const code = (event as { code?: unknown } | undefined)?.code;
      const reason = sanitizeLine((event as { reason?: unknown } | undefined)?.reason).slice(0, 100);
      if (this.closeReason === DEFAULT_REASON) {
        this.closeReason = `socket closed${typeof code === 'number' ? ` (code ${code}${reason ? ` ${reason}` : ''})` : ''}`;
        this.closeReasonAbnormal = code === 1006;
      }
      this.hooks.closed(this.closeReason);
    });
    socket.onMessage((msg) => this.hooks.frame(msg as PhxMessage));
    this.hooks.opened(socket);
    socket.connect();
  }

  /** Safe decoder for phoenix: drops binary, oversized and malformed frames with a notice; never throws. */
  private decode(raw: unknown, callback: (msg: unknown) => void): void {
    const msg = decodeFrame(raw);
    if (typeof msg === 'string') {
      if (msg === 'oversized') this.hooks.notice('oversized', `dropped a Glimesh frame larger than ${MAX_FRAME_BYTES / 1024 / 1024} MiB`);
      else if (msg === 'binary') this.hooks.notice('binary', 'dropped a binary frame (Glimesh sends text frames only)');
      else this.hooks.notice('malformed', 'dropped a malformed frame from Glimesh');
      return;
    }
    try {
      callback(msg);
    } catch {
      this.hooks.notice('malformed', 'dropped a frame Glimesh sent that could not be handled');
    }
  }

  /** phoenix is about to wait before reconnecting: the core backoff decides how long; tells the user. */
  private scheduleReconnect(): number {
    const delay = this.backoff.nextDelay();
    if (!this.hooks.over()) {
      this.hooks.emit({ type: 'connection', state: 'reconnecting', reason: this.closeReason, retryAt: new Date(Date.now() + delay).toISOString() });
    }
    this.closeReason = DEFAULT_REASON;
    this.closeReasonAbnormal = false;
    return delay;
  }

  /** A socket error (`error`: what phoenix passes on, the transport's ErrorEvent). */
  private onError(socket: Socket, error?: unknown): void {
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
      if (!this.hooks.everJoined() && !this.toldFirstFailure) {
        this.toldFirstFailure = true;
        this.hooks.emit({ type: 'error', code: 'network', message: `could not connect to Glimesh at ${this.host}${words ? `: ${words}` : ''}` });
      }
      return;
    }
    this.refusedStatus = undefined;
    const cred = this.hooks.credential();
    if (AUTH_STATUSES.has(status) || (cred.kind === 'client' && status === 400)) {
      // An expired login token is renewed once instead of failing.
      const renewal = this.hooks.renewal;
      if (cred.kind === 'token' && renewal.possible && !renewal.busy) {
        socket.disconnect();
        renewal.renew().then(
          () => {
            if (!this.hooks.over() && this.socket === socket) socket.connect();
          },
          (err: unknown) => this.hooks.fail(toChatError(err)),
        );
        return;
      }
      const what = cred.kind === 'token' ? 'token' : 'client id';
      this.hooks.fail(new ChatError('auth', `Glimesh refused the ${what} (HTTP ${status} on the socket upgrade); check it or run chat-tui login`, { retryable: false }));
      return;
    }
    if (status === 404) {
      this.hooks.fail(new ChatError('protocol', `no Glimesh socket at ${this.host}/api/socket/websocket (HTTP 404); check --url`, { retryable: false }));
      return;
    }
    this.closeReason = `socket upgrade refused (HTTP ${status})`;
  }
}
