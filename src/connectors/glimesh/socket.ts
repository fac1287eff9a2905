import { Socket } from 'phoenix';
import type { LinkAttempt, LinkConnection, LinkEnd } from '../../core/connection/index.js';
import { ChatError } from '../../core/errors.js';
import { sanitizeLine } from '../../core/sanitize.js';
import { describeNetworkError } from '../http.js';
import type { Credential } from './http.js';
import { makeTransport } from './transport.js';
import { MAX_FRAME_BYTES, decodeFrame, type PhxMessage } from './wire.js';

/**
 * One connection attempt's Phoenix socket (the official `phoenix` client with `ws` as its transport) at
 * `{url}/api/socket/websocket?vsn=2.0.0` with `token=` or `client_id=` (facts §1 "old socket", §2, §4),
 * driven by the kit's ReconnectingLink, which owns the reconnects, their events and the backoff.
 * phoenix keeps the protocol's own timers: a heartbeat every 30 s whose missing reply closes the socket
 * (facts §3), push time-outs, and channel rejoins. The socket never reconnects by itself: when it
 * closes, the attempt ends and the link opens the next one. How the upgrade was answered decides the
 * end (facts §2 "Sockets"): a refused upgrade is told to the session, which knows the credential.
 */

/** Upgrade statuses that mean "this credential is refused" (facts §2: Phoenix answers 403). */
const AUTH_STATUSES = new Set([401, 403]);

/**
 * How an upgrade refused with HTTP `status` ends an attempt (facts §2 "Sockets"): a refused credential
 * is `auth` and not retried — or `'renew'` for a login token that `canRenew` (renewed before the next
 * attempt); 404 is a wrong URL (`protocol`, not retried); any other status is retried. `host` names
 * the site (never the URL: it carries the credential).
 */
export function upgradeRefused(status: number, cred: Credential, host: string, canRenew: boolean): LinkEnd | 'renew' {
  if (AUTH_STATUSES.has(status) || (cred.kind === 'client' && status === 400)) {
    if (cred.kind === 'token' && canRenew) return 'renew';
    const what = cred.kind === 'token' ? 'token' : 'client id';
    return { error: new ChatError('auth', `Glimesh refused the ${what} (HTTP ${status} on the socket upgrade); check it or run chat-tui login`, { retryable: false }) };
  }
  if (status === 404) return { error: new ChatError('protocol', `no Glimesh socket at ${host}/api/socket/websocket (HTTP 404); check --url`, { retryable: false }) };
  return { said: `socket upgrade refused (HTTP ${status})` };
}

/** What a connection tells its session, and asks of it. */
export interface PhoenixHooks {
  /** A throttled notice of `kind`. */
  notice(kind: string, text: string): void;
  /** The socket exists (join the control channel on it). */
  opened(socket: Socket): void;
  /** A decoded frame (phoenix handles replies and channel events itself). */
  frame(msg: PhxMessage): void;
  /** The credential of this attempt. */
  credential(): Credential;
  /** How an upgrade refused with this HTTP status ends the attempt (auth, renewal, wrong URL). */
  refused(status: number): LinkEnd;
}

/** Settings of a connection (times in ms). */
export interface PhoenixOptions {
  /** The site URL (`https://glimesh.tv`). */
  base: string;
  heartbeatIntervalMs: number;
  pushTimeoutMs: number;
  /** Delay before a channel rejoin (phoenix's `rejoinAfterMs`). */
  rejoinDelay(): number;
}

/** A phoenix Socket that cannot connect again once its attempt is over (phoenix schedules its own reconnects). */
class AttemptSocket extends Socket {
  over = false;

  override connect(params?: unknown): void {
    if (!this.over) super.connect(params);
  }
}

/** The socket of one attempt. */
export class PhoenixConnection implements LinkConnection {
  readonly socket: Socket;
  /** Why the socket is about to close, when phoenix knows better than the close code (a heartbeat without reply). */
  said: string | undefined;
  private readonly attemptSocket: AttemptSocket;
  private refusedStatus: number | undefined;
  private words: string | undefined;
  private opened = false;
  private ended = false;
  /** Resolves once the socket is closed after `close()` (at most 1.5 s). */
  closed: Promise<void> = Promise.resolve();

  constructor(
    readonly attempt: LinkAttempt,
    o: PhoenixOptions,
    private readonly hooks: PhoenixHooks,
  ) {
    const transport = makeTransport({
      options: { maxPayload: 8 * MAX_FRAME_BYTES, handshakeTimeout: 15_000 },
      refused: (status) => {
        this.refusedStatus = status;
      },
    });
    const socket = new AttemptSocket(`${o.base.replace(/^http/i, 'ws')}/api/socket`, {
      transport: transport as unknown as new (endpoint: string) => object,
      // Never both: client_id is matched first and would make the socket read-only (facts §2).
      params: () => {
        const cred = hooks.credential();
        return cred.kind === 'token' ? { token: cred.token } : { client_id: cred.clientId };
      },
      heartbeatIntervalMs: o.heartbeatIntervalMs,
      timeout: o.pushTimeoutMs,
      reconnectAfterMs: () => 1000, // never used: a closed socket ends the attempt (AttemptSocket)
      rejoinAfterMs: () => o.rejoinDelay(),
      decode: (raw, callback) => this.decode(raw, callback),
    });
    this.attemptSocket = socket;
    this.socket = socket;
    socket.onOpen(() => {
      this.opened = true;
    });
    socket.onError((error?: unknown) => {
      this.words ??= describeNetworkError(error);
    });
    socket.onClose((event) => {
      const code = (event as { code?: unknown } | undefined)?.code;
      const reason = sanitizeLine((event as { reason?: unknown } | undefined)?.reason).slice(0, 100);
      this.end(typeof code === 'number' ? code : 1006, reason);
    });
    socket.onMessage((msg) => hooks.frame(msg as PhxMessage));
    hooks.opened(socket);
    socket.connect();
  }

  /** The control channel is joined: the connection is up (the link's `connected`). */
  up(): void {
    this.attempt.up();
  }

  /** Polite close (a close frame, waited for at most 1.5 s in `closed`). */
  close(): void {
    this.closed = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1500);
      try {
        this.attemptSocket.disconnect(() => {
          clearTimeout(timer);
          resolve();
        }, 1000, 'bye');
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
    this.finish({ code: 1000, reason: 'bye' }, false);
  }

  /** Drops the socket at once (reconnect now); `said` is the reason of the reconnect. */
  terminate(said = 'reconnect requested'): void {
    this.said ??= said;
    this.end(1006, '');
  }

  /** Ends the attempt with `error` (a failure of the session: not retried when `retryable` is false). */
  fail(error: ChatError): void {
    this.finish({ error });
  }

  private end(code: number, reason: string): void {
    const status = this.refusedStatus;
    if (status !== undefined) return this.finish(this.hooks.refused(status));
    if (!this.opened) {
      const words = this.words;
      return this.finish({ error: new ChatError('network', `could not reach Glimesh${words ? `: ${words}` : ''}`) });
    }
    const e: LinkEnd = { code, reason };
    if (this.said !== undefined) e.said = this.said;
    this.finish(e);
  }

  /** Ends the attempt once: the socket is closed (unless `close()` is closing it) and can never reconnect. */
  private finish(e: LinkEnd, disconnect = true): void {
    if (this.ended) return;
    this.ended = true;
    this.attemptSocket.over = true;
    if (disconnect) {
      try {
        this.attemptSocket.disconnect();
      } catch {
        // already closing
      }
    }
    this.attempt.end(e);
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
}
