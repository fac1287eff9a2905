import type { Capabilities, RoomInfo } from '../connector.js';
import type { RoomState } from '../state.js';
import type { StoreCore } from './core.js';
import { forgetRoomLink } from './connection.js';

/** The directory: profiles (service, capabilities) and their rooms (name, topic, members, live). */

/** Adds a profile (state `offline`), or updates the service/capabilities of a known one and its rooms. */
export function addProfile(s: StoreCore, name: string, service: string, capabilities: Capabilities): void {
  const p = s.profileMap.get(name);
  if (!p) {
    s.createProfile(name, service, capabilities);
    return;
  }
  p.st = { ...p.st, service, capabilities };
  // Rooms created before the capabilities were known (events or echoes first) follow them now.
  for (const key of p.rooms) {
    const r = s.roomMap.get(key);
    if (!r) continue;
    const patch: Partial<RoomState> = {};
    const more = capabilities.history && (r.trimmed || !r.historyKnown || r.st.hasMoreHistory);
    if (more !== r.st.hasMoreHistory) patch.hasMoreHistory = more;
    if (capabilities.presence && r.st.online === undefined) patch.online = [];
    if (Object.keys(patch).length) s.touch(r, patch);
  }
  s.changed();
}

/** Adds a room, or updates name/topic/members/live of a known one (idempotent). */
export function addRoom(s: StoreCore, profile: string, room: RoomInfo): void {
  const r = s.ensureRoom(profile, room.id);
  const patch: Partial<RoomState> = {};
  if (room.name && room.name !== r.st.name) patch.name = room.name;
  if (room.topic !== undefined && room.topic !== r.st.topic) patch.topic = room.topic;
  if (room.live !== undefined && room.live !== r.st.live) patch.live = room.live;
  if (room.members !== undefined) patch.members = room.members.slice();
  if (Object.keys(patch).length) s.touch(r, patch);
}

/** Forgets a room and its pending echoes; it stops being the active room. */
export function removeRoom(s: StoreCore, key: string): void {
  const r = s.roomMap.get(key);
  if (!r) return;
  s.roomMap.delete(key);
  if (s.lastRoom === r) s.lastRoom = undefined;
  for (const txn of r.txns.keys()) s.txnRoom.delete(txn);
  const p = s.profileMap.get(r.st.profile);
  if (p) p.rooms = p.rooms.filter((k) => k !== key);
  if (s.activeRoom === key) s.activeRoom = undefined;
  s.roomOrderDirty = true;
  forgetRoomLink(s, r.st.profile, r.st.id);
  s.changed();
}

/** Sets the "fetching older history" flag of a room. */
export function setLoadingHistory(s: StoreCore, key: string, loading: boolean): void {
  const r = s.roomMap.get(key);
  if (r && r.st.loadingHistory !== loading) s.touch(r, { loadingHistory: loading });
}

/** A `presence` event: who is online in a room now. */
export function setOnline(s: StoreCore, profile: string, room: string, online: RoomState['members']): void {
  s.touch(s.ensureRoom(profile, room), { online: online.slice() });
}
