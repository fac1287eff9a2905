import type { RoomInfo } from '../../core/connector.js';
import type { NoticeThrottle } from '../../core/connection/index.js';
import { ChatError, toChatError } from '../../core/errors.js';
import type { ConnectorEvent, UserRef } from '../../core/events.js';
import { sanitizeLine } from '../../core/sanitize.js';
import type { RoomsAccount } from './account.js';
import { errorFromAnswer, post } from './http.js';
import { fallbackRoomName, isRoomNumber, readRoomInfo } from './wire.js';

/**
 * The rooms a rooms session knows (facts A1: there is no list endpoint; rooms are found in retrieve
 * answers and live messages, plus the profile's `--room`s) and their names from
 * `POST /chat/room_info` (facts A5; a null name becomes the other occupants' names). Also which rooms
 * the profile follows: one socket carries every room of the account (facts A4), so following is a
 * filter on what is emitted and listed. And the one room the API creates: a DM (`/chat/create_dm`).
 */

/** What we know of a room. */
export interface RoomRecord {
  id: string;
  name: string;
  members?: UserRef[];
  /** room_info: not asked yet, asked, answered, or refused (404: not ours / no such room). */
  info: 'none' | 'pending' | 'done' | 'missing';
  /** The room came from the profile's `--room`, not from a message. */
  fromProfile: boolean;
}

/** How many room_info requests run at once. */
const ROOM_INFO_PARALLEL = 8;

/** The room directory of one session. */
export class RoomDirectory {
  readonly map = new Map<string, RoomRecord>();
  /** The rooms the profile names (ids, or names in lower case), or undefined for "every room". */
  private readonly follow: Set<string> | undefined;

  constructor(
    profileRooms: string[],
    private readonly account: RoomsAccount,
    private readonly emit: (ev: ConnectorEvent) => void,
    private readonly notices: NoticeThrottle,
    private readonly timeout: { timeoutMs?: number },
  ) {
    const follow = new Set<string>();
    for (const r of profileRooms) {
      const t = r.trim();
      if (isRoomNumber(t)) {
        this.add(String(Number(t)), true);
        follow.add(String(Number(t)));
      } else if (t) follow.add(t.toLowerCase());
    }
    this.follow = follow.size ? follow : undefined;
  }

  /** Whether `room` is one the session follows: every room, or those the profile names (by id or name). */
  follows(room: string): boolean {
    if (!this.follow || this.follow.has(room)) return true;
    const name = this.map.get(room)?.name;
    return name !== undefined && this.follow.has(name.toLowerCase());
  }

  /** Adds a room we learned of (not yet named). */
  add(id: string, fromProfile: boolean): RoomRecord {
    let r = this.map.get(id);
    if (!r) {
      r = { id, name: `room ${id}`, info: 'none', fromProfile };
      this.map.set(id, r);
    }
    return r;
  }

