import type { ConnectionEvent, ConnectionState } from '../events.js';
import type { ProfileState } from '../state.js';
import type { LinkState, StoreCore } from './core.js';

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
  let agg = one;
  if (ev.room !== undefined) {
    // Per-room socket: the profile shows the worst state of its rooms.
    p.roomStates.set(ev.room, one);
    for (const st of p.roomStates.values()) if (STATE_RANK[st.state] > STATE_RANK[agg.state]) agg = st;
  } else {
    p.roomStates.clear();
  }
  const next: ProfileState = { ...p.st, state: agg.state };
  delete next.reason;
  delete next.retryAt;
  if (agg.reason !== undefined) next.reason = agg.reason;
  if (agg.retryAt !== undefined) next.retryAt = agg.retryAt;
  p.st = next;
  s.changed();
}
