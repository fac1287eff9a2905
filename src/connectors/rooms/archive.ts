import type { MessageEvent } from '../../core/events.js';

/**
 * The messages a rooms session keeps per room for `history` (facts A5: the server's only history query
 * is "every message of every room after id N", with no room filter and no limit): oldest first by
 * numeric id, at most `limit` per room (older ones dropped, and the room marked `truncated`).
 */

/** One room's kept messages. */
export interface RoomArchive {
  items: { n: number; ev: MessageEvent }[];
  /** Older messages were dropped to stay within the limit. */
  truncated: boolean;
}

/** Kept messages of every room. */
export class MessageArchive {
  private readonly rooms = new Map<string, RoomArchive>();

  constructor(private readonly limit: number) {}

  /** Whether anything is kept. */
  get size(): number {
    return this.rooms.size;
  }

  /** A room's archive, if any. */
  get(room: string): RoomArchive | undefined {
    return this.rooms.get(room);
  }

  /** Keeps message `n` of `room` in id order (a known id is kept once). */
  remember(room: string, n: number, ev: MessageEvent): void {
    let a = this.rooms.get(room);
    if (!a) {
      a = { items: [], truncated: false };
      this.rooms.set(room, a);
    }
    const items = a.items;
    const last = items[items.length - 1];
    if (!last || last.n < n) items.push({ n, ev });
    else {
      let lo = 0;
      let hi = items.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((items[mid]?.n ?? 0) < n) lo = mid + 1;
        else hi = mid;
      }
      if (items[lo]?.n === n) return;
      items.splice(lo, 0, { n, ev });
    }
    if (items.length > this.limit) {
      items.splice(0, items.length - this.limit);
      a.truncated = true;
    }
  }
}
