import { ChatError, toChatError } from '../errors.js';
import type { ConnectionEvent, ConnectorEvent } from '../events.js';
import { Backoff, WakeableSleep } from '../reconnect.js';
import { PROTOCOL_CLOSE_CODES, describeClose } from './close-codes.js';
import { Liveness, type LivenessOptions } from './liveness.js';
import { Ready } from './ready.js';

/**
 * The reconnecting link: the one reconnect loop of every connector (one socket per room or one per
 * account). The connector only opens one connection per attempt (`open`) and says what happened on it
 * (`up`, `alive`, `end`); the link owns the policy:
 * - `connection` events: `connecting` once, `connected` on each `up()`, `reconnecting` with the reason
 *   and `retryAt` (ISO UTC) before each wait, `failed` on a failure that is not retryable, `offline` on
 *   `stop()` (when asked to);
 * - the core `Backoff` (full jitter, 1 s → 30 s cap, reset after 30 s up), with `floorMs` of an end
 *   (a rate limit's Retry-After) as the least wait;
 * - the first failure of an outage is said once as an `error` event, not once per retry;
 * - close codes 1002/1003/1007/1008 (the server says we broke the protocol or a policy) wait the cap
 *   and say the server's reason; `protocolCloseLimit` of them in a row fail the link (`protocol`);
 * - reconnect now: the backoff is reset and the next attempt starts at once (0 ms): a wait in
 *   progress ends now, an open connection is dropped and opened again without a wait;
 * - liveness: with `liveness`, a connection with no sign of life for `idleMs` is dropped;
 * - `ready` settles once: resolved on the first `up()`, rejected on a failure that is not retryable
 *   (or on `stop()` before it).
 */

/** How one connection ended. */
export interface LinkEnd {
  /** A failure; `retryable: false` fails the link for good. */
  error?: ChatError;
  /** The WebSocket close code, when the socket opened and closed. */
  code?: number;
  /** The close frame's reason (server text: sanitised before it is shown). */
  reason?: string;
  /** Least wait before the next attempt, ms (e.g. a rate limit's Retry-After). */
  floorMs?: number;
  /** The reason in words when the connector knows better than the close code (a heartbeat that never came). */
  said?: string;
}

/** What the connector is told about one attempt, and tells the link. */
export interface LinkAttempt {
  /** 1 for the first attempt of the link, then 2, 3, … */
  readonly number: number;
  /** Aborted when the attempt is over (ended, stopped, dropped). */
  readonly signal: AbortSignal;
  /** The connection is accepted (first frame, CONNECTED, auth reply…): `connected`, ready, backoff. */
  up(): void;
  /** A sign of life (any frame, pong, server ping): the liveness deadline starts again. */
  alive(): void;
  /** The connection is over (call once; later calls are ignored). */
  end(end: LinkEnd): void;
  /** The liveness deadline and heartbeat start (call once the socket is open). No-op without `liveness`. */
  watch(): void;
}

/** A connection as the link drives it. */
export interface LinkConnection {
  /** Polite close for `stop()` (a close frame); must lead to `end()` soon (the link does not wait). */
  close(): void;
  /** Drop at once (reconnect now, dead connection); must lead to `end()`. */
  terminate(): void;
  /** The protocol's heartbeat, sent every `liveness.pingEveryMs`. */
  ping?(): void;
}

