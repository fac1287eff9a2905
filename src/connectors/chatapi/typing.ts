/**
 * Debounced typing indicator of Doc B ("Send Typing Indicator", its example client): `true` on input
 * sends `typing {is_typing: true}` at once and again at most every `idleMs` while input continues;
 * `false` after `idleMs` without input, on send, or when asked. One state per room; all times in ms.
 */
export class TypingDebounce {
  private readonly rooms = new Map<string, { on: boolean; sentAt: number; timer: NodeJS.Timeout | undefined }>();

  /** `send(room, on)` puts the frame on the room's socket; returns false when the socket is not open. */
  constructor(
    private readonly idleMs: number,
    private readonly send: (room: string, on: boolean) => boolean,
  ) {}

  /** Input in `room` (`true`), or typing stopped (`false`). */
  set(room: string, typing: boolean): void {
    let st = this.rooms.get(room);
    if (!typing) {
      if (!st) return;
      clearTimeout(st.timer);
      if (st.on) this.send(room, false);
      this.rooms.delete(room);
      return;
    }
    const now = Date.now();
    if (!st) st = { on: false, sentAt: 0, timer: undefined };
    if (!st.on || now - st.sentAt >= this.idleMs) {
      if (!this.send(room, true)) return;
      st.on = true;
      st.sentAt = now;
    }
    this.rooms.set(room, st);
    clearTimeout(st.timer);
    st.timer = setTimeout(() => this.set(room, false), this.idleMs);
  }

  /** Forgets a room's state without a frame (its socket ended: the server drops the state with it). */
  reset(room: string): void {
    const st = this.rooms.get(room);
    if (!st) return;
    clearTimeout(st.timer);
    this.rooms.delete(room);
  }

  /** Forgets every room (disconnect). */
  clear(): void {
    for (const st of this.rooms.values()) clearTimeout(st.timer);
    this.rooms.clear();
  }
}
