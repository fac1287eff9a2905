import { toChatError } from '../../core/errors.js';
import type { ChatPage, Msg } from './pages.js';
import { compareIds } from './wire.js';

/**
 * One channel's message stream across (re)subscriptions (facts §9 "Backfill": after every
 * (re)subscribe, fetch `chatMessages(last: N)` and merge by id; buffer live pushes until the backfill
 * is in, and print each id once). Ids are increasing integers (facts §6), so the newest id emitted is
 * the anchor a backfill reads back to.
 */

/** Ids remembered for exactly-once delivery (the oldest forgotten first). */
const SEEN_LIMIT = 10_000;
/** Most live pushes held during one backfill. */
const HELD_LIMIT = 50_000;

/** Settings of a backfill. */
export interface BackfillOptions {
  /** Reads one page: the last `last` messages before cursor `before` (the newest without). */
  page(last: number, before: string | undefined): Promise<ChatPage>;
  /** Messages per page and most pages read back to the anchor. */
  pageSize: number;
  maxPages: number;
  /** False once the subscription this backfill belongs to is stale (a newer join, the session stopped). */
  current(): boolean;
  /** Messages may have been missed here (a `gap` event). */
  gap(): void;
  /** The backfill failed with this message (told to the user). */
  failed(message: string): void;
}

/** Exactly-once delivery and backfill of one channel. */
export class RoomStream {
  /** Highest message id emitted (or the baseline), where a backfill starts. */
  anchor: string | undefined;
  private readonly seen = new Set<string>();
  /** Live pushes held while a backfill runs; undefined when not holding. */
  private held: Msg[] | undefined;

  /** `deliver` emits one new message. */
  constructor(private readonly deliver: (m: Msg) => void) {}

  /** Starts holding live pushes (before a subscribe); pushes held by an interrupted backfill stay. */
  hold(): void {
    this.held ??= [];
  }

  /** A live push: held during a backfill, else delivered once. */
  live(m: Msg): void {
    if (this.held) {
      if (this.held.length < HELD_LIMIT) this.held.push(m);
      return;
    }
    this.emit(m);
  }

  /**
   * After a (re)subscribe: the first time, remember the newest message as the baseline (nothing
   * emitted); later, read pages backwards until the anchor and emit what was missed, oldest first, then
   * the held live pushes — each id once, in order. A `gap` when the anchor was not reached.
   */
  async backfill(o: BackfillOptions): Promise<void> {
    const anchor = this.anchor;
    const collected: Msg[] = [];
    let reached = false;
    let complete = false;
    try {
      let before: string | undefined;
      for (let i = 0; i < o.maxPages; i++) {
        const page = await o.page(anchor === undefined ? 1 : o.pageSize, before);
        // The baseline counts even when a newer join interrupts us: the next backfill starts from it.
        if (anchor === undefined && this.anchor === undefined) this.anchor = page.messages.at(-1)?.id ?? '0';
        if (!o.current()) return;
        collected.unshift(...page.messages);
        if (anchor === undefined) break;
        if (page.messages.some((m) => compareIds(m.id, anchor) <= 0)) {
          reached = true;
          break;
        }
        if (!page.hasPrevious || !page.startCursor) {
          complete = true;
          break;
        }
        before = page.startCursor;
      }
    } catch (err) {
      if (!o.current()) return;
      o.failed(toChatError(err).message);
      if (anchor !== undefined) o.gap();
      this.flush();
      return;
    }
    if (anchor === undefined) {
      const last = collected.at(-1);
      if (last && (this.anchor === undefined || compareIds(last.id, this.anchor) > 0)) this.anchor = last.id;
      this.anchor ??= '0';
    } else {
      if (!reached && !complete) o.gap();
      for (const m of collected) if (compareIds(m.id, anchor) > 0) this.emit(m);
    }
    this.flush();
  }

  /** Emits a message once per id and moves the anchor. */
  private emit(m: Msg): void {
    if (this.seen.has(m.id)) return;
    this.seen.add(m.id);
    if (this.seen.size > SEEN_LIMIT) {
      const oldest = this.seen.values().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
    if (this.anchor === undefined || compareIds(m.id, this.anchor) > 0) this.anchor = m.id;
    this.deliver(m);
  }

  private flush(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const m of held) this.emit(m);
  }
}
