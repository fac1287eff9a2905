import type { UserRef } from '../events.js';
import type { RoomState, TypingUser } from '../state.js';
import type { RoomEntry, StoreCore } from './core.js';

/**
 * Typing indicators: who types in a room, until a time-to-live runs out (`typingTtlMs`) unless
 * refreshed. A message from a typing user ends their indicator; our own typing is never listed.
 * One unref'd timer sweeps the earliest expiry.
 */

/** A `typing` event: `user` starts (refreshing the expiry) or stops typing in a room. */
export function applyTyping(s: StoreCore, profile: string, room: string, user: UserRef, typing: boolean): void {
  const r = s.ensureRoom(profile, room);
  const me = s.profileMap.get(profile)?.st.me;
  if (me && me.id === user.id) return;
  const others = r.st.typing.filter((t) => t.user.id !== user.id);
  if (typing) {
    const entry: TypingUser = { user: { id: user.id, name: user.name }, until: s.now() + s.typingTtlMs };
    s.touch(r, { typing: [...others, entry] });
    scheduleSweep(s);
  } else if (others.length !== r.st.typing.length) {
    s.touch(r, { typing: others });
  }
}

/** `userId` sent a message: they stopped typing (a patch through `touch`). */
export function dropTyping(s: StoreCore, r: RoomEntry, userId: string): void {
  const typing = r.st.typing.filter((t) => t.user.id !== userId);
  if (typing.length !== r.st.typing.length) s.touch(r, { typing });
}

/** The same on a RoomState the caller owns (the flood path: no patch object). */
export function dropTypingOn(st: RoomState, userId: string): void {
  if (st.typing.length === 0) return;
  const typing = st.typing.filter((t) => t.user.id !== userId);
  if (typing.length !== st.typing.length) st.typing = typing;
}

/** Drops typing users whose time is up, then re-arms the sweep. */
export function expireTyping(s: StoreCore): void {
  const now = s.now();
  for (const r of s.roomMap.values()) {
    if (r.st.typing.length === 0) continue;
    const left = r.st.typing.filter((t) => t.until > now);
    if (left.length !== r.st.typing.length) s.touch(r, { typing: left });
  }
  scheduleSweep(s);
}

/** Stops the sweep timer. */
export function stopTypingSweep(s: StoreCore): void {
  if (s.typingTimer) clearTimeout(s.typingTimer);
  s.typingTimer = undefined;
  s.typingTimerAt = Infinity;
}

/** Arms one unref'd timer for the earliest typing expiry. */
function scheduleSweep(s: StoreCore): void {
  let next = Infinity;
  for (const r of s.roomMap.values()) for (const t of r.st.typing) if (t.until < next) next = t.until;
  if (next === Infinity) {
    stopTypingSweep(s);
    return;
  }
  if (s.typingTimer && s.typingTimerAt <= next) return;
  if (s.typingTimer) clearTimeout(s.typingTimer);
  s.typingTimerAt = next;
  s.typingTimer = setTimeout(() => {
    s.typingTimer = undefined;
    s.typingTimerAt = Infinity;
    expireTyping(s);
  }, Math.max(10, next - s.now() + 5));
  s.typingTimer.unref();
}
