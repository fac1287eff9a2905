import type { ConnectionEvent, ConnectionState } from '../events.js';
import type { ProfileState } from '../state.js';
import type { LinkState, ProfileEntry, StoreCore } from './core.js';

/**
 * A profile's connection state from `connection` events. A connector with one socket per room
 * reports each room's state (`room` set); the profile shows the worst of them.
 */

/** Severity of a connection state for aggregating per-room socket states into the profile state. */
const STATE_RANK: Record<ConnectionState, number> = { connected: 0, connecting: 1, reconnecting: 2, offline: 3, failed: 4 };

/** Applies a `connection` event (`retryAt` ISO → ms since epoch) to its profile. */
export function applyConnection(s: StoreCore, ev: ConnectionEvent): void {
  const p = s.ensureProfile(ev.profile);
  const retryAt = ev.retryAt === undefined ? undefined : Date.parse(ev.retryAt);
  const one: LinkState = { state: ev.state };
  if (ev.reason !== undefined) one.reason = ev.reason;
  if (retryAt !== undefined && Number.isFinite(retryAt)) one.retryAt = retryAt;
  if (ev.room !== undefined) p.roomStates.set(ev.room, one);
  else p.roomStates.clear();
  showLinkState(s, p, ev.room !== undefined ? worstLink(p) : one);
}

/**
 * Forgets the socket state of a room that was closed (parted): the profile shows the worst state of
 * the rooms still open (a closed room is not a connection problem of the profile).
 */
export function forgetRoomLink(s: StoreCore, profile: string, room: string): void {
  const p = s.profileMap.get(profile);
  if (!p || !p.roomStates.delete(room)) return;
  const worst = worstLink(p);
  if (worst) showLinkState(s, p, worst);
}

/** The worst per-room socket state of a profile (undefined when it has none). */
function worstLink(p: ProfileEntry): LinkState | undefined {
  let agg: LinkState | undefined;
  for (const st of p.roomStates.values()) if (!agg || STATE_RANK[st.state] > STATE_RANK[agg.state]) agg = st;
  return agg;
}

function showLinkState(s: StoreCore, p: ProfileEntry, agg: LinkState | undefined): void {
  if (!agg) return;
  const next: ProfileState = { ...p.st, state: agg.state };
  delete next.reason;
  delete next.retryAt;
  if (agg.reason !== undefined) next.reason = agg.reason;
  if (agg.retryAt !== undefined) next.retryAt = agg.retryAt;
  p.st = next;
  s.changed();
}