  /** The rooms that pass `keep`, by id, as RoomInfo. */
  list(keep: (r: RoomRecord) => boolean): RoomInfo[] {
    return [...this.map.values()]
      .filter(keep)
      .sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id))
      .map((r) => {
        const info: RoomInfo = { id: r.id, name: r.name };
        if (r.members) info.members = r.members;
        return info;
      });
  }

  /**
   * Names every room not asked about yet, a few at a time, and emits a `room` event for each (name,
   * occupants as members). Never throws (failures keep the fallback name; asked again next time).
   */
  async nameAll(signal: AbortSignal): Promise<void> {
    const todo = [...this.map.values()].filter((r) => r.info === 'none');
    for (const r of todo) r.info = 'pending';
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < todo.length) {
        const r = todo[next++];
        if (!r) break;
        await this.name(r, signal);
      }
    };
    await Promise.all(Array.from({ length: Math.min(ROOM_INFO_PARALLEL, todo.length) }, worker));
  }

  /** `POST /chat/room_info {"room_id": "<id>"}` (facts A5) for one room; a 404 keeps `room <id>` and says so once for a profile room. */
  async name(r: RoomRecord, signal: AbortSignal): Promise<void> {
    try {
      const answer = await post(this.account.base, '/chat/room_info', 'rooms (/chat/room_info)', {
        token: this.account.token,
        body: { room_id: r.id }, // a JSON string: a number is a 400 (facts A5)
        signal,
        ...this.timeout,
      });
      if (answer.status === 404) {
        r.info = 'missing';
        if (r.fromProfile) this.notices.notice(`missing-${r.id}`, `rooms: room ${r.id} was not found, or you are not one of its occupants`, r.id);
        this.emitRoom({ type: 'room', room: r.id, name: r.name });
        return;
      }
      if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer, 'rooms (/chat/room_info)');
      const info = readRoomInfo(answer.json);
      if (!info) throw new ChatError('protocol', 'rooms: /chat/room_info answered something else');
      const members = info.occupants.map((id) => this.account.userRef(id));
      const me = this.account.me();
      const others = members.filter((u) => !me || u.id !== me.id);
      const name = info.name !== null ? sanitizeLine(info.name).trim().slice(0, 200) : '';
      r.name = name || fallbackRoomName(r.id, others);
      r.members = members;
      r.info = 'done';
      this.emitRoom({ type: 'room', room: r.id, name: r.name, members });
    } catch (err) {
      r.info = 'none'; // ask again later
      if (!signal.aborted) this.notices.notice('room-info', `rooms: could not name room ${r.id}: ${toChatError(err).message}`);
      this.emitRoom({ type: 'room', room: r.id, name: r.name });
    }
  }

  /**
   * A room by reference: a numeric id (known, or confirmed with room_info: 404 → not_found), or the name
   * of a known room (case-insensitive). Throws ChatError not_found.
   */
  async resolve(ref: string, signal: AbortSignal): Promise<RoomInfo> {
    const t = ref.trim();
    if (isRoomNumber(t)) {
      const id = String(Number(t));
      const known = this.map.get(id);
      if (known && known.info !== 'missing' && known.info !== 'none') return { id, name: known.name };
      const r = this.add(id, false);
      if (r.info !== 'pending') await this.name(r, signal);
      if (r.info === 'missing') throw notOurs(id);
      return { id, name: r.name };
    }
    const lower = t.toLowerCase();
    const byName = [...this.map.values()].find((r) => r.name.toLowerCase() === lower);
    if (byName) return { id: byName.id, name: byName.name };
    throw new ChatError('not_found', `rooms: no room named "${sanitizeLine(ref).slice(0, 60)}" among the rooms found so far (use the room id)`, { retryable: false });
  }

  /**
   * Starts a DM with `user` (a user id, or a name from the profile's aliases) with
   * `POST /chat/create_dm {"other": id}` (facts A5). The answer is empty: the new room's id is not given,
   * so the returned notice says it appears once its first message is posted. Throws ChatError not_found
   * on 404 (`USER_NOT_FOUND`, or the doc's `NOT_FOUND`), protocol for a DM with ourselves (the server
   * answers that with a 500), auth/network otherwise.
   */
  async createDm(user: string, signal: AbortSignal): Promise<string> {
    const ref = user.trim();
    if (!ref) throw new ChatError('not_found', 'rooms: no user given', { retryable: false });
    const lower = ref.toLowerCase();
    const byAlias = Object.entries(this.account.aliases).find(([, name]) => name.toLowerCase() === lower)?.[0];
    const other = byAlias ?? ref.replace(/^@/, '');
    if (this.account.me()?.id === other) throw new ChatError('protocol', 'rooms: a DM needs another user (that id is yours)', { retryable: false });
    const answer = await post(this.account.base, '/chat/create_dm', 'rooms (/chat/create_dm)', { token: this.account.token, body: { other }, signal, ...this.timeout });
    if (answer.status === 404) {
      throw new ChatError('not_found', `rooms: no user "${sanitizeLine(other).slice(0, 60)}" on the server (users are named by their id, e.g. a UPI)`, { retryable: false });
    }
    if (answer.status < 200 || answer.status >= 300) throw errorFromAnswer(answer, 'rooms (/chat/create_dm)');
    const who = this.account.nameOf(other);
    return `DM with ${who === other ? sanitizeLine(other) : `${who} (${sanitizeLine(other)})`} created; the server does not say the new room's id, so it appears here with its first message`;
  }

  /** Emits a `room` event for a followed room. */
  private emitRoom(ev: Extract<ConnectorEvent, { type: 'room' }>): void {
    if (this.follows(ev.room)) this.emit(ev);
  }
}

/** The error for a room room_info refused. */
export function notOurs(id: string): ChatError {
  return new ChatError('not_found', `rooms: room ${id} was not found, or you are not one of its occupants`, { retryable: false });
}
