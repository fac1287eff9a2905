import { useCallback, useEffect, useRef, useState } from 'react';
import { moveRoom, withSeen } from '../room-order.js';
import type { UiMemory, UiMemoryStore, UiStore } from '../types.js';
import { useStore } from './useStore.js';

/** Longest remembered room order (parted rooms stay in it; the oldest of those go first). */
const MAX_REMEMBERED = 500;

/** What {@link useRoomMemory} returns. */
export interface RoomMemory {
  /** The room list's order (room keys, room-order.ts), including rooms parted in this or an earlier run. */
  order: readonly string[];
  /** The room shown last in the previous run, if remembered. */
  lastRoom: string | undefined;
  /** Moves `key` to number `n` of the `shown` list (`/move N`). */
  move(key: string, n: number, shown: readonly string[]): void;
  /** Remembers the room shown now (once the start room settled, see useActiveRoom). */
  remember(activeKey: string | undefined): void;
}

/**
 * The room order and the last room across restarts (`memory`, UiOptions): read once at mount, new
 * rooms appended to the order as the store gets them, every change saved (the store's file write is
 * atomic). Without `memory` the same holds for this run only.
 */
export function useRoomMemory(store: UiStore, memory: UiMemoryStore | undefined): RoomMemory {
  const initial = useRef<UiMemory | null>(null);
  initial.current ??= memory?.load() ?? {};
  const first = initial.current;
  const [order, setOrder] = useState<readonly string[]>(() => withSeen(first.roomOrder ?? [], store.getState().roomOrder));
  const storeOrder = useStore((s) => s.roomOrder);
  useEffect(() => setOrder((o) => withSeen(o, storeOrder)), [storeOrder]);
  const saved = useRef<{ lastRoom: string | undefined; order: readonly string[] }>({ lastRoom: first.lastRoom, order });
  const save = useCallback((lastRoom: string | undefined, list: readonly string[]) => {
    const prev = saved.current;
    if (prev.lastRoom === lastRoom && prev.order === list) return;
    saved.current = { lastRoom, order: list };
    const m: UiMemory = { roomOrder: list.slice(-MAX_REMEMBERED) };
    if (lastRoom !== undefined) m.lastRoom = lastRoom;
    memory?.save(m);
  }, [memory]);
  useEffect(() => {
    if (order !== saved.current.order) save(saved.current.lastRoom, order);
  }, [order, save]);
  const move = useCallback((key: string, n: number, shown: readonly string[]) => setOrder((o) => moveRoom(o, shown, key, n)), []);
  const remember = useCallback((activeKey: string | undefined) => {
    if (activeKey !== undefined) save(activeKey, saved.current.order);
  }, [save]);
  return { order, lastRoom: first.lastRoom, move, remember };
}