/** Settings of a link. */
export interface LinkOptions {
  /** Where the `connection` and `error` events go (a SafeEmitter's emit). */
  emit(ev: ConnectorEvent): void;
  /** Opens one connection for an attempt; may be async (REST preparation first). Throwing ends the attempt with that error. */
  open(attempt: LinkAttempt): LinkConnection | Promise<LinkConnection>;
  /** The room of the `connection`/`error` events, for one link per room; none for a whole-profile link. */
  room?: string;
  /** Backoff (default: the core Backoff with its environment overrides). */
  backoff?: Backoff;
  /** Liveness of an open connection (see {@link Liveness}). */
  liveness?: LivenessOptions;
  /** Protocol/policy closes in a row that fail the link (default 3); a connection up for `stableMs` starts the count again. */
  protocolCloseLimit?: number;
  /** How long a connection must have been up to count as stable, ms (default 30 s, as the backoff's reset). */
  stableMs?: number;
  /** After each `up()`; `again` is false on the first, true after a reconnect (catch-up hook). */
  onUp?(again: boolean): void;
  /** After each connection ended, before the wait (forget per-connection state). */
  onDown?(): void;
  /** The link failed for good with `err` (after its events). */
  onFailed?(err: ChatError): void;
  /** The reason of a `reconnecting` event for an end without an error (default {@link describeClose}). */
  describe?(end: LinkEnd): string;
}

/** States of a link. */
export type LinkState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'failed' | 'stopped';

/** One reconnecting connection. Create, `start()`, and `stop()` when done. */
export class ReconnectingLink {
  state: LinkState = 'idle';
  /** The failure that ended the link, when `state` is `failed`. */
  failure: ChatError | undefined;
  /** Settles once: resolved on the first `up()`, rejected when the link fails or stops before it. */
  readonly ready: Promise<void>;
  private readonly readyOnce = new Ready();
  private readonly backoff: Backoff;
  private readonly wait = new WakeableSleep();
  private conn: LinkConnection | undefined;
  private attemptCtl: AbortController | undefined;
  private running = false;
  private stopped = false;
  private everUp = false;
  private kicked = false;
  /** An error was said for the outage in progress (the first failure is said once). */
  private told = false;
  private protocolCloses = 0;
  private attempts = 0;
  private upSince: number | undefined;

  constructor(private readonly opts: LinkOptions) {
    this.backoff = opts.backoff ?? new Backoff();
    this.ready = this.readyOnce.promise;
  }

  /** The connection of the attempt in progress, if any. */
  get connection(): LinkConnection | undefined {
    return this.conn;
  }

  /** Whether the link has been up at least once. */
  get wasUp(): boolean {
    return this.everUp;
  }

