import { BoundedSet } from './bounded-set.js';
import { pageBack, type PageBackOptions } from './paging.js';

/**
 * The catch-up of one message stream (a room's socket, or a whole account's): every message is
 * delivered once (a bounded id set), live messages that arrive while the stream reads back what was
 * missed are held and merged after it (by id, in order), and a `gap` is said when the missed messages
 * cannot be read (the service keeps no history, the read failed, or did not reach back far enough).
 * The stream remembers its anchor: the newest message delivered, where the next catch-up starts.
 */

/** A message as a stream sees it: an id, and a time (ISO UTC) for ordering anchors. */
export interface StreamMessage {
  id: string;
  time: string;
}

/** What one read of missed messages gave: the messages after the anchor (oldest first); `reached` when nothing between the anchor and them is missing. */
export interface MissedMessages<M> {
  messages: M[];
  reached: boolean;
  /** With no anchor known: the newest message the server has, the anchor from now on (nothing is delivered). */
  baseline?: M;
}

/** Reads the messages missed since `anchor` (undefined: no anchor known). Throwing means "could not read": a gap. */
export type ReadMissed<M> = (anchor: M | 'start' | undefined, signal: AbortSignal) => Promise<MissedMessages<M>>;

/** Settings of a stream. */
export interface CatchUpOptions<M extends StreamMessage> {
  /** Delivers one new message (the connector emits it, with its own side effects). */
  deliver(m: M): void;
  /** Says that messages may have been missed (a `gap` event). */
  gap(): void;
  /** Says why a catch-up failed (a throttled notice); `err` is what the read threw. */
  failed(message: string, err: unknown): void;
  /** How many ids are remembered for exactly-once (default 20,000; see BoundedSet). */
  seenLimit?: number;
  /** Most live messages held during one catch-up (default 20,000); `live()` returns false beyond it. */
  maxHeld?: number;
  /** Whether `m` may become the anchor over `anchor` (undefined: none yet, or 'start'); default: none yet, or `m.time >= anchor.time`. */
  newer?(m: M, anchor: M | undefined): boolean;
  /** Order of the merged catch-up output (default: read messages first, then the held ones as they came). */
  order?(a: M, b: M): number;
  /**
   * A read that fails is a gap, and the held messages are delivered (default true). False for a service
   * whose history is exact (read after an id): the held messages are dropped, nothing moves, and the
   * caller reconnects to read again from the same anchor (`catchUp` resolves `'failed'`).
   */
  gapOnFailure?: boolean;
}

/** How a catch-up ended: delivered, failed (see `gapOnFailure`), or overtaken by `drop()` or a newer one. */
export type CatchUpResult = 'done' | 'failed' | 'stale';

/** One stream's exactly-once delivery and catch-up. */
export class CatchUp<M extends StreamMessage> {
  /** Ids delivered (or known to the server before we started). */
  readonly seen: BoundedSet;
  /** Where the next catch-up starts: the newest message delivered, 'start' (the history was empty), or unknown. */
  anchor: M | 'start' | undefined;
  private held: M[] | undefined;
  private run = 0;

  constructor(private readonly opts: CatchUpOptions<M>) {
    this.seen = new BoundedSet(opts.seenLimit ?? 20_000);
  }

  /** Whether a catch-up is holding live messages now. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /**
   * A live message: held during a catch-up, else delivered once. Returns false when the hold is full
   * (the caller drops the connection; the next catch-up reads those messages from the server).
   */
  live(m: M): boolean {
    if (this.held) {
      if (this.held.length >= (this.opts.maxHeld ?? 20_000)) return false;
      this.held.push(m);
      return true;
    }
    this.deliver(m);
    return true;
  }

  /** Delivers `m` unless its id was delivered already; moves the anchor. Returns whether it was new. */
  deliver(m: M): boolean {
    if (!this.seen.add(m.id)) return false;
    this.advance(m);
    this.opts.deliver(m);
    return true;
  }

  /** Moves the anchor to `m` when it is newer (also for messages known but not delivered: a baseline). */
  advance(m: M): void {
    const a = typeof this.anchor === 'object' ? this.anchor : undefined;
    if (this.opts.newer ? this.opts.newer(m, a) : a === undefined || m.time >= a.time) this.anchor = m;
  }

  /** The first connection's baseline: the newest message the server has (or none: 'start'), unless a live message came first. */
  baseline(newest: M | undefined): void {
    if (this.anchor !== undefined) return;
    if (newest) this.advance(newest);
    else this.anchor = 'start';
  }

  /**
   * Catches up: holds live messages, reads what was missed with `read` (none: the service has no
   * history → a gap), delivers it and then the held messages, merged by id. A read that fails says
   * why and a gap (see `gapOnFailure`). A catch-up overtaken by `drop()` or a newer one delivers nothing
   * (the newer covers it). Never rejects.
   */
  async catchUp(read: ReadMissed<M> | undefined, signal: AbortSignal): Promise<CatchUpResult> {
    const run = ++this.run;
    if (!read) {
      this.opts.gap();
      return 'done';
    }
    this.held = [];
    let got: MissedMessages<M>;
    try {
      got = await read(this.anchor, signal);
    } catch (err) {
      if (run !== this.run || signal.aborted) return 'stale';
      this.opts.failed(err instanceof Error ? err.message : String(err), err);
      if (this.opts.gapOnFailure === false) {
        this.drop();
        return 'failed';
      }
      this.opts.gap();
      this.flush(run, []);
      return 'failed';
    }
    if (run !== this.run || signal.aborted) return 'stale';
    if (!got.reached) this.opts.gap();
    if (got.baseline) this.baseline(got.baseline);
    this.flush(run, got.messages);
    return 'done';
  }

  /** The connection ended: held messages are dropped (the next catch-up reads them again), a running catch-up delivers nothing. */
  drop(): void {
    this.run++;
    this.held = undefined;
  }

  private flush(run: number, read: M[]): void {
    if (run !== this.run) return;
    const held = this.held ?? [];
    this.held = undefined;
    let out = read.length === 0 ? held : held.length === 0 ? read : [...read, ...held];
    if (this.opts.order && out.length > 1) out = [...out].sort(this.opts.order);
    for (const m of out) this.deliver(m);
  }
}

/**
 * A {@link ReadMissed} for a service whose history pages back (`pageBack`): reads back to the anchor
 * and returns what follows it. An anchor not found (older than the page budget, or deleted) keeps the
 * messages at or after its time and is a gap unless the whole history was read; 'start' (the room was
 * empty) keeps everything; no anchor at all is a gap, and the newest message becomes the anchor.
 */
export function readByPaging<M extends StreamMessage>(
  page: (before: string | undefined, limit: number, signal: AbortSignal) => Promise<M[]>,
  pageSize: number,
  maxPages: number,
): ReadMissed<M> {
  return async (anchor, signal) => {
    const target = typeof anchor === 'object' ? anchor : undefined;
    const opts: PageBackOptions<M> = { page: (before, limit) => page(before, limit, signal), pageSize, maxPages };
    if (target) opts.stopAt = (p) => p.some((m) => m.id === target.id);
    const r = await pageBack(opts);
    const all = r.messages;
    if (target) {
      const at = all.findIndex((m) => m.id === target.id);
      if (at >= 0) return { messages: all.slice(at + 1), reached: true };
      return { messages: all.filter((m) => m.time >= target.time), reached: r.complete };
    }
    if (anchor === 'start') return { messages: all, reached: r.complete };
    const newest = all.at(-1);
    return newest ? { messages: [], reached: false, baseline: newest } : { messages: [], reached: false };
  };
}
