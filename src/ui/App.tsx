import { Box, Text, useWindowSize } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { roomKey, splitRoomKey } from '../core/state.js';
import { commandHelpLines } from './commands/registry.js';
import { Composer, type ComposerHandle } from './components/Composer.js';
import { Header } from './components/Header.js';
import { MessagePane, useLayout } from './components/MessagePane.js';
import { HelpOverlay, MemberList, type OverlayHandle, pastePromptRows, PastePrompt, RoomSwitcher } from './components/Overlays.js';
import { RoomList, roomKeysInOrder, roomListItems } from './components/RoomList.js';
import { SearchOverlay } from './components/SearchOverlay.js';
import { UrlPicker } from './components/UrlPicker.js';
import { CopyMode } from './components/CopyMode.js';
import { StatusBuffer } from './components/StatusBuffer.js';
import { StatusLine, type UiNotice } from './components/StatusLine.js';
import type { MessageEvent } from '../core/events.js';
import { TypingBar } from './components/TypingBar.js';
import { useUi } from './context.js';
import { useActions } from './hooks/useActions.js';
import { useActiveRoom } from './hooks/useActiveRoom.js';
import { useRoomMemory } from './hooks/useRoomMemory.js';
import { useDispatch } from './hooks/useDispatch.js';
import { useMentionAlerts } from './hooks/useMentionAlerts.js';
import { useOwnEdits } from './hooks/useOwnEdits.js';
import { useTerminalTitle } from './hooks/useTerminalTitle.js';
import { useStatusLog } from './hooks/useStatusLog.js';
import { useComposerMemory } from './hooks/useComposerMemory.js';
import { useReadMarkers } from './hooks/useReadMarkers.js';
import { useStore } from './hooks/useStore.js';
import { useSubmit } from './hooks/useSubmit.js';
import { buildKeymap, helpLines, statusHints } from './keymap.js';
import { screenLayout } from './layout.js';

type Overlay = { kind: 'none' } | { kind: 'help' } | { kind: 'switcher' } | { kind: 'paste'; text: string } | { kind: 'search'; query: string; loaded?: string } | { kind: 'urls'; room: string } | { kind: 'copy'; room: string } | { kind: 'status' };

/** Props of the App: `onExit` runs before Ink unmounts (quit key, /quit). */
export interface AppProps {
  onExit?: (code: number) => void;
}

/**
 * The full-screen chat. Owns which overlay is open, the member/room list toggles and UI-side
 * notices; the shown room and its scroll (useActiveRoom), actions (useActions), key and mouse
 * dispatch (useDispatch), the composer's commands and sends (useSubmit) and mention alerts
 * (useMentionAlerts) are hooks. The tree is exactly the window's size (`useWindowSize`, layout.ts),
 * so Ink never scrolls.
 */
