import { Box, Text, useApp, useStdout, useWindowSize } from 'ink';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { sanitizeLine } from '../core/sanitize.js';
import { DEFAULT_READ_ONLY_REASON, sendRefusal } from '../core/runtime/send-policy.js';
import { splitRoomKey } from '../core/state.js';
import { type ParsedInput, completeCommand, parseInput, pickMessageToDelete } from './commands.js';
import { Composer, type ComposerHandle, type SubmitResult } from './components/Composer.js';
import { Header } from './components/Header.js';
import { MessagePane, type PaneScroll, useLayout } from './components/MessagePane.js';
import { HelpOverlay, MemberList, type OverlayHandle, PastePrompt, RoomSwitcher } from './components/Overlays.js';
import { RoomList, roomKeysInOrder, roomListItems, roomListWindow } from './components/RoomList.js';
import { StatusLine, type UiNotice } from './components/StatusLine.js';
import { TypingBar } from './components/TypingBar.js';
import { useUi } from './context.js';
import { useKeys } from './hooks/useKeys.js';
import { type MouseEvent, useMouse } from './hooks/useMouse.js';
import { useTerminalFocus } from './hooks/useTerminalFocus.js';
import { useStore } from './hooks/useStore.js';
import type { KeyEvent } from './keys.js';
import { type Action, EMPTY_COMPOSER_KEYS, actionOf, buildKeymap, helpLines } from './keymap.js';
import { type ScrollPos, scrollBy, topPos } from './viewport.js';

/** Width below which the room list is hidden behind a key (issue 9 "narrower than 60 columns"). */
export const NARROW_COLS = 60;

type Overlay = { kind: 'none' } | { kind: 'help' } | { kind: 'switcher' } | { kind: 'paste'; text: string };

const BOTTOM: PaneScroll = { pos: null };

/** Props of the App: `onExit` runs before Ink unmounts (quit key, /quit). */
export interface AppProps {
  onExit?: (code: number) => void;
}

/**
 * The full-screen chat (issue 3 §7, issue 9). Owns: the shown room, per-room scroll anchors, which
 * overlay is open, the member/room list toggles and UI-side notices. Every key goes through one
 * dispatcher: overlay → global bindings (keymap.ts) → keys that act only on an empty composer →
 * the composer. The tree is exactly the window's size (`useWindowSize`), so Ink never scrolls.
 */
