import { useCallback } from 'react';
import type { MutableRefObject, RefObject } from 'react';
import type { ComposerHandle } from '../components/Composer.js';
import type { PaneScroll } from '../components/MessagePane.js';
import type { OverlayHandle } from '../components/Overlays.js';
import { roomListItems, roomListWindow } from '../components/RoomList.js';
import type { KeyEvent } from '../keys.js';
import { type Action, EMPTY_COMPOSER_KEYS, actionOf } from '../keymap.js';
import type { UiStore } from '../types.js';
import type { ScrollPos } from '../viewport.js';
import { useKeys } from './useKeys.js';
import { type MouseEvent, useMouse } from './useMouse.js';

/** Inputs of {@link useDispatch}. */
export interface DispatchDeps {
  store: UiStore;
  keymap: Map<string, Action>;
  /** An overlay takes every key while open. */
  overlayOpen: boolean;
  overlay: RefObject<OverlayHandle | null>;
  composer: RefObject<ComposerHandle | null>;
  runAction(a: Action): void;
  quit(code?: number): void;
  scrollRef: MutableRefObject<PaneScroll>;
  setScrollPos(pos: ScrollPos | null): void;
  scrollRows(rows: number): void;
  pick(key: string): void;
  /** Mouse support on (wheel scrolls the pane, a click on the room list opens a room). */
  mouse: boolean;
  activeKey: string | undefined;
  /** The room list's width (0 = hidden) and height, for clicks. */
  roomW: number;
  bodyH: number;
  /** The room list's remembered order (room-order.ts). */
  order: readonly string[];
}

/**
 * Every key goes through one dispatcher: Ctrl-C quits; an open overlay takes the key; then the
 * global bindings (keymap.ts); then keys that act only on an empty composer; Esc returns to the
 * bottom while scrolled up; everything else edits the composer. The mouse (opt-in) scrolls the
 * pane by 3 rows a wheel step and opens a room clicked in the room list.
 */
export function useDispatch(d: DispatchDeps): void {
  const { keymap, overlayOpen, overlay, composer, runAction, quit, scrollRef, setScrollPos } = d;
  const onKeys = useCallback((keys: KeyEvent[]) => {
    for (const ev of keys) {
      if (ev.ctrl && ev.name === 'c') {
        quit(0);
        return;
      }
      if (overlayOpen) {
        overlay.current?.handleKey(ev);
        continue;
      }
      const a = actionOf(keymap, ev);
      if (a) {
        runAction(a);
        continue;
      }
      const empty = composer.current?.isEmpty() ?? true;
      const id = ev.name === 'text' ? (ev.text ?? '') : `${ev.ctrl ? 'C-' : ''}${ev.meta ? 'M-' : ''}${ev.name}`;
      const emptyAction = EMPTY_COMPOSER_KEYS[id];
      if (empty && emptyAction) {
        runAction(emptyAction);
        continue;
      }
      if (ev.name === 'escape' && scrollRef.current.pos !== null) {
        setScrollPos(null);
        continue;
      }
      composer.current?.handleKey(ev);
    }
  }, [overlayOpen, overlay, composer, keymap, runAction, quit, scrollRef, setScrollPos]);
  useKeys(onKeys);

  const { store, scrollRows, pick, activeKey, roomW, bodyH, order } = d;
  const onMouse = useCallback((ev: MouseEvent) => {
    if (overlayOpen) return;
    if (ev.kind === 'wheelUp' || ev.kind === 'wheelDown') {
      scrollRows(ev.kind === 'wheelUp' ? -3 : 3);
      return;
    }
    if (roomW > 0 && ev.x < roomW && ev.y < bodyH) {
      const { visible } = roomListWindow(roomListItems(store.getState(), order), bodyH, activeKey);
      const it = visible[ev.y];
      if (it?.type === 'room') pick(it.key);
    }
  }, [overlayOpen, scrollRows, roomW, bodyH, store, activeKey, pick, order]);
  useMouse(d.mouse, onMouse);
}
