import { useEffect, useLayoutEffect, useRef } from 'react';
import type { UiMemory, UiMemoryStore, UiStore } from '../types.js';

/** Most rooms whose read marker is remembered (the least recently read go first). */
const MAX_MARKERS = 500;

type Markers = NonNullable<UiMemory['readMarkers']>;

/** The last message of the room `key` the user has seen (not a gap, not an unsent echo), or undefined. */
function lastSeen(store: UiStore, key: string): { id: string; ts: number } | undefined {
  const msgs = store.getState().rooms[key]?.messages ?? [];
  for (let i = msgs.length - 1; i >= 0; i--) {
    const m = msgs[i]!;
    if (m.kind !== 'gap' && m.status === 'sent') return { id: m.id, ts: m.ts };
  }
  return undefined;
}

/**
 * Read markers across restarts (`memory`, UiOptions): at mount the remembered markers go to the
 * store (SessionStore.restoreReadMarkers: later messages count as unread, the "new messages" line
 * goes after the marker); when the user leaves a room, and at quit for the room shown, its last
 * message becomes its marker and the map (at most {@link MAX_MARKERS} rooms) is saved. Without
 * `memory` nothing is kept. A room counts as seen once the start room settled (`settled`).
 */
export function useReadMarkers(store: UiStore, memory: UiMemoryStore | undefined, activeKey: string | undefined, settled: boolean): void {
  const markers = useRef<Markers>({});
  // A layout effect: it runs before the passive effect that makes the start room active (useActiveRoom).
  useLayoutEffect(() => {
    markers.current = { ...(memory?.load().readMarkers ?? {}) };
    if (memory && Object.keys(markers.current).length) store.restoreReadMarkers?.(markers.current);
  }, [store, memory]);
  useEffect(() => {
    if (!memory || activeKey === undefined || !settled) return;
    return () => {
      // Leaving the room (or quitting): what it shows now has been read.
      const mk = lastSeen(store, activeKey);
      const all = markers.current;
      if (!mk || (all[activeKey]?.id === mk.id && all[activeKey]?.ts === mk.ts)) return;
      delete all[activeKey];
      all[activeKey] = mk;
      const keys = Object.keys(all);
      for (const k of keys.slice(0, Math.max(0, keys.length - MAX_MARKERS))) delete all[k];
      memory.save({ readMarkers: { ...all } });
    };
  }, [store, memory, activeKey, settled]);
}