export function App({ onExit }: AppProps) {
  const { runtime, store, options } = useUi();
  const { exit } = useApp();
  const { stdout } = useStdout();
  const { columns, rows } = useWindowSize();
  const keymap = useMemo(() => buildKeymap(options.keys), [options.keys]);

  const roomOrder = useStore((s) => s.roomOrder);
  // The first room from the first frame on (issue 8 startup: no frame without the room's messages).
  const [activeKey, setActiveKey] = useState<string | undefined>(() => roomKeysInOrder(roomListItems(store.getState()))[0]);
  const [overlay, setOverlay] = useState<Overlay>({ kind: 'none' });
  const [showMembers, setShowMembers] = useState(false);
  const [roomsToggled, setRoomsToggled] = useState(false);
  const [scroll, setScroll] = useState<PaneScroll>(BOTTOM);
  const [uiNotice, setUiNotice] = useState<UiNotice | undefined>(undefined);
  const [composerRows, setComposerRows] = useState(1);
  const scrolls = useRef(new Map<string, PaneScroll>());
  const composer = useRef<ComposerHandle>(null);
  const overlayRef = useRef<OverlayHandle>(null);

  const activeRoomExists = useStore((s) => (activeKey ? s.rooms[activeKey] !== undefined : false));
  const profileName = activeKey ? splitRoomKey(activeKey).profile : Object.keys(store.getState().profiles)[0];
  const caps = useStore((s) => (profileName ? s.profiles[profileName]?.capabilities : undefined));
  const pstate = useStore((s) => (profileName ? s.profiles[profileName]?.state : undefined));
  const preason = useStore((s) => (profileName ? s.profiles[profileName]?.reason : undefined));

  const notify = useCallback((text: string, level: 'info' | 'error' = 'error') => setUiNotice({ time: Date.now(), level, text }), []);

  const switchTo = useCallback(
    (key: string | undefined) => {
      setActiveKey((prev) => {
        if (prev === key) return prev;
        if (prev) scrolls.current.set(prev, scrollRef.current);
        const next = (key && scrolls.current.get(key)) || BOTTOM;
        scrollRef.current = next;
        setScroll(next);
        return key;
      });
    },
    [],
  );
  /** A room switch the user asked for (keys, switcher, commands, clicks): stops the automatic pick. */
  const pick = useCallback((key: string | undefined) => {
    userPicked.current = true;
    switchTo(key);
  }, [switchTo]);
  const scrollRef = useRef<PaneScroll>(scroll);
  scrollRef.current = scroll;

  // Show the first room of the list until the user picks one (rooms may appear in any order while
  // profiles connect); move away from a room that disappeared (/part).
  const userPicked = useRef(false);
  useEffect(() => {
    const first = roomKeysInOrder(roomListItems(store.getState()))[0];
    if (activeKey && activeRoomExists && (userPicked.current || activeKey === first)) return;
    switchTo(first);
  }, [roomOrder, activeKey, activeRoomExists, store, switchTo]);

  // Tell the store which room is shown (unread/mentions reset there).
  useEffect(() => {
    store.setActiveRoom(activeKey);
  }, [activeKey, store]);

  // Bell (and, opt-in, a desktop notification through the terminal, OSC 9) on a new mention in a
  // room that is not shown, or in the shown room while the terminal is not focused (issue 9).
  const activeRef = useRef(activeKey);
  activeRef.current = activeKey;
  const alerts = options.bell !== false || options.notify === true;
  const focused = useTerminalFocus(alerts);
  useEffect(() => {
    const bell = options.bell !== false;
    const notifyDesktop = options.notify === true;
    if (!bell && !notifyDesktop) return;
    const seen = new Map<string, number>();
    for (const [k, r] of Object.entries(store.getState().rooms)) seen.set(k, r.mentions);
    let lastRooms: unknown;
    let shown: { key: string | undefined; lastId: string | undefined } = { key: undefined, lastId: undefined };
    return store.subscribe(() => {
      const s = store.getState();
      if (s.rooms === lastRooms) return;
      lastRooms = s.rooms;
      const hits: { key: string; text: string | undefined }[] = [];
      for (const [k, r] of Object.entries(s.rooms)) {
        const before = seen.get(k) ?? 0;
        if (r.mentions > before && k !== activeRef.current) hits.push({ key: k, text: undefined });
        seen.set(k, r.mentions);
      }
      // The shown room: its counters stay 0, so look at the messages that arrived since last time.
      const key = activeRef.current;
      const room = key ? s.rooms[key] : undefined;
      const newest = room?.messages[room.messages.length - 1];
      if (room && shown.key === key && newest && newest.id !== shown.lastId && !focused.current) {
        for (let i = room.messages.length - 1; i >= Math.max(0, room.messages.length - 50); i--) {
          const m = room.messages[i];
          if (!m || m.id === shown.lastId) break;
          if (m.mention && m.status === 'sent') {
            hits.push({ key: room.key, text: `${m.author.name}: ${m.text}` });
            break;
          }
        }
      }
      shown = { key, lastId: newest?.id };
      if (hits.length === 0) return;
      if (bell) stdout.write('\u0007');
      if (notifyDesktop) {
        for (const h of hits) {
          const r = s.rooms[h.key];
          if (!r) continue;
          let text = h.text;
          for (let i = r.messages.length - 1; text === undefined && i >= Math.max(0, r.messages.length - 50); i--) {
            const m = r.messages[i];
            if (m?.mention) text = `${m.author.name}: ${m.text}`;
          }
          const line = sanitizeLine(`#${r.name}: ${text ?? 'you were mentioned'}`).replace(/;/g, ',').slice(0, 200);
          stdout.write(`\u001b]9;${line}\u0007`);
        }
      }
    });
  }, [store, stdout, options.bell, options.notify, focused]);

  // ---- layout (every height explicit: the tree is never taller than the window) ----
  const narrow = columns < NARROW_COLS;
  const showRooms = narrow ? roomsToggled : !roomsToggled;
  const roomW = showRooms ? Math.min(narrow ? 18 : 28, Math.max(12, Math.floor(columns * (narrow ? 0.36 : 0.22)))) : 0;
  const memberW = showMembers && !narrow ? Math.min(24, Math.max(14, Math.floor(columns * 0.2))) : 0;
  const mainW = Math.max(10, columns - roomW - memberW);
  const bodyH = Math.max(1, rows - 1);
  const typingRows = caps && (caps.typingReceive || caps.presence) ? 1 : 0;
  const paneH = Math.max(0, bodyH - 1 - typingRows - composerRows);
  const layout = useLayout(activeKey, mainW);
  const paneRef = useRef({ layout, paneH });
  paneRef.current = { layout, paneH };

  // ---- actions ----
  const paneModel = useCallback(() => {
    const s = store.getState();
    const r = activeKey ? s.rooms[activeKey] : undefined;
    return { messages: r?.messages ?? [], firstUnread: r?.firstUnread ?? -1, layout: paneRef.current.layout, height: Math.max(1, paneRef.current.paneH - 1), room: r };
  }, [store, activeKey]);

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

  const loadOlder = useCallback(() => {
    const s = store.getState();
    const r = activeKey ? s.rooms[activeKey] : undefined;
    if (!activeKey || !r || !caps?.history || !r.hasMoreHistory || r.loadingHistory) return;
    void runtime.loadOlder(activeKey).catch((e: unknown) => notify(`history: ${e instanceof Error ? e.message : String(e)}`));
  }, [store, activeKey, caps, runtime, notify]);

  const scrollPage = useCallback((dir: -1 | 1) => {
    const m = paneModel();
    const step = Math.max(1, m.height - 1);
    const r = scrollBy(m, scrollRef.current.pos, dir * step);
    setScrollPos(r.pos);
    if (dir < 0 && r.atTop) loadOlder();
  }, [paneModel, setScrollPos, loadOlder]);

  const roomKeys = useCallback(() => roomKeysInOrder(roomListItems(store.getState())), [store]);

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

  const runAction = useCallback((a: Action): void => {
    switch (a) {
      case 'quit': quit(0); return;
      case 'nextRoom': cycleRoom(1); return;
      case 'prevRoom': cycleRoom(-1); return;
      case 'pageUp': scrollPage(-1); return;
      case 'pageDown': scrollPage(1); return;
      case 'roomTop': {
        const m = paneModel();
        setScrollPos(topPos({ ...m, height: Math.max(1, paneRef.current.paneH - 1) }));
        loadOlder();
        return;
      }
      case 'roomBottom': setScrollPos(null); return;
      case 'retry': retry(); return;
      case 'reconnect': reconnect(); return;
      case 'help': setOverlay({ kind: 'help' }); return;
      case 'members': setShowMembers((v) => !v); return;
      case 'switcher': setOverlay({ kind: 'switcher' }); return;
      case 'activity': nextActivity(); return;
      case 'toggleRooms': setRoomsToggled((v) => !v); return;
      default: {
        const n = Number(a.slice(4));
        const k = roomKeys()[n - 1];
        if (k) pick(k);
      }
    }
  }, [quit, cycleRoom, scrollPage, paneModel, setScrollPos, loadOlder, retry, reconnect, nextActivity, roomKeys, pick]);

  const onKeys = useCallback((keys: KeyEvent[]) => {
    for (const ev of keys) {
      if (ev.ctrl && ev.name === 'c') {
        quit(0);
        return;
      }
      if (overlay.kind !== 'none') {
        overlayRef.current?.handleKey(ev);
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
  }, [overlay.kind, keymap, runAction, quit, setScrollPos]);
  useKeys(onKeys);

  const onMouse = useCallback((ev: MouseEvent) => {
    if (overlay.kind !== 'none') return;
    if (ev.kind === 'wheelUp' || ev.kind === 'wheelDown') {
      const m = paneModel();
      const r = scrollBy(m, scrollRef.current.pos, ev.kind === 'wheelUp' ? -3 : 3);
      setScrollPos(r.pos);
      if (ev.kind === 'wheelUp' && r.atTop) loadOlder();
      return;
    }
    if (showRooms && ev.x < roomW && ev.y < bodyH) {
      const { visible } = roomListWindow(roomListItems(store.getState()), bodyH, activeKey);
      const it = visible[ev.y];
      if (it?.type === 'room') pick(it.key);
    }
  }, [overlay.kind, paneModel, setScrollPos, loadOlder, showRooms, roomW, bodyH, store, activeKey, pick]);
  useMouse(options.mouse ?? false, onMouse);

  // ---- composer: commands, sending, completion ----
  const runCommand = useCallback((cmd: Extract<ParsedInput, { kind: 'command' }>): SubmitResult => {
    const prof = profileName;
    const err = (e: unknown): void => notify(e instanceof Error ? e.message : String(e));
    switch (cmd.name) {
      case 'help': setOverlay({ kind: 'help' }); break;
      case 'quit': quit(0); break;
      case 'members': setShowMembers((v) => !v); break;
      case 'retry': retry(); break;
      case 'reconnect': reconnect(); break;
      case 'clear':
        if (activeKey) {
          store.clearRoom(activeKey);
          setScrollPos(null);
        }
        break;
      case 'join': {
        if (!prof) return notify('no profile to join with'), 'keep';
        if (!caps?.join) return notify(`${prof}: this service cannot open rooms at run time`), 'keep';
        const ref = cmd.args[0] ?? '';
        notify(`joining ${ref}…`, 'info');
        runtime.join(prof, ref).then((key) => {
          pick(key);
          notify(`joined ${ref}`, 'info');
        }, err);
        break;
      }
      case 'part': {
        if (!activeKey) return notify('no room open'), 'keep';
        if (!caps?.join) return notify(`${prof ?? ''}: this service cannot leave rooms at run time`), 'keep';
        const key = activeKey;
        runtime.part(key).then(() => notify('left the room', 'info'), err);
        break;
      }
      case 'dm': {
        if (!prof) return notify('no profile'), 'keep';
        if (!caps?.dms) return notify(`${prof}: this service has no direct messages`), 'keep';
        runtime.dm(prof, cmd.rest).then((text) => notify(text, 'info'), err);
        break;
      }
      case 'delete': {
        if (!activeKey) return notify('no room open'), 'keep';
        const target = pickMessageToDelete(store.getState().rooms[activeKey]?.messages ?? [], cmd.rest);
        if ('error' in target) return notify(target.error), 'keep';
        runtime.moderate(activeKey, { kind: 'delete', messageId: target.id }).then(() => notify(`deleted a message from ${target.author.name}`, 'info'), err);
        break;
      }
      case 'timeout':
      case 'ban':
      case 'unban': {
        if (!activeKey) return notify('no room open'), 'keep';
        const kind = cmd.name;
        runtime.moderate(activeKey, { kind, user: cmd.args[0] ?? '' }).catch(err);
        break;
      }
      case 'profile': {
        const name = cmd.args[0] ?? '';
        const s = store.getState();
        if (!s.profiles[name]) return notify(`unknown profile: ${name}`), 'keep';
        const key = s.roomOrder.find((k) => s.rooms[k]?.profile === name);
        if (!key) return notify(`${name} has no room open yet`), 'keep';
        pick(key);
        break;
      }
    }
    return 'clear';
  }, [profileName, notify, quit, retry, reconnect, activeKey, store, setScrollPos, caps, runtime, pick]);

  const sendText = useCallback((text: string): SubmitResult => {
    if (!activeKey) return notify('no room open — /join ROOM'), 'keep';
    const refusal = sendRefusal(caps, text);
    if (refusal?.code === 'read_only') return notify(`read-only: ${refusal.reason}`), 'keep';
    if (pstate === 'failed') return notify(`${profileName ?? ''} failed: ${preason ?? 'not connected'} — F5 to reconnect`), 'keep';
    if (refusal) return notify(refusal.reason), 'keep';
    runtime.send(activeKey, text);
    setScrollPos(null);
    return 'clear';
  }, [activeKey, caps, pstate, profileName, preason, runtime, notify, setScrollPos]);

  const onSubmit = useCallback((raw: string): SubmitResult => {
    const p = parseInput(raw, caps);
    switch (p.kind) {
      case 'empty': return 'keep';
      case 'error': notify(p.message); return 'keep';
      case 'command': return runCommand(p);
      case 'text': return sendText(p.text);
    }
  }, [notify, runCommand, sendText, caps]);

  const complete = useCallback((word: string, atLineStart: boolean): string[] => {
    if (atLineStart && word.startsWith('/')) return completeCommand(word.slice(1), caps);
    const s = store.getState();
    const r = activeKey ? s.rooms[activeKey] : undefined;
    if (!r) return [];
    const me = s.profiles[r.profile]?.me;
    const at = word.startsWith('@');
    const prefix = (at ? word.slice(1) : word).toLowerCase();
    const names = new Map<string, string>();
    const add = (id: string, name: string): void => {
      if (id !== me?.id && name && !names.has(name.toLowerCase())) names.set(name.toLowerCase(), name);
    };
    for (let i = r.messages.length - 1; i >= Math.max(0, r.messages.length - 300); i--) {
      const m = r.messages[i];
      if (m && m.kind === 'normal') add(m.author.id, m.author.name);
    }
    for (const u of r.online ?? []) add(u.id, u.name);
    for (const u of r.members) add(u.id, u.name);
    const useAt = at || (s.profiles[r.profile]?.capabilities.atMentions ?? false);
    const suffix = atLineStart && !useAt ? ': ' : ' ';
    return [...names.values()].filter((n) => n.toLowerCase().startsWith(prefix)).map((n) => `${useAt ? '@' : ''}${n}${suffix}`);
  }, [store, activeKey, caps]);

  const onMultiLinePaste = useCallback((text: string) => setOverlay({ kind: 'paste', text }), []);
  const closeOverlay = useCallback(() => setOverlay({ kind: 'none' }), []);
  const pickRoom = useCallback((key: string) => {
    setOverlay({ kind: 'none' });
    pick(key);
  }, [pick]);

  // ---- composer state line ----
  let disabledReason: string | undefined;
  let note: string | undefined;
  if (caps?.readOnly) disabledReason = `read-only: ${caps.readOnlyReason ?? DEFAULT_READ_ONLY_REASON} (type / for commands)`;
  else if (pstate === 'failed') disabledReason = `${profileName ?? ''} failed: ${preason ?? 'not connected'} — F5 reconnects (type / for commands)`;
  else if (!activeKey) note = 'no room open — /join ROOM';
  else if (pstate && pstate !== 'connected') note = `${pstate}: sends are queued`;

  const composerOrigin = useMemo(() => ({ x: roomW, y: 1 + paneH + typingRows }), [roomW, paneH, typingRows]);
  const hints = narrow ? '^N/^P · F3 rooms · F1 help · ^C quit' : '^N/^P rooms · PgUp/PgDn · ^G find · F1 help · ^C quit';

  if (rows < 6 || columns < 20) {
    return (
      <Box width={columns} height={rows}>
        <Text wrap="truncate">terminal too small ({columns}×{rows}) — Ctrl-C quits</Text>
      </Box>
    );
  }
  const mainH = paneH;
  return (
    <Box width={columns} height={rows} flexDirection="column">
      <Box width={columns} height={bodyH} flexDirection="row">
        {showRooms ? <RoomList width={roomW} height={bodyH} activeKey={activeKey} /> : null}
        <Box width={mainW} height={bodyH} flexDirection="column">
          <Header roomKey={activeKey} width={mainW} />
          {overlay.kind === 'help' ? (
            <HelpOverlay ref={overlayRef} width={mainW} height={mainH} lines={helpLines(keymap, caps?.moderation ?? false)} onClose={closeOverlay} />
          ) : overlay.kind === 'switcher' ? (
            <RoomSwitcher ref={overlayRef} width={mainW} height={mainH} onPick={pickRoom} onClose={closeOverlay} />
          ) : overlay.kind === 'paste' ? (
            <PastePrompt
              ref={overlayRef}
              width={mainW}
              height={mainH}
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
          ) : showMembers && narrow ? (
            <MemberList roomKey={activeKey} width={mainW} height={mainH} presence={caps?.presence ?? false} />
          ) : (
            <MessagePane roomKey={activeKey} width={mainW} height={paneH} scroll={scroll} canLoadOlder={(caps?.history ?? false) && pstate === 'connected'} />
          )}
          {typingRows ? <TypingBar roomKey={activeKey} width={mainW} showTyping={caps?.typingReceive ?? false} showPresence={caps?.presence ?? false} /> : null}
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
            origin={composerOrigin}
          />
        </Box>
        {memberW ? <MemberList roomKey={activeKey} width={memberW} height={bodyH} presence={caps?.presence ?? false} /> : null}
      </Box>
      <StatusLine width={columns} profile={profileName} hints={hints} uiNotice={uiNotice} />
    </Box>
  );
}
