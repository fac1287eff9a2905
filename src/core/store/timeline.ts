import type { StoredMessage } from '../state.js';
import type { RoomEntry, StoreCore } from './core.js';
import { compareMessages, lowerBound } from './order.js';

/**
 * A room's timeline: the sorted, id-unique message array and its index. Inserting, replacing and
 * removing keep `firstUnread` on the message it points at; the scrollback limit drops the oldest.
 * The array is mutated in place (shared by old and new RoomState wrappers: readers compare the
 * room or its version, never `room.messages`).
 */

/** Inserts by binary search (fast path: append). Returns the index. Keeps `firstUnread` pointing at its message. */
export function insert(s: StoreCore, r: RoomEntry, m: StoredMessage): number {
  const arr = r.messages;
  let idx: number;
  const last = arr[arr.length - 1];
  if (!last || compareMessages(last, m) < 0) {
    idx = arr.length;
    arr.push(m);
  } else {
    idx = lowerBound(arr, m);
    arr.splice(idx, 0, m);
    if (r.st.firstUnread >= 0 && idx <= r.st.firstUnread) s.touch(r, { firstUnread: r.st.firstUnread + 1 });
  }
  r.byId.set(m.id, m);
  return idx;
}

/** Index of a stored message (binary search by its (ts, id)); -1 when absent. */
export function indexOf(r: RoomEntry, m: StoredMessage): number {
  const i = lowerBound(r.messages, m);
  return r.messages[i]?.id === m.id ? i : r.messages.indexOf(m);
}

/** Removes a stored message from the array and the index. */
export function removeAt(s: StoreCore, r: RoomEntry, m: StoredMessage): void {
  const i = indexOf(r, m);
  if (i >= 0) {
    r.messages.splice(i, 1);
    const fu = r.st.firstUnread;
    if (fu >= 0 && i < fu) s.touch(r, { firstUnread: fu - 1 });
    else if (fu >= 0 && fu >= r.messages.length) s.touch(r, { firstUnread: r.messages.length ? r.messages.length - 1 : -1 });
  }
  if (r.byId.get(m.id) === m) r.byId.delete(m.id);
}

/** Puts `next` in the place of `old` (same slot when the order key is unchanged, else moves it). */
export function replaceMessage(s: StoreCore, r: RoomEntry, old: StoredMessage, next: StoredMessage): void {
  const i = indexOf(r, old);
  if (old.id !== next.id && r.byId.get(old.id) === old) r.byId.delete(old.id);
  if (i >= 0 && old.ts === next.ts && old.id === next.id) {
    r.messages[i] = next;
    r.byId.set(next.id, next);
    return;
  }
  // The order key changed (echo → server copy): remove and re-insert, keeping firstUnread on its message.
  const fu = r.st.firstUnread;
  const fuMsg = fu >= 0 ? r.messages[fu] : undefined;
  if (i >= 0) r.messages.splice(i, 1);
  const j = lowerBound(r.messages, next);
  r.messages.splice(j, 0, next);
  r.byId.set(next.id, next);
  if (fuMsg) {
    const target = fuMsg === old ? next : fuMsg;
    const k = indexOf(r, target);
    if (k !== fu) s.touch(r, { firstUnread: k });
  }
}

/** Enforces the scrollback limit: drops the oldest (in chunks), marks more history on the server. */
export function trim(s: StoreCore, r: RoomEntry): void {
  const arr = r.messages;
  if (arr.length <= s.scrollbackLimit + s.trimSlack) return;
  const drop = arr.length - s.scrollbackLimit;
  const dropped = arr.splice(0, drop);
  for (const m of dropped) {
    if (r.byId.get(m.id) === m) r.byId.delete(m.id);
    if (m.txnId !== undefined && r.txns.get(m.txnId) === m.id) {
      r.txns.delete(m.txnId);
      s.txnRoom.delete(m.txnId);
    }
  }
  r.trimmed = true;
  const fu = r.st.firstUnread;
  s.touch(r, { hasMoreHistory: s.capabilitiesOf(r).history, firstUnread: fu < 0 ? -1 : Math.max(0, fu - drop) });
}

/** Drops the loaded messages of a room from memory (pending/failed echoes stay); counters go to 0. */
export function clearRoom(s: StoreCore, key: string): void {
  const r = s.roomMap.get(key);
  if (!r) return;
  const keep = r.messages.filter((m) => m.status !== 'sent' && m.kind !== 'gap');
  r.messages.length = 0;
  r.byId.clear();
  for (const m of keep) {
    r.messages.push(m);
    r.byId.set(m.id, m);
  }
  s.touch(r, { unread: 0, mentions: 0, firstUnread: -1, hasMoreHistory: s.capabilitiesOf(r).history });
}
