import type { RoomInfo } from '../../core/connector.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent } from '../../core/events.js';
import { sanitizeLine } from '../../core/sanitize.js';

/**
 * The rooms a chatapi session knows: what the server listed (names, topics), which profile
 * references (`--room general`) stand for which room id, and which were parted or matched nothing.
 * `list` is the protocol's own room listing; a renamed open room is said as a `room` event.
 */
export class RoomBook {
  readonly info = new Map<string, RoomInfo>();
  /** Profile room references given by name → room id. */
  readonly alias = new Map<string, string>();
  /** Profile room names that matched no room (not listed by `rooms()`). */
  readonly missing = new Set<string>();
  /** Rooms closed with `partRoom` (no longer listed by `rooms()`). */
  readonly parted = new Set<string>();

  constructor(
    private readonly list: () => Promise<RoomInfo[]>,
    private readonly emit: (ev: ConnectorEvent) => void,
    /** Whether a reference is a room id as it is (not looked up by name). */
    private readonly isId: (ref: string) => boolean,
  ) {}

  /** The server's list; learns names and says renames of known rooms. Throws what `list` throws. */
  async refresh(): Promise<RoomInfo[]> {
    const list = await this.list();
    for (const r of list) {
      const known = this.info.get(r.id);
      this.info.set(r.id, r);
      if (known && (known.name !== r.name || known.topic !== r.topic)) {
        const ev: ConnectorEvent = { type: 'room', room: r.id, name: r.name };
        if (r.topic) ev.topic = r.topic;
        this.emit(ev);
      }
    }
    return list;
  }

  /** A known room by id or name (case-insensitive, a leading `#` ignored). */
  find(ref: string): RoomInfo | undefined {
    const want = ref.replace(/^#/, '').toLowerCase();
    return this.info.get(ref) ?? [...this.info.values()].find((r) => r.id.toLowerCase() === want || r.name.toLowerCase() === want);
  }

  /**
   * A room by id or name: known rooms, then the server's list; a reference that is an id (`isId`) is
   * taken as is. Throws ChatError not_found (or the listing's error when it failed for another reason).
   */
  async resolve(ref: string): Promise<RoomInfo> {
    let hit = this.find(ref);
    if (hit) return hit;
    let listErr: ChatError | undefined;
    try {
      await this.refresh();
    } catch (err) {
      listErr = toChatError(err);
    }
    hit = this.find(ref);
    if (hit) return hit;
    if (this.isId(ref)) return { id: ref, name: ref };
    if (listErr && listErr.code !== 'not_found') throw listErr;
    throw noRoomNamed(ref);
  }

  /**
   * The room ids of profile references: ids as they are, names through the list (an unknown name is
   * remembered as missing and its error returned in `failures`). Throws when the list is refused (auth).
   */
  async resolveAll(refs: string[]): Promise<{ rooms: string[]; failures: ChatError[] }> {
    const rooms: string[] = [];
    const failures: ChatError[] = [];
    let listErr: ChatError | undefined;
    if (refs.some((r) => !this.isId(r))) {
      try {
        await this.refresh();
      } catch (err) {
        listErr = toChatError(err);
        if (listErr.code === 'auth' || listErr.code === 'forbidden') throw listErr;
      }
    }
    for (const ref of refs) {
      if (this.isId(ref) || listErr) {
        rooms.push(ref);
        continue;
      }
      const hit = this.find(ref);
      if (hit) {
        this.alias.set(ref, hit.id);
        rooms.push(hit.id);
      } else {
        this.missing.add(ref);
        failures.push(noRoomNamed(ref));
      }
    }
    for (const r of rooms) if (!this.info.has(r)) this.info.set(r, { id: r, name: r });
    return { rooms: [...new Set(rooms)], failures };
  }

  /** The session's rooms: the profile's (resolved) and the open ones, less parted and missing. */
  rooms(profileRooms: string[], open: Iterable<string>): RoomInfo[] {
    const ids = new Set([...profileRooms.map((r) => this.alias.get(r) ?? r), ...open]);
    for (const p of [...this.parted, ...this.missing]) ids.delete(p);
    return [...ids].map((id) => this.info.get(id) ?? { id, name: id });
  }
}

/** The error of a room name that matches no room. */
export function noRoomNamed(ref: string): ChatError {
  return new ChatError('not_found', `no room named "${sanitizeLine(ref).slice(0, 80)}"`, { retryable: false });
}
