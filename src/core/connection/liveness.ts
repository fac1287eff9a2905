/**
 * A liveness deadline for one open connection: `alive()` on every sign of life (a frame, a pong, a
 * server ping); when none came for `idleMs`, `onDead(reason)` is called once. With `pingEveryMs` and a
 * `ping` callback it also sends the protocol's heartbeat on that interval (the protocol decides what a
 * heartbeat is: an app-level frame, a WebSocket ping). All times in ms.
 */
export interface LivenessOptions {
  /** No sign of life for this long → dead. */
  idleMs: number;
  /** Send a heartbeat this often (omit for protocols where the server pings us). */
  pingEveryMs?: number;
  /** The reason said when the deadline passes (default `no frames for N s`). */
  reason?: string;
}

/**
 * One connection's deadline; `stop()` when the connection ends. `alive()` is called for every frame of
 * a flood, so it only sets a flag; a check every quarter of `idleMs` looks at it (the connection is
 * declared dead between `idleMs` and 1.25 × `idleMs` after its last sign of life).
 */
export class Liveness {
  private check: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private seen = true;
  private quietMs = 0;

  constructor(
    private readonly opts: LivenessOptions,
    private readonly onDead: (reason: string) => void,
    private readonly ping?: () => void,
  ) {}

  /** Arms the deadline (and the heartbeat) once the connection is open. */
  start(): void {
    if (this.stopped || this.check) return;
    const tick = Math.max(1, Math.floor(this.opts.idleMs / 4));
    this.check = setInterval(() => {
      if (this.seen) {
        this.seen = false;
        this.quietMs = 0;
        return;
      }
      this.quietMs += tick;
      if (this.quietMs < this.opts.idleMs) return;
      this.stop();
      this.onDead(this.opts.reason ?? `no frames for ${Math.round(this.opts.idleMs / 1000)} s`);
    }, tick);
    if (this.opts.pingEveryMs !== undefined && this.ping) {
      const ping = this.ping;
      this.heartbeat = setInterval(() => {
        try {
          ping();
        } catch {
          // a send on a closing socket: the deadline decides
        }
      }, this.opts.pingEveryMs);
    }
  }

  /** A sign of life (cheap: a flag). */
  alive(): void {
    this.seen = true;
  }

  /** Stops the deadline and the heartbeat for good. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.check);
    clearInterval(this.heartbeat);
  }
}
