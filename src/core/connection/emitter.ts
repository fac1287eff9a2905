import type { ConnectorEvent } from '../events.js';

/**
 * The emit guard between a connector and the runtime: events after `close()` are dropped (the
 * `disconnect()` contract: no events after it resolves), and a listener that throws never breaks a
 * socket loop.
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

  /** No more events from now on. */
  close(): void {
    this.isClosed = true;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.isClosed;
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
