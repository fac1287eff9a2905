import type { RoomState, StoredMessage } from '../state.js';
import type { RoomEntry, StoreCore } from './core.js';
import { compareMessages } from './order.js';

/**
 * Unread and mention counts and the "new messages" marker (`firstUnread`). A message counts when it
 * arrives live in a room the user does not look at and is not ours; history pages never count —
 * except in a room with a read marker restored from an earlier run (`restoreReadMarkers`): there
 * every message after the marker counts (also those an archive or a backfill loads later) and
 * none before it does, until the user leaves the room.
 */

/** The last message the user saw in a room: its id and server time (ms since epoch), as stored. */
export interface ReadMarker {
  id: string;
  ts: number;
}

/**
 * Restores read markers of an earlier run (room key → marker): each known room's unread and
 * mention counts and `firstUnread` are recomputed from the messages after its marker, and so are
 * they after every history page of that room until the user leaves it. Unknown rooms keep the
 * marker for when they appear. Replaces markers restored before.
 */
export function restoreReadMarkers(s: StoreCore, markers: Readonly<Record<string, ReadMarker>>): void {
  for (const [key, mk] of Object.entries(markers)) {
    if (typeof mk?.id !== 'string' || !Number.isFinite(mk.ts)) continue;
    s.readMarkers.set(key, { id: mk.id, ts: mk.ts });
    const r = s.roomMap.get(key);
    if (r) applyReadMarker(s, r);
  }
  s.changed();
}

/** Recomputes the counts and `firstUnread` of `r` from its restored read marker (no-op without one). */
export function applyReadMarker(s: StoreCore, r: RoomEntry): void {
  const mk = s.readMarkers.get(r.st.key);
  if (!mk) return;
  const msgs = r.messages;
  let lo = 0;
  let hi = msgs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareMessages(msgs[mid]!, mk) <= 0) lo = mid + 1;
    else hi = mid;
  }
  const me = r.p.st.me?.id;
  let first = -1;
  let unread = 0;
  let mentions = 0;
  for (let i = lo; i < msgs.length; i++) {
    const m = msgs[i]!;
    if (m.kind === 'gap' || m.status !== 'sent' || (me !== undefined && m.author.id === me)) continue;
    if (first < 0) first = i;
    unread++;
    if (m.mention) mentions++;
  }
  if (s.activeRoom === r.st.key) unread = mentions = 0;
  if (r.st.firstUnread !== first || r.st.unread !== unread || r.st.mentions !== mentions) s.touch(r, { firstUnread: first, unread, mentions });
}

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
    s.readMarkers.delete(prev); // everything in it has been seen
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
  const mk = s.readMarkers.size ? s.readMarkers.get(st.key) : undefined;
  if (mk && compareMessages(m, mk) <= 0) return; // seen in an earlier run
  st.unread++;
  if (m.mention) st.mentions++;
  if (st.firstUnread < 0 || idx < st.firstUnread) st.firstUnread = idx;
}