  /** Starts the loop (again after `failed`); no-op while running or after `stop()`. */
  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.protocolCloses = 0;
    void this.loop().finally(() => {
      this.running = false;
    });
  }

  /**
   * Stops for good: the wait ends, the connection is closed politely, `ready` rejects if still
   * pending. With `offline`, an `offline` connection event is emitted first.
   */
  stop(offline = false): void {
    if (this.stopped) return;
    if (offline) this.event({ state: 'offline' });
    this.stopped = true;
    this.state = 'stopped';
    this.readyOnce.reject(new ChatError('network', 'disconnected', { retryable: false }));
    this.wait.wake();
    this.conn?.close();
  }

  /** Reconnect now (0 ms): reset the backoff; end a wait now, or drop the connection and open a new one at once; a failed link starts again. */
  reconnectNow(): void {
    if (this.stopped) return;
    this.backoff.reset();
    this.kicked = true;
    if (!this.running) return this.start();
    if (this.wait.waiting) this.wait.wake();
    else this.conn?.terminate();
  }

  private event(e: Omit<ConnectionEvent, 'type' | 'profile' | 'room'>): void {
    const ev: ConnectorEvent = { type: 'connection', ...e };
    if (this.opts.room !== undefined) ev.room = this.opts.room;
    this.opts.emit(ev);
  }

  private error(err: ChatError): void {
    const ev: ConnectorEvent = { type: 'error', code: err.code, message: err.message };
    if (this.opts.room !== undefined) ev.room = this.opts.room;
    this.opts.emit(ev);
  }

  private async loop(): Promise<void> {
    this.state = 'connecting';
    this.event({ state: 'connecting' });
    while (!this.stopped) {
      const end = await this.attempt();
      this.opts.onDown?.();
      if (this.stopped) break;
      if (this.upSince !== undefined && Date.now() - this.upSince >= (this.opts.stableMs ?? 30_000)) this.protocolCloses = 0;
      this.upSince = undefined;
      let err = end.error;
      const protocolClose = err === undefined && end.code !== undefined && PROTOCOL_CLOSE_CODES.has(end.code);
      if (protocolClose) {
        this.protocolCloses++;
        const limit = this.opts.protocolCloseLimit ?? 3;
        if (this.protocolCloses >= limit) {
          err = new ChatError('protocol', `${describeClose(end.code ?? 0, end.reason)}; gave up after ${this.protocolCloses} such closes in a row`, { retryable: false });
        }
      } else if (err === undefined || err.code !== 'protocol') {
        this.protocolCloses = 0;
      }
      if (err && !err.retryable) return this.fail(err);
      const reason = err?.message ?? end.said ?? this.opts.describe?.(end) ?? describeClose(end.code ?? 1006, end.reason);
      if (err && !this.told) {
        this.told = true;
        this.error(err);
      }
      let delay: number;
      if (this.kicked) {
        delay = 0;
        this.backoff.reset();
      } else {
        delay = this.backoff.nextDelay();
        if (protocolClose) delay = Math.max(delay, this.backoff.cap);
        if (end.floorMs !== undefined) delay = Math.max(delay, end.floorMs);
      }
      this.kicked = false;
      this.state = 'reconnecting';
      this.event({ state: 'reconnecting', reason, retryAt: new Date(Date.now() + delay).toISOString() });
      await this.wait.wait(delay);
    }
  }

  private fail(err: ChatError): void {
    this.state = 'failed';
    this.failure = err;
    this.error(err);
    this.event({ state: 'failed', reason: err.message });
    this.readyOnce.reject(err);
    this.opts.onFailed?.(err);
  }

  /** One attempt: opens a connection and resolves with how it ended. */
  private attempt(): Promise<LinkEnd> {
    const ctl = new AbortController();
    this.attemptCtl = ctl;
    this.attempts++;
    return new Promise<LinkEnd>((resolve) => {
      let ended = false;
      let liveness: Liveness | undefined;
      let dead: string | undefined;
      const attempt: LinkAttempt = {
        number: this.attempts,
        signal: ctl.signal,
        up: () => {
          if (ended || this.stopped || this.state === 'connected') return;
          const again = this.everUp;
          this.everUp = true;
          this.told = false;
          this.kicked = false; // a reconnect now asked before this connection was up is done
          this.state = 'connected';
          this.upSince = Date.now();
          this.backoff.succeeded();
          this.event({ state: 'connected' });
          this.readyOnce.resolve();
          this.opts.onUp?.(again);
        },
        alive: () => liveness?.alive(),
        watch: () => {
          if (ended || !this.opts.liveness || liveness) return;
          liveness = new Liveness(
            this.opts.liveness,
            (reason) => {
              dead = reason;
              this.conn?.terminate();
            },
            () => this.conn?.ping?.(),
          );
          liveness.start();
        },
        end: (e) => {
          if (ended) return;
          ended = true;
          liveness?.stop();
          ctl.abort();
          if (this.attemptCtl === ctl) this.attemptCtl = undefined;
          this.conn = undefined;
          // A dropped dead connection closes with 1006: say why it was dropped instead.
          resolve(dead !== undefined && !e.error ? { ...e, said: dead } : e);
        },
      };
      const opened = (conn: LinkConnection): void => {
        if (ended) return;
        this.conn = conn;
        if (this.stopped) conn.close();
      };
      try {
        const c = this.opts.open(attempt);
        if (c instanceof Promise) c.then(opened, (err: unknown) => attempt.end({ error: toChatError(err) }));
        else opened(c);
      } catch (err) {
        attempt.end({ error: toChatError(err) });
      }
    });
  }
}
