import { useApp } from 'ink';
import { useCallback } from 'react';
import type { MutableRefObject } from 'react';
import type { Capabilities } from '../../core/connector.js';
import type { PaneScroll } from '../components/MessagePane.js';
import type { useLayout } from '../components/MessagePane.js';
import { newestUnsent } from '../commands/discard.js';
import { roomKeysInOrder, roomListItems } from '../components/RoomList.js';
import type { Action } from '../keymap.js';
import type { UiRuntime, UiStore } from '../types.js';
import { type ScrollPos, scrollBy, topPos } from '../viewport.js';

/** What the pane looks like now (for scrolling by rows): its layout and height. */
export interface PaneGeometry {
  layout: ReturnType<typeof useLayout>;
  paneH: number;
}

/** Inputs of {@link useActions}. */
export interface ActionDeps {
  store: UiStore;
  runtime: UiRuntime;
  activeKey: string | undefined;
  profileName: string | undefined;
  caps: Capabilities | undefined;
  pick(key: string | undefined): void;
  notify(text: string, level?: 'info' | 'error'): void;
  scrollRef: MutableRefObject<PaneScroll>;
  setScrollPos(pos: ScrollPos | null): void;
  paneRef: MutableRefObject<PaneGeometry>;
  onExit: ((code: number) => void) | undefined;
  openHelp(): void;
  openSwitcher(): void;
  toggleMembers(): void;
  toggleRooms(): void;
  /** Opens copy mode of the shown room. */
  openCopy(): void;
  /** Clears the terminal and draws the frame again (Ctrl-L). */
  redraw(): void;
  /** The user scrolls up in the shown room (a cleared room may fill again). */
  onScrollBack(): void;
  /** Puts a text into the empty composer for editing; false when the composer holds a draft. */
  takeBack(text: string): boolean;
  /** The room list's remembered order (room-order.ts). */
  order: readonly string[];
}

/** What {@link useActions} returns. */
export interface Actions {
  /** Runs a key binding's action (keymap.ts). */
  runAction(a: Action): void;
  quit(code?: number): void;
  retry(): void;
  reconnect(): void;
  /** Scrolls the pane by `rows` (negative = up); at the top older history is fetched. */
  scrollRows(rows: number): void;
}

/**
 * The app's actions, shared by keys, mouse and slash commands: room switching (next/previous,
 * jump N, next with activity), scrolling (page, top, bottom; fetching older history at the top),
 * retry, reconnect, quit, and the overlay/list toggles.
 */