export function App({ onExit }: AppProps) {
  const { runtime, store, options, redraw: redrawScreen } = useUi();
  const { columns, rows } = useWindowSize();
  const keymap = useMemo(() => buildKeymap(options.keys), [options.keys]);

  const rooms = useRoomMemory(store, options.memory);
  const { order } = rooms;
  const { activeKey, activeRef, pick, scroll, scrollRef, setScrollPos, settled } = useActiveRoom(store, order, rooms.lastRoom);
  const { remember, move: moveOrder } = rooms;
  useReadMarkers(store, options.memory, activeKey, settled);
  useEffect(() => {
    if (settled) remember(activeKey);
  }, [settled, activeKey, remember]);
  const moveRoom = useCallback((n: number) => {
    if (!activeKey) return;
    pick(activeKey); // the shown room stays shown wherever it goes
    moveOrder(activeKey, n, roomKeysInOrder(roomListItems(store.getState(), order)));
  }, [activeKey, pick, moveOrder, store, order]);
  const [overlay, setOverlay] = useState<Overlay>({ kind: 'none' });
  const [showMembers, setShowMembers] = useState(false);
  const [roomsToggled, setRoomsToggled] = useState(false);
  const [uiNotice, setUiNotice] = useState<UiNotice | undefined>(undefined);
  const [composerRows, setComposerRows] = useState(1);
  const composer = useRef<ComposerHandle>(null);
  const overlayRef = useRef<OverlayHandle>(null);

  const profileName = activeKey ? splitRoomKey(activeKey).profile : Object.keys(store.getState().profiles)[0];
  const caps = useStore((s) => (profileName ? s.profiles[profileName]?.capabilities : undefined));
  const pstate = useStore((s) => (profileName ? s.profiles[profileName]?.state : undefined));
  const preason = useStore((s) => (profileName ? s.profiles[profileName]?.reason : undefined));

  const statusLog = useStatusLog(store);
  const { record } = statusLog;
  const notify = useCallback((text: string, level: 'info' | 'error' = 'error') => {
    record(text, level);
    setUiNotice({ time: Date.now(), level, text });
  }, [record]);
  useMentionAlerts(store, options, activeRef);
  useTerminalTitle(activeKey, options.title);

  // The paste prompt takes the composer's place (its question, then a preview of the first lines).
  const L0 = screenLayout({ columns, rows, roomsToggled, showMembers, caps, composerRows });
  const pasteRows = overlay.kind === 'paste' ? pastePromptRows(overlay.text, L0.mainW) : 0;
  const L = pasteRows ? screenLayout({ columns, rows, roomsToggled, showMembers, caps, composerRows: pasteRows }) : L0;
  const layout = useLayout(activeKey, L.mainW);
  const paneRef = useRef({ layout, paneH: L.paneH });
  paneRef.current = { layout, paneH: L.paneH };

  const openHelp = useCallback(() => setOverlay({ kind: 'help' }), []);
  const openSwitcher = useCallback(() => setOverlay({ kind: 'switcher' }), []);
  const openStatus = useCallback(() => setOverlay({ kind: 'status' }), []);
  const openUrls = useCallback(() => activeKey && setOverlay({ kind: 'urls', room: activeKey }), [activeKey]);
  const openCopy = useCallback(() => activeKey && setOverlay({ kind: 'copy', room: activeKey }), [activeKey]);
  const openSearch = useCallback((query: string, o?: { loaded?: boolean }) => setOverlay({ kind: 'search', query, ...(o?.loaded && activeKey ? { loaded: activeKey } : {}) }), [activeKey]);
  const closeOverlay = useCallback(() => setOverlay({ kind: 'none' }), []);
  const toggleMembers = useCallback(() => setShowMembers((v) => !v), []);
  const toggleRooms = useCallback(() => setRoomsToggled((v) => !v), []);
  const scrollToBottom = useCallback(() => setScrollPos(null), [setScrollPos]);
  const redraw = useCallback(() => redrawScreen?.(), [redrawScreen]);
  // Rooms the user cleared (/clear): they stay empty (no history fetched to fill them) until scrolled up.
  const [cleared, setCleared] = useState<ReadonlySet<string>>(() => new Set());
  const clearRoom = useCallback(() => {
    if (!activeKey) return;
    store.clearRoom(activeKey);
    setCleared((s) => new Set(s).add(activeKey));
    setScrollPos(null);
  }, [activeKey, store, setScrollPos]);
  const onScrollBack = useCallback(() => {
    setCleared((s) => {
      if (!activeKey || !s.has(activeKey)) return s;
      const next = new Set(s);
      next.delete(activeKey);
      return next;
    });
  }, [activeKey]);

  const takeBack = useCallback((text: string): boolean => {
    const c = composer.current;
    if (!c || !c.isEmpty()) return false;
    c.setText(text);
    return true;
  }, []);
  const actions = useActions({ store, runtime, activeKey, profileName, caps, pick, notify, scrollRef, setScrollPos, paneRef, onExit, openHelp, openSwitcher, toggleMembers, toggleRooms, redraw, onScrollBack, takeBack, order, openCopy });
  const { quit, retry, reconnect } = actions;
  useDispatch({
    store, keymap, overlayOpen: overlay.kind !== 'none', overlay: overlayRef, composer, runAction: actions.runAction, quit, scrollRef, setScrollPos,
    scrollRows: actions.scrollRows, pick, mouse: options.mouse ?? false, activeKey, roomW: L.roomW, bodyH: L.bodyH, order,
  });
  const { onSubmit: submit, complete, disabledReason, note } = useSubmit({
    runtime, store, activeKey, profile: profileName, caps, pstate, preason, notify, pick, quit, openHelp, toggleMembers, retry, reconnect, scrollToBottom, clearRoom, moveRoom, openSearch, openUrls, openCopy, openStatus,
  });

  // Every Enter starts afresh: an error about the previous line ("unknown command") does not outlive it.
  const onSubmit = useCallback((raw: string) => {
    setUiNotice(undefined);
    return submit(raw);
  }, [submit]);
  const composerMemory = useComposerMemory(options.memory);
  const ownEdits = useOwnEdits(runtime, store, activeKey, caps, notify);
  const onMultiLinePaste = useCallback((text: string) => setOverlay({ kind: 'paste', text }), []);
  const pickRoom = useCallback((key: string) => {
    setOverlay({ kind: 'none' });
    pick(key);
  }, [pick]);
  // A search hit: its room, with the archived messages around it, scrolled so that it is mid-pane (the
  // scroll anchor is the bottom row: the message half a pane after the hit).
  const showHit = useCallback((hit: MessageEvent) => {
    setOverlay({ kind: 'none' });
    runtime.showArchived?.(hit);
    const key = roomKey(hit.profile, hit.room);
    pick(key);
    const msgs = store.getState().rooms[key]?.messages ?? [];
    const at = msgs.findIndex((m) => m.id === hit.id);
    const anchor = at < 0 ? undefined : msgs[Math.min(msgs.length - 1, at + Math.floor(paneRef.current.paneH / 2))];
    setTimeout(() => setScrollPos(anchor && anchor !== msgs[msgs.length - 1] ? { id: anchor.id, ts: anchor.ts, line: 0 } : null), 0);
  }, [runtime, store, pick, setScrollPos]);
  const composerOrigin = useMemo(() => ({ x: L.roomW, y: 1 + L.paneH + L.typingRows }), [L.roomW, L.paneH, L.typingRows]);
  const hints = useMemo(() => statusHints(keymap, L.narrow), [keymap, L.narrow]);

  if (rows < 6 || columns < 20) {
    return (
      <Box width={columns} height={rows}>
        <Text wrap="truncate">terminal too small ({columns}×{rows}) — Ctrl-C quits</Text>
      </Box>
    );
  }
  const { mainW, bodyH, paneH } = L;
  // Copy mode takes the whole body (no room list, no gutter); the rest stays mounted under it (drafts).
  const copying = overlay.kind === 'copy';
  return (
    <Box width={columns} height={rows} flexDirection="column">
      {overlay.kind === 'copy' ? (
        <CopyMode ref={overlayRef} width={columns} height={bodyH} roomKey={overlay.room} onDone={(t) => (closeOverlay(), notify(t, 'info'))} onClose={closeOverlay} />
      ) : null}
      <Box display={copying ? 'none' : 'flex'} width={columns} height={bodyH} flexDirection="row">
        {L.showRooms ? <RoomList width={L.roomW} height={bodyH} activeKey={activeKey} order={order} /> : null}
        <Box width={mainW} height={bodyH} flexDirection="column">
          <Header roomKey={activeKey} width={mainW} />
          {overlay.kind === 'help' ? (
            <HelpOverlay ref={overlayRef} width={mainW} height={paneH} lines={[...helpLines(keymap), ...commandHelpLines(caps)]} onClose={closeOverlay} />
          ) : overlay.kind === 'switcher' ? (
            <RoomSwitcher ref={overlayRef} width={mainW} height={paneH} onPick={pickRoom} onClose={closeOverlay} />
          ) : overlay.kind === 'search' ? (
            <SearchOverlay ref={overlayRef} width={mainW} height={paneH} query={overlay.query} {...(overlay.loaded ? { loadedRoom: overlay.loaded } : {})} onPick={showHit} onClose={closeOverlay} />
          ) : overlay.kind === 'status' ? (
            <StatusBuffer ref={overlayRef} width={mainW} height={paneH} entries={statusLog.log.current.slice()} onClose={closeOverlay} />
          ) : overlay.kind === 'urls' ? (
            <UrlPicker ref={overlayRef} width={mainW} height={paneH} roomKey={overlay.room} onDone={(t) => (closeOverlay(), notify(t, 'info'))} onClose={closeOverlay} />
          ) : showMembers && L.narrow ? (
            <MemberList roomKey={activeKey} width={mainW} height={paneH} presence={caps?.presence ?? false} />
          ) : (
            <MessagePane roomKey={activeKey} width={mainW} height={paneH} scroll={scroll} canLoadOlder={(caps?.history ?? false) && pstate === 'connected'} cleared={activeKey !== undefined && cleared.has(activeKey)} />
          )}
          {L.typingRows ? <TypingBar roomKey={activeKey} width={mainW} showTyping={caps?.typingReceive ?? false} showPresence={caps?.presence ?? false} /> : null}
          {overlay.kind === 'paste' ? (
            <PastePrompt
              ref={overlayRef}
              width={mainW}
              height={pasteRows}
              text={overlay.text}
              onSend={() => {
                setOverlay({ kind: 'none' });
                onSubmit(overlay.text);
              }}
              onEdit={() => {
                setOverlay({ kind: 'none' });
                composer.current?.insert(overlay.text);
              }}
              onCancel={closeOverlay}
            />
          ) : null}
          {/* Kept mounted under the paste prompt (its drafts and history live in it). */}
          <Box display={overlay.kind === 'paste' ? 'none' : 'flex'} width={mainW} flexDirection="column">
          <Composer
            ref={composer}
            roomKey={activeKey}
            width={mainW}
            disabledReason={disabledReason}
            note={note}
            onSubmit={onSubmit}
            complete={complete}
            onMultiLinePaste={onMultiLinePaste}
            onHeight={setComposerRows}
            active={overlay.kind === 'none'}
            {...(caps?.maxMessageLength !== undefined ? { maxLength: caps.maxMessageLength } : {})}
            origin={composerOrigin}
            {...(ownEdits.editLast ? { editLast: ownEdits.editLast } : {})}
            onEdit={ownEdits.onEdit}
            remembered={composerMemory.initial}
            onDraft={composerMemory.onDraft}
            onSent={composerMemory.onSent}
          />
          </Box>
        </Box>
        {L.memberW ? <MemberList roomKey={activeKey} width={L.memberW} height={bodyH} presence={caps?.presence ?? false} /> : null}
      </Box>
      <StatusLine width={columns} profile={profileName} room={activeKey ? splitRoomKey(activeKey).room : undefined} hints={hints} uiNotice={uiNotice} />
    </Box>
  );
}
