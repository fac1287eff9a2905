import { ChatError } from '../errors.js';
import type { ConnectorEvent } from '../events.js';

/**
 * The emit guard between a connector and the runtime: events after `close()` are dropped (the
 * `disconnect()` contract: no events after it resolves), and a listener that throws never breaks a
 * socket loop. It also keeps the session's one `connect()` (`connectOnce`).
 */
export class SafeEmitter {
  private isClosed = false;

  /** `sink` is the runtime's `ctx.emit`. */
  constructor(private readonly sink: (ev: ConnectorEvent) => void) {}

  /** Delivers `ev` unless closed; a throwing listener is ignored. */
  emit(ev: ConnectorEvent): void {
    if (this.isClosed) return;
    try {
      this.sink(ev);
    } catch {
      // the listener's failure is not the connection's
    }
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * The `connect(signal)` of a session, once: rejects (ChatError network) after `close()` or when the
   * signal is already aborted; the signal's abort calls `disconnect`; `start` runs on the first call
   * and every call returns its promise.
   */
  connectOnce(signal: AbortSignal, disconnect: () => Promise<void>, start: () => Promise<void>): Promise<void> {
    if (this.isClosed) return Promise.reject(new ChatError('network', 'the session was closed'));
    if (this.starting) return this.starting;
    if (signal.aborted) return Promise.reject(new ChatError('network', 'cancelled'));
    signal.addEventListener('abort', () => void disconnect(), { once: true });
    this.starting = start();
    return this.starting;
  }

  private starting: Promise<void> | undefined;

  /**
   * The end of a session's `disconnect()`, after its links were stopped: no more events, `abort`
   * aborts the session's requests, every send still waiting fails (ChatError network, `reason`), and
   * the promise resolves after a moment for the close frames to go out (a link drops a socket that does
   * not finish its close within 1 s).
   */
  async close(abort?: AbortController, pending?: { failAll(err: ChatError): void }, reason = 'disconnected'): Promise<void> {
    this.isClosed = true;
    abort?.abort();
    pending?.failAll(new ChatError('network', reason));
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Runs the handler of one remote frame: a frame the client cannot handle (a bug, a shape no parser
 * foresaw) never crashes the app or the socket — `onCrash` is called instead (usually a throttled
 * notice). `onCrash` itself must not throw.
 */
export function guardFrame(handle: () => void, onCrash: (err: unknown) => void): void {
  try {
    handle();
  } catch (err) {
    onCrash(err);
  }
}
