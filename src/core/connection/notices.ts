/**
 * Throttled notices: a remote peer that sends a malformed frame 10,000 times a second must cost the
 * user one line every few seconds, not 10,000. One notice per (room, kind) at most every `everyMs`;
 * the ones held back are counted and said with the next ("… (and 12 more like it)").
 */
export class NoticeThrottle {
  private readonly last = new Map<string, { at: number; skipped: number }>();

  /**
   * `say(text, room)` delivers a notice (usually a `notice` event); `everyMs` is the least time between
   * two notices of one kind in one room (default 10 s); `now` is the clock in ms (tests).
   */
  constructor(
    private readonly say: (text: string, room: string | undefined) => void,
    private readonly everyMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Says `text` unless a notice of `kind` for `room` was said less than `everyMs` ago. */
  notice(kind: string, text: string, room?: string): void {
    const key = `${room ?? ''}\u0000${kind}`;
    const now = this.now();
    const last = this.last.get(key);
    if (last && now - last.at < this.everyMs) {
      last.skipped++;
      return;
    }
    const more = last?.skipped ? ` (and ${last.skipped} more like it)` : '';
    this.last.set(key, { at: now, skipped: 0 });
    if (this.last.size > 1000) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined && oldest !== key) this.last.delete(oldest);
    }
    this.say(`${text}${more}`, room);
  }
}
