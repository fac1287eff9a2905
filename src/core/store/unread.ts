import type { RoomState, StoredMessage } from '../state.js';
import type { StoreCore } from './core.js';

/**
 * Unread and mention counts and the "new messages" marker (`firstUnread`). A message counts when it
 * arrives live in a room the user does not look at and is not ours; history pages never count.
 */

/**
 * Marks `key` as the room the user looks at: its unread and mention counts go to 0; its
 * `firstUnread` marker is kept (the UI draws "new messages" there). The room being left gets
 * `firstUnread = -1` (everything in it has been seen). `undefined` = no room is active.
 */
export function setActiveRoom(s: StoreCore, key: string | undefined): void {
  const prev = s.activeRoom;
  if (prev === key) {
    if (key !== undefined) markRead(s, key);
    return;
  }
  s.activeRoom = key;
  if (prev !== undefined) {
    const r = s.roomMap.get(prev);
    if (r && (r.st.firstUnread !== -1 || r.st.unread || r.st.mentions)) s.touch(r, { firstUnread: -1, unread: 0, mentions: 0 });
  }
  if (key !== undefined) markRead(s, key);
  s.changed();
}

function markRead(s: StoreCore, key: string): void {
  const r = s.roomMap.get(key);
  if (r && (r.st.unread || r.st.mentions)) s.touch(r, { unread: 0, mentions: 0 });
}

/** Counts a live message `m`, stored at `idx`, on the room state the caller owns (unless it is ours or the room is active). */
export function countArrival(s: StoreCore, st: RoomState, m: StoredMessage, idx: number, isOwn: boolean): void {
  if (isOwn || s.activeRoom === st.key || m.kind === 'gap') return;
  st.unread++;
  if (m.mention) st.mentions++;
  if (st.firstUnread < 0 || idx < st.firstUnread) st.firstUnread = idx;
}
