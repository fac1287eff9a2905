/**
 * The one reconnect policy: exponential backoff with full jitter, used by every link
 * (src/core/connection/link.ts).
 * Attempt n (0-based) waits a uniform random time in [0, min(capMs, baseMs * 2^n)] — so the first
 * retry comes within `baseMs` (1 s) and no wait exceeds `capMs` (30 s). `succeeded()` marks a
 * connection up; once it has been up for `stableMs` (30 s), `reset()`-like behaviour applies and the
 * next failure starts again from attempt 0.
 * Tests can pass `random` (deterministic) and smaller times.
 */
export interface BackoffOptions {
  baseMs?: number;
  capMs?: number;
  stableMs?: number;
  random?: () => number;
  now?: () => number;
}

/** Backoff state for one connection. All times in milliseconds. */
export class Backoff {
  private attempt = 0;
  private upSince: number | undefined;
  private readonly baseMs: number;
  private readonly capMs: number;
  private readonly stableMs: number;
  private readonly random: () => number;
  private readonly now: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? envMs('CHAT_TUI_BACKOFF_BASE_MS', 1000);
    this.capMs = opts.capMs ?? envMs('CHAT_TUI_BACKOFF_CAP_MS', 30_000);
    this.stableMs = opts.stableMs ?? 30_000;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
  }

  /** Call when a connection is established. */
  succeeded(): void {
    this.upSince = this.now();
  }

  /**
   * Call when a connection failed or dropped; returns the delay in ms before the next attempt, a
   * whole number in [0, min(capMs, baseMs * 2^attempt)). A connection that had been up for
   * `stableMs` or more starts again from attempt 0.
   */
  nextDelay(): number {
    if (this.upSince !== undefined && this.now() - this.upSince >= this.stableMs) this.attempt = 0;
    this.upSince = undefined;
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const r = this.random();
    // An injected random outside [0, 1) must not produce a delay outside the ceiling.
    const u = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
    return Math.floor(u * ceiling);
  }

  /** Forget past failures (manual "reconnect now"). */
  reset(): void {
    this.attempt = 0;
    this.upSince = undefined;
  }

  /** The longest wait, ms (`capMs`). */
  get cap(): number {
    return this.capMs;
  }

  /** Number of consecutive failed attempts so far. */
  get attempts(): number {
    return this.attempt;
  }
}

/** A non-negative number of ms from the environment, else `fallback` (a typo must not yield NaN delays). */
function envMs(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}

/** Resolves after `ms` or rejects with the signal's reason when aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The reconnect wait of a connector's loop that "reconnect now" and disconnect can cut short.
 * `wait(ms)` resolves after `ms` milliseconds, or at once when `wake()` is called meanwhile (it never
 * rejects); `wake()` without a wait in progress does nothing.
 */
export class WakeableSleep {
  private ctl: AbortController | undefined;

  /** Waits `ms` milliseconds or until `wake()`. */
  async wait(ms: number): Promise<void> {
    const ctl = new AbortController();
    this.ctl = ctl;
    try {
      await sleep(ms, ctl.signal);
    } catch {
      // woken
    } finally {
      if (this.ctl === ctl) this.ctl = undefined;
    }
  }

  /** Whether a wait is in progress. */
  get waiting(): boolean {
    return this.ctl !== undefined;
  }

  /** Ends the wait in progress, if any. */
  wake(): void {
    this.ctl?.abort();
  }
}
