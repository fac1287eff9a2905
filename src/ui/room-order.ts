import type { UiSnapshot } from './types.js';

/**
 * The order of the room list as the user keeps it: a remembered list of room keys (kept across
 * restarts, UiMemory `roomOrder`). Rooms the list does not know yet go after the known ones in the
 * store's order and are appended to it; a room that was parted keeps its place in the list, so
 * /part + /join puts it back where it was (Alt-N keeps meaning the same room); `/move N` changes it.
 */

/** The store's room keys (`roomOrder`) sorted by the remembered order; unknown keys keep store order after the known ones. */
export function orderRooms(storeOrder: readonly string[], remembered: readonly string[] | undefined): string[] {
  if (!remembered?.length) return storeOrder.slice();
  const rank = new Map<string, number>();
  remembered.forEach((k, i) => rank.set(k, i));
  return storeOrder
    .map((k, i) => ({ k, r: rank.get(k) ?? remembered.length + i }))
    .sort((a, b) => a.r - b.r)
    .map((x) => x.k);
}

/** The remembered order with the store's new rooms appended; the same array when nothing is new. */
export function withSeen(remembered: readonly string[], storeOrder: readonly string[]): readonly string[] {
  const known = new Set(remembered);
  const fresh = storeOrder.filter((k) => !known.has(k));
  return fresh.length ? [...remembered, ...fresh] : remembered;
}

/**
 * The remembered order after moving `key` to number `n` (1-based) of the `shown` list (the room list's
 * rooms in order): it goes right before the room shown at `n` now (after the last one when `n` is past
 * the end). Parted rooms keep their places among the others.
 */
export function moveRoom(remembered: readonly string[], shown: readonly string[], key: string, n: number): string[] {
  const list = remembered.filter((k) => k !== key);
  const others = shown.filter((k) => k !== key);
  const target = others[Math.max(0, n - 1)];
  if (n - 1 >= others.length || target === undefined) {
    const last = others[others.length - 1];
    const at = last === undefined ? list.length : list.indexOf(last) + 1;
    list.splice(at, 0, key);
  } else list.splice(list.indexOf(target), 0, key);
  return list;
}

/**
 * The room to show at start: the last room used (when it exists), else the first room of a connected
 * profile, else of one that has not failed, else the first room. `keys` in room-list order.
 */
export function startRoom(s: UiSnapshot, keys: readonly string[], lastRoom: string | undefined): string | undefined {
  if (lastRoom && s.rooms[lastRoom]) return lastRoom;
  const state = (k: string) => s.profiles[s.rooms[k]?.profile ?? '']?.state;
  return keys.find((k) => state(k) === 'connected') ?? keys.find((k) => state(k) !== 'failed' && state(k) !== 'offline') ?? keys[0];
}