export function useActions(d: ActionDeps): Actions {
  const { store, runtime, activeKey, profileName, caps, pick, notify, scrollRef, setScrollPos, paneRef, onExit } = d;
  const { exit } = useApp();

  const paneModel = useCallback(() => {
    const s = store.getState();
    const r = activeKey ? s.rooms[activeKey] : undefined;
    return { messages: r?.messages ?? [], firstUnread: r?.firstUnread ?? -1, layout: paneRef.current.layout, height: Math.max(1, paneRef.current.paneH - 1), room: r };
  }, [store, activeKey, paneRef]);

  const loadOlder = useCallback(() => {
    const s = store.getState();
    const r = activeKey ? s.rooms[activeKey] : undefined;
    if (!activeKey || !r || !caps?.history || !r.hasMoreHistory || r.loadingHistory) return;
    void runtime.loadOlder(activeKey).catch((e: unknown) => notify(`history: ${e instanceof Error ? e.message : String(e)}`));
  }, [store, activeKey, caps, runtime, notify]);

  const { onScrollBack } = d;
  const scrollRows = useCallback((rows: number) => {
    if (rows < 0) onScrollBack();
    const r = scrollBy(paneModel(), scrollRef.current.pos, rows);
    setScrollPos(r.pos);
    if (rows < 0 && r.atTop) loadOlder();
  }, [paneModel, scrollRef, setScrollPos, loadOlder, onScrollBack]);

  const { order } = d;
  const roomKeys = useCallback(() => roomKeysInOrder(roomListItems(store.getState(), order)), [store, order]);

  const cycleRoom = useCallback((dir: 1 | -1) => {
    const keys = roomKeys();
    if (keys.length === 0) return;
    const i = activeKey ? keys.indexOf(activeKey) : -1;
    pick(keys[(i + dir + keys.length) % keys.length]);
  }, [roomKeys, activeKey, pick]);

  const nextActivity = useCallback(() => {
    const s = store.getState();
    const keys = roomKeys();
    const i = activeKey ? keys.indexOf(activeKey) : -1;
    const order = [...keys.slice(i + 1), ...keys.slice(0, Math.max(0, i))];
    const hit = order.find((k) => (s.rooms[k]?.mentions ?? 0) > 0) ?? order.find((k) => (s.rooms[k]?.unread ?? 0) > 0);
    if (hit) pick(hit);
    else notify('no room with new activity', 'info');
  }, [store, roomKeys, activeKey, pick, notify]);

  const quit = useCallback((code = 0) => {
    onExit?.(code);
    exit();
  }, [exit, onExit]);

  const retry = useCallback(() => {
    if (!activeKey) return;
    if (!runtime.retry(activeKey)) notify('nothing to retry in this room', 'info');
  }, [activeKey, runtime, notify]);

  const reconnect = useCallback(() => {
    runtime.reconnectNow(profileName);
    notify(`reconnecting ${profileName ?? 'all profiles'}…`, 'info');
  }, [runtime, profileName, notify]);

  // The newest failed message of the shown room: back into the composer (edit and resend) or dropped.
  const { takeBack } = d;
  const unsent = useCallback((how: 'edit' | 'discard') => {
    const m = activeKey ? newestUnsent(store, activeKey) : undefined;
    if (!activeKey || !m?.txnId) return notify('no failed message in this room', 'info');
    if (how === 'edit' && !takeBack(m.text)) return notify('the composer holds a draft: send or clear it first', 'info');
    if (!runtime.discard(activeKey, m.txnId)) return notify('that message cannot be taken back now', 'info');
    notify(how === 'edit' ? 'the failed message is back in the composer: edit it and press Enter' : 'message discarded', 'info');
  }, [activeKey, store, runtime, notify, takeBack]);

  const { openHelp, openSwitcher, toggleMembers, toggleRooms, redraw, openCopy } = d;
  const runAction = useCallback((a: Action): void => {
    switch (a) {
      case 'quit': quit(0); return;
      case 'nextRoom': cycleRoom(1); return;
      case 'prevRoom': cycleRoom(-1); return;
      case 'pageUp': scrollRows(-Math.max(1, paneModel().height - 1)); return;
      case 'pageDown': scrollRows(Math.max(1, paneModel().height - 1)); return;
      case 'roomTop': {
        onScrollBack();
        const m = paneModel();
        setScrollPos(topPos({ ...m, height: Math.max(1, paneRef.current.paneH - 1) }));
        loadOlder();
        return;
      }
      case 'roomBottom': setScrollPos(null); return;
      case 'retry': retry(); return;
      case 'reconnect': reconnect(); return;
      case 'redraw': redraw(); return;
      case 'editFailed': unsent('edit'); return;
      case 'discardFailed': unsent('discard'); return;
      case 'help': openHelp(); return;
      case 'members': toggleMembers(); return;
      case 'switcher': openSwitcher(); return;
      case 'activity': nextActivity(); return;
      case 'toggleRooms': toggleRooms(); return;
      case 'copyMode': openCopy(); return;
      default: {
        const n = Number(a.slice(4));
        const k = roomKeys()[n - 1];
        if (k) pick(k);
      }
    }
  }, [quit, cycleRoom, scrollRows, paneModel, setScrollPos, paneRef, loadOlder, retry, reconnect, openHelp, toggleMembers, openSwitcher, nextActivity, toggleRooms, roomKeys, pick, redraw, onScrollBack, unsent, openCopy]);

  return { runAction, quit, retry, reconnect, scrollRows };
}
