import chalk from 'chalk';
import { Box, Text, useCursor, usePaste } from 'ink';
import { memo, type Ref, useEffect, useImperativeHandle, useReducer, useRef } from 'react';
import { graphemeCount } from '../../core/runtime/send-policy.js';
import { useUi } from '../context.js';
import { edit, type EditOp, type EditorState, emptyEditor, historyStep, type HistoryCursor, onFirstLine, onLastLine } from '../editor.js';
import type { KeyEvent } from '../keys.js';
import { backspaceSearch, olderMatch, type ReverseSearch, searchMatch, startSearch, typeInSearch } from '../reverse-search.js';
import { cellWidth, terminalForm, truncate } from '../wrap.js';

/** What the App can do with the composer (keys are routed to it by the App's dispatcher). */
export interface ComposerHandle {
  /** Handles one key; returns false when the key means nothing to the composer (App may use it). */
  handleKey(ev: KeyEvent): boolean;
  isEmpty(): boolean;
  insert(text: string): void;
  /** Replaces the text (e.g. "edit" from the paste prompt). */
  setText(text: string): void;
}

/** Result of a submit: `clear` the composer (sent / command ran) or `keep` the text (error). */
export type SubmitResult = 'clear' | 'keep';

/** Props of the composer. */
export interface ComposerProps {
  roomKey: string | undefined;
  width: number;
  /** When set, the composer is disabled and shows this reason (read-only room, failed profile). */
  disabledReason: string | undefined;
  /** A note shown at the right while enabled (e.g. "offline: sends are queued"). */
  note: string | undefined;
  /** Called with the text on Enter. */
  onSubmit(text: string): SubmitResult;
  /** Completion candidates for the word before the cursor (`atLineStart` when it is the first word). */
  complete(word: string, atLineStart: boolean): string[];
  /** A paste of several lines: the App asks before sending. */
  onMultiLinePaste(text: string): void;
  /** Reports the number of rows the composer needs (1–5) so the App can lay out the pane. */
  onHeight(rows: number): void;
  /** Whether keys/pastes reach the composer (false while an overlay is open). */
  active: boolean;
  /**
   * The service's longest message in graphemes (capabilities.maxMessageLength): from 80 % of it the
   * composer shows the count, over it says the text is too long (the send policy refuses it on Enter).
   */
  maxLength?: number;
  /**
   * Up on an empty composer (capability `editOwn`): our newest message of the room to edit in place,
   * or undefined (then Up walks the sent lines). Enter saves through `onEdit`, Esc cancels.
   */
  editLast?(): { id: string; text: string } | undefined;
  /** Saves an in-place edit of message `id`. */
  onEdit?(id: string, text: string): void;
  /** Drafts and sent lines per room key from the previous run (read at mount). */
  remembered?: { drafts?: Record<string, string>; sent?: Record<string, string[]> };
  /** A room's draft changed / a line was sent (the lines sent in the room, oldest first): to remember them. */
  onDraft?(room: string, text: string): void;
  onSent?(room: string, lines: readonly string[]): void;
  /** Where the composer's top-left cell is in the window (for the terminal cursor when there are no attributes). */
  origin?: { x: number; y: number };
  ref?: Ref<ComposerHandle>;
}

/** Max rows of a multi-line draft shown at once. */
export const MAX_COMPOSER_ROWS = 5;

