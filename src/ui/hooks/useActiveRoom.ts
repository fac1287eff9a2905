import { useCallback, useEffect, useRef, useState } from 'react';
import type { MutableRefObject } from 'react';
import { roomKeysInOrder, roomListItems } from '../components/RoomList.js';
import { startRoom } from '../room-order.js';
import type { PaneScroll } from '../components/MessagePane.js';
import type { UiStore } from '../types.js';
import type { ScrollPos } from '../viewport.js';
import { useStore } from './useStore.js';

/** The pane's scroll at the bottom (following new messages). */
export const BOTTOM: PaneScroll = { pos: null };

/** What {@link useActiveRoom} returns. */
export interface ActiveRoom {
  /** The shown room's key. */
  activeKey: string | undefined;
  /** The same, for callbacks that must not re-subscribe on every switch. */
  activeRef: MutableRefObject<string | undefined>;
  /** A room switch the user asked for (keys, switcher, commands, clicks): stops the automatic pick. */
  pick(key: string | undefined): void;
  /** The shown room's scroll anchor (`pos: null` = at the bottom). */
  scroll: PaneScroll;
  scrollRef: MutableRefObject<PaneScroll>;
  /** Scrolls to `pos` (null = the bottom), anchored on the newest message when leaving the bottom. */
  setScrollPos(pos: ScrollPos | null): void;
  /** The shown room is the user's choice or the remembered last room (not a stand-in while profiles connect). */
  settled: boolean;
}

/**
 * The shown room and its scroll position. The room shown first is the last one used (`lastRoom`,
 * remembered across restarts) once it exists, else the first room of a healthy profile
 * (room-order.ts `startRoom`); it is shown from the first frame on (no frame without the room's
 * messages) and followed until the user picks one or the last room appears (rooms may appear in any
 * order while profiles connect); a room that disappears (/part) is left for the start room. Each
 * room keeps its scroll anchor while another is shown. The store is told which room is shown
 * (its unread and mention counts reset there).
 */
export function useActiveRoom(store: UiStore, order?: readonly string[], lastRoom?: string): ActiveRoom {
  const roomOrder = useStore((s) => s.roomOrder);
  const profileStates = useStore((s) => Object.values(s.profiles).map((p) => p.state).join());
  const start = (): string | undefined => {
    const s = store.getState();
    return startRoom(s, roomKeysInOrder(roomListItems(s, order)), lastRoom);
  };
  const [activeKey, setActiveKey] = useState<string | undefined>(start);
  const [scroll, setScroll] = useState<PaneScroll>(BOTTOM);
  const scrolls = useRef(new Map<string, PaneScroll>());
  const scrollRef = useRef<PaneScroll>(scroll);
  scrollRef.current = scroll;
  const activeRef = useRef(activeKey);
  activeRef.current = activeKey;
  const userPicked = useRef(false);
  const activeRoomExists = useStore((s) => (activeKey ? s.rooms[activeKey] !== undefined : false));

  const switchTo = useCallback((key: string | undefined) => {
    setActiveKey((prev) => {
      if (prev === key) return prev;
      if (prev) scrolls.current.set(prev, scrollRef.current);
      const next = (key && scrolls.current.get(key)) || BOTTOM;
      scrollRef.current = next;
      setScroll(next);
      return key;
    });
  }, []);

  const pick = useCallback((key: string | undefined) => {
    userPicked.current = true;
    switchTo(key);
  }, [switchTo]);

  useEffect(() => {
    if (activeKey && activeRoomExists && (userPicked.current || activeKey === lastRoom)) return;
    switchTo(start());
    // eslint-disable-next-line react-hooks/exhaustive-deps -- start() reads the store and the order
  }, [roomOrder, profileStates, activeKey, activeRoomExists, store, switchTo, lastRoom, order]);

  useEffect(() => {
    store.setActiveRoom(activeKey);
  }, [activeKey, store]);

  const setScrollPos = useCallback((pos: ScrollPos | null) => {
    const prev = scrollRef.current;
    let next: PaneScroll;
    if (pos === null) next = BOTTOM;
    else if (prev.pos === null) {
      const s = store.getState();
      const msgs = (activeRef.current ? s.rooms[activeRef.current]?.messages : undefined) ?? [];
      const last = msgs[msgs.length - 1];
      next = last ? { pos, lastSeen: { id: last.id, ts: last.ts, line: 0 } } : { pos };
    } else next = { ...prev, pos };
    scrollRef.current = next;
    setScroll(next);
  }, [store]);

  const settled = userPicked.current || lastRoom === undefined || activeKey === lastRoom;
  return { activeKey, activeRef, pick, scroll, scrollRef, setScrollPos, settled };
}