interface Completion {
  start: number;
  end: number;
  candidates: string[];
  index: number;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Visible window of one line around the cursor, as [before, cursorChar, after] plain strings fitting `w` cells. */
export function windowLine(line: string, cursor: number | undefined, w: number): { before: string; at: string; after: string } {
  if (cursor === undefined) return { before: truncate(line, w), at: '', after: '' };
  const seg = graphemes;
  let before = line.slice(0, cursor);
  const restSegs = [...seg.segment(line.slice(cursor))].map((s) => s.segment);
  const at = restSegs[0] ?? ' ';
  const after = restSegs.slice(1).join('');
  const atW = Math.max(1, cellWidth(at));
  if (cellWidth(before) + atW > w) {
    const segs = [...seg.segment(before)].map((s) => s.segment);
    while (segs.length && cellWidth(segs.join('')) + atW > w - 1) segs.shift();
    before = `…${segs.join('')}`;
  }
  const room = Math.max(0, w - cellWidth(before) - atW);
  // drawn as measured: in the terminal form of wrap.ts (emoji sequences as their parts)
  return { before: terminalForm(before), at: terminalForm(at), after: truncate(after, room) };
}

/**
 * The length note of a draft against the service's limit (graphemes, send-policy.ts): undefined
 * below 80 % of the limit (and for /commands), `412/500` from there, `✗ 520/500 too long` over it.
 */
export function lengthCounter(text: string, max: number | undefined): { text: string; over: boolean } | undefined {
  if (max === undefined || max <= 0 || !text || (text.startsWith('/') && !text.startsWith('//')) || text.length < max * 0.8) return undefined;
  const n = graphemeCount(text);
  if (n < max * 0.8) return undefined;
  return n > max ? { text: `✗ ${n}/${max} too long`, over: true } : { text: `${n}/${max}`, over: false };
}

/**
 * The composer: Enter sends, Alt-Enter adds a line, readline editing
 * (editor.ts), Up/Down walk what was sent in THIS room, Tab completes names and /commands, a paste of
 * several lines is handed to the App to confirm. Keeps a draft per room. Typing indicators go out
 * through `runtime.setTyping` (the connector debounces). Its keystrokes re-render only itself.
 */
export const Composer = memo(function Composer(props: ComposerProps) {
  const { roomKey, width, disabledReason, note, active, ref, origin, maxLength } = props;
  const { setCursorPosition } = useCursor();
  const { runtime, theme } = useUi();
  // Editor state per room, read synchronously during render (a room switch shows that room's draft
  // in the same frame; keys that arrive before any effect ran edit the right room).
  const drafts = useRef<Map<string, EditorState> | null>(null);
  drafts.current ??= new Map(Object.entries(props.remembered?.drafts ?? {}).map(([k, text]) => [k, { ...emptyEditor, text, cursor: text.length }]));
  const [, bump] = useReducer((x: number) => x + 1, 0);
  const roomRef = useRef(roomKey);
  roomRef.current = roomKey;
  const current = (): EditorState => drafts.current!.get(roomRef.current ?? '') ?? emptyEditor;
  const st = current();
  const propsRef = useRef(props);
  propsRef.current = props;
  const histories = useRef<Map<string, HistoryCursor> | null>(null);
  histories.current ??= new Map(Object.entries(props.remembered?.sent ?? {}).map(([k, entries]) => [k, { entries: [...entries], index: entries.length, draft: '' }]));
  const completion = useRef<Completion | null>(null);
  const typingSentAt = useRef(0);
  // A /command line kept after an error (usage, unknown): typing `/` right away starts it over, so a
  // second try is never `/join/join …`; any other key edits the kept text.
  const retype = useRef<string | undefined>(undefined);
  // Room key → the id of our message being edited in place (Up on an empty composer).
  const editing = useRef(new Map<string, string>());
  const editId = editing.current.get(roomKey ?? '');
  // Ctrl-R: reverse search of the lines sent in this room (reverse-search.ts) while set.
  const search = useRef<ReverseSearch | null>(null);

  // Room switch: stop our typing indicator in the room we left.
  const typingRoom = useRef(roomKey);
  useEffect(() => {
    const prev = typingRoom.current;
    typingRoom.current = roomKey;
    completion.current = null;
    if (prev !== roomKey) search.current = null;
    if (prev !== roomKey && prev !== undefined && typingSentAt.current) runtime.setTyping(prev, false);
    if (prev !== roomKey) typingSentAt.current = 0;
  }, [roomKey, runtime]);

  const lines = st.text.split('\n');
  const rows = Math.min(MAX_COMPOSER_ROWS, lines.length);
  const height = disabledReason && !st.text ? 1 : rows;
  useEffect(() => {
    propsRef.current.onHeight(height);
  }, [height]);

  const update = (next: EditorState): void => {
    const prev = current();
    if (next === prev) return;
    const had = prev.text;
    drafts.current!.set(roomRef.current ?? '', next);
    if (next.text !== prev.text && roomRef.current) propsRef.current.onDraft?.(roomRef.current, next.text);
    bump();
    const key = roomRef.current;
    if (!key || next.text === had) return;
    const now = Date.now();
    if (next.text.trim() && now - typingSentAt.current > 2000 && !next.text.startsWith('/')) {
      typingSentAt.current = now;
      runtime.setTyping(key, true);
    } else if (!next.text.trim() && typingSentAt.current) {
      typingSentAt.current = 0;
      runtime.setTyping(key, false);
    }
  };
  const apply = (op: EditOp): void => update(edit(current(), op));

  const history = (): HistoryCursor => {
    const key = roomRef.current ?? '';
    let h = histories.current!.get(key);
    if (!h) {
      h = { entries: [], index: 0, draft: '' };
      histories.current!.set(key, h);
    }
    return h;
  };

  const submit = (): void => {
    const text = current().text;
    const key = roomRef.current;
    if (!text.trim()) return;
    const id = editing.current.get(key ?? '');
    if (id !== undefined) {
      editing.current.delete(key ?? '');
      propsRef.current.onEdit?.(id, text.replace(/\s+$/, ''));
      update({ ...emptyEditor, kill: current().kill });
      return;
    }
    const res = propsRef.current.onSubmit(text);
    if (res === 'keep') {
      if (!text.startsWith('/')) return;
      // Kept for editing with the cursor at the end; a bare command gets its space for the argument.
      const kept = /^\/\S+$/.test(text) ? `${text} ` : text;
      update({ ...current(), text: kept, cursor: kept.length });
      retype.current = kept;
      return;
    }
    const h = history();
    if (h.entries[h.entries.length - 1] !== text) h.entries.push(text);
    if (h.entries.length > 500) h.entries.shift();
    h.index = h.entries.length;
    if (key) propsRef.current.onSent?.(key, h.entries);
    h.draft = '';
    if (key && typingSentAt.current) runtime.setTyping(key, false);
    typingSentAt.current = 0;
    update({ ...emptyEditor, kill: current().kill });
  };

  const walkHistory = (dir: -1 | 1): boolean => {
    const h = history();
    const r = historyStep(h, dir, current().text);
    if (!r) return false;
    histories.current!.set(roomRef.current ?? '', r.h);
    update(edit(current(), { op: 'set', text: r.text }));
    return true;
  };

  const tab = (): void => {
    const s = current();
    let c = completion.current;
    if (!c) {
      const before = s.text.slice(0, s.cursor);
      const m = /(\S*)$/.exec(before);
      const word = m?.[1] ?? '';
      const start = s.cursor - word.length;
      const atLineStart = before.slice(0, start).trim() === '';
      const candidates = propsRef.current.complete(word, atLineStart);
      if (candidates.length === 0) return;
      c = { start, end: s.cursor, candidates, index: 0 };
    } else {
      c = { ...c, index: (c.index + 1) % c.candidates.length };
    }
    const pick = c.candidates[c.index] ?? '';
    const text = s.text.slice(0, c.start) + pick + s.text.slice(c.end);
    const end = c.start + pick.length;
    completion.current = { ...c, end };
    update({ ...s, text, cursor: end });
  };

  /** A key while searching: true when the search took it; other keys end the search (the match taken) and act as usual. */
  const searchKey = (ev: KeyEvent): boolean => {
    const rs = search.current!;
    const k = `${ev.ctrl ? 'C-' : ''}${ev.meta ? 'M-' : ''}${ev.name}`;
    if (ev.name === 'text') search.current = typeInSearch(rs, ev.text ?? '');
    else if (k === 'C-r') search.current = olderMatch(rs);
    else if (k === 'backspace' || k === 'C-h') search.current = backspaceSearch(rs);
    else if (k === 'escape') search.current = null;
    else {
      const m = searchMatch(rs);
      search.current = null;
      if (m) update(edit(current(), { op: 'set', text: m }));
      else bump();
      return k === 'enter';
    }
    bump();
    return true;
  };

  const handleKey = (ev: KeyEvent): boolean => {
    // Disabled (read-only, failed profile): only a /command can be typed.
    if (propsRef.current.disabledReason && !current().text && !(ev.name === 'text' && ev.text?.startsWith('/'))) return false;
    if (ev.name !== 'tab') completion.current = null;
    if (search.current && searchKey(ev)) return true;
    const s = current();
    const again = retype.current;
    retype.current = undefined;
    if (ev.name === 'text' && again !== undefined && s.text === again && s.cursor === again.length && ev.text?.startsWith('/')) {
      update(edit(s, { op: 'set', text: ev.text }));
      return true;
    }
    if (ev.name === 'text') {
      apply({ op: 'insert', text: ev.text ?? '' });
      return true;
    }
    const k = `${ev.ctrl ? 'C-' : ''}${ev.meta ? 'M-' : ''}${ev.name}`;
    switch (k) {
      case 'enter': submit(); return true;
      case 'M-enter': apply({ op: 'insert', text: '\n' }); return true;
      case 'backspace': case 'C-h': apply({ op: 'backspace' }); return true;
      case 'M-backspace': case 'C-backspace': apply({ op: 'killWordBack' }); return true;
      case 'delete': apply({ op: 'delete' }); return true;
      case 'C-d': if (!s.text) return false; apply({ op: 'delete' }); return true;
      case 'left': case 'C-b': apply({ op: 'left' }); return true;
      case 'right': case 'C-f': apply({ op: 'right' }); return true;
      case 'C-left': case 'M-left': case 'M-b': apply({ op: 'wordLeft' }); return true;
      case 'C-right': case 'M-right': case 'M-f': apply({ op: 'wordRight' }); return true;
      case 'home': case 'C-a': apply({ op: 'home' }); return true;
      case 'end': case 'C-e': apply({ op: 'end' }); return true;
      case 'C-w': apply({ op: 'killWordBack' }); return true;
      case 'M-d': apply({ op: 'killWordForward' }); return true;
      case 'C-u': apply({ op: 'killToStart' }); return true;
      case 'C-k': apply({ op: 'killToEnd' }); return true;
      case 'C-y': apply({ op: 'yank' }); return true;
      case 'tab': tab(); return true;
      case 'C-r':
        search.current = startSearch(history().entries);
        bump();
        return true;
      case 'up':
        if (!s.text && !editing.current.has(roomRef.current ?? '') && history().index >= history().entries.length) {
          const last = propsRef.current.editLast?.();
          if (last) {
            editing.current.set(roomRef.current ?? '', last.id);
            update(edit(s, { op: 'set', text: last.text }));
            return true;
          }
        }
        if (editing.current.has(roomRef.current ?? '')) {
          if (!onFirstLine(s)) apply({ op: 'up' });
          return true;
        }
        if (!onFirstLine(s)) apply({ op: 'up' });
        else walkHistory(-1);
        return true;
      case 'down':
        if (editing.current.has(roomRef.current ?? '')) {
          if (!onLastLine(s)) apply({ op: 'down' });
          return true;
        }
        if (!onLastLine(s)) apply({ op: 'down' });
        else walkHistory(1);
        return true;
      case 'escape':
        if (!editing.current.delete(roomRef.current ?? '')) return false;
        update({ ...emptyEditor, kill: s.kill });
        return true;
      default:
        return false;
    }
  };

  useImperativeHandle(ref, () => ({
    handleKey,
    isEmpty: () => current().text.length === 0,
    insert: (text: string) => apply({ op: 'insert', text }),
    setText: (text: string) => update(edit(current(), { op: 'set', text })),
  }));

  usePaste(
    (raw) => {
      // Always listening (so a paste never falls through to the key handlers as typed Enters);
      // dropped while an overlay is open or the composer is disabled.
      if (!propsRef.current.active || (propsRef.current.disabledReason && !current().text && !raw.startsWith('/'))) return;
      const text = raw.replace(/\r\n?/g, '\n');
      if (text.replace(/\n+$/, '').includes('\n')) propsRef.current.onMultiLinePaste(text.replace(/\n+$/, ''));
      else apply({ op: 'insert', text: text.replace(/\n+$/, '') });
    },
    { isActive: true },
  );

  if (disabledReason && !st.text) {
    return (
      <Box width={width} height={1}>
        <Text wrap="truncate" dimColor>
          {truncate(`✗ ${disabledReason}`, width)}
        </Text>
      </Box>
    );
  }
  if (search.current) {
    const rs = search.current;
    const label = `${rs.failing ? 'failing ' : ''}reverse-i-search '${rs.query}': `;
    return (
      <Box width={width} height={rows}>
        <Text wrap="truncate">
          <Text {...theme.fg('cyan')} bold>{'↶ '}</Text>
          <Text dimColor>{label}</Text>
          {truncate(terminalForm(searchMatch(rs).replace(/\n/g, ' ⏎ ')), Math.max(1, width - 2 - cellWidth(label)))}
        </Text>
      </Box>
    );
  }
  // Which lines to show: a window of MAX rows that contains the cursor line.
  const cursorLine = st.text.slice(0, st.cursor).split('\n').length - 1;
  const first = Math.max(0, Math.min(cursorLine - rows + 1, lines.length - rows));
  const counter = lengthCounter(st.text, maxLength);
  const noteText = editId !== undefined ? ' editing · Enter saves · Esc cancels' : note && !st.text ? ` ${note}` : counter ? ` ${counter.text}` : '';
  const w = Math.max(4, width - 2);
  let offset = 0;
  for (let i = 0; i < first; i++) offset += (lines[i] ?? '').length + 1;
  const out = [];
  let cursorX: number | undefined;
  for (let i = first; i < first + rows; i++) {
    const line = lines[i] ?? '';
    const cur = i === cursorLine ? st.cursor - offset : undefined;
    offset += line.length + 1;
    const win = windowLine(line, cur, w - (i === first && noteText ? cellWidth(noteText) : 0));
    if (cur !== undefined) cursorX = cellWidth(win.before);
    out.push(
      <Text key={i} wrap="truncate">
        <Text {...theme.fg('cyan')} bold>{i === 0 ? (editId !== undefined ? '✎ ' : '› ') : '  '}</Text>
        {win.before}
        {cur !== undefined && active ? <Text inverse>{win.at}</Text> : win.at}
        {win.after}
        {i === first && noteText ? counter?.over ? <Text bold {...theme.fg('red')}>{noteText}</Text> : <Text dimColor>{noteText}</Text> : null}
      </Text>,
    );
  }
  // Without text attributes (NO_COLOR / --no-color set chalk's level to 0) the inverse cursor cell is
  // invisible: show the terminal's own cursor there instead.
  if (chalk.level === 0 && active && origin && cursorX !== undefined) setCursorPosition({ x: origin.x + 2 + cursorX, y: origin.y + cursorLine - first });
  else setCursorPosition(undefined);
  return (
    <Box width={width} height={rows} flexDirection="column">
      {out}
    </Box>
  );
});
