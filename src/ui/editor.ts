/**
 * The composer's line editor as pure functions over an immutable state ("basic line editing",
 * readline keys). Cursor positions are UTF-16 offsets that always sit on a
 * grapheme boundary (emoji with ZWJ, combining marks move as one).
 */

/** Editor state: `text` may contain `\n` (multi-line with Alt-Enter); `kill` is the last killed text (Ctrl-Y yanks it). */
export interface EditorState {
  text: string;
  cursor: number;
  kill: string;
}

/** An empty composer: no text, cursor at 0, nothing killed. */
export const emptyEditor: EditorState = { text: '', cursor: 0, kill: '' };

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Offsets of every grapheme boundary of `s` (0 and s.length included). */
function boundaries(s: string): number[] {
  const out: number[] = [];
  for (const seg of segmenter.segment(s)) out.push(seg.index);
  out.push(s.length);
  return out;
}

function prevBoundary(s: string, pos: number): number {
  let prev = 0;
  for (const b of boundaries(s)) {
    if (b >= pos) return prev;
    prev = b;
  }
  return prev;
}

function nextBoundary(s: string, pos: number): number {
  for (const b of boundaries(s)) if (b > pos) return b;
  return s.length;
}

const isWordChar = (ch: string): boolean => /[\p{L}\p{N}_]/u.test(ch);

/** Start of the word before `pos` (readline backward-word: skip non-word chars, then word chars). */
function wordLeft(s: string, pos: number): number {
  let i = pos;
  while (i > 0 && !isWordChar(s[i - 1] ?? '')) i--;
  while (i > 0 && isWordChar(s[i - 1] ?? '')) i--;
  return i;
}

/** End of the word after `pos` (readline forward-word). */
function wordRight(s: string, pos: number): number {
  let i = pos;
  while (i < s.length && !isWordChar(s[i] ?? '')) i++;
  while (i < s.length && isWordChar(s[i] ?? '')) i++;
  return i;
}

/** Start of the whitespace-delimited word before `pos` (Ctrl-W, unix-word-rubout). */
function rubout(s: string, pos: number): number {
  let i = pos;
  while (i > 0 && /\s/.test(s[i - 1] ?? '')) i--;
  while (i > 0 && !/\s/.test(s[i - 1] ?? '')) i--;
  return i;
}

const lineStart = (s: string, pos: number): number => s.lastIndexOf('\n', pos - 1) + 1;
const lineEnd = (s: string, pos: number): number => {
  const i = s.indexOf('\n', pos);
  return i < 0 ? s.length : i;
};

/** Editing operations. `insert` carries the text; the rest are readline commands. */
export type EditOp =
  | { op: 'insert'; text: string }
  | { op: 'backspace' } | { op: 'delete' }
  | { op: 'left' } | { op: 'right' } | { op: 'wordLeft' } | { op: 'wordRight' }
  | { op: 'home' } | { op: 'end' }
  | { op: 'killWordBack' } | { op: 'killWordForward' } | { op: 'killToStart' } | { op: 'killToEnd' } | { op: 'yank' }
  | { op: 'up' } | { op: 'down' }
  | { op: 'set'; text: string };

/** Applies one operation; returns the same object when nothing changed. */
export function edit(st: EditorState, e: EditOp): EditorState {
  const { text, cursor } = st;
  switch (e.op) {
    case 'insert':
      return e.text ? { ...st, text: text.slice(0, cursor) + e.text + text.slice(cursor), cursor: cursor + e.text.length } : st;
    case 'set':
      return { ...st, text: e.text, cursor: e.text.length };
    case 'backspace': {
      if (cursor === 0) return st;
      const p = prevBoundary(text, cursor);
      return { ...st, text: text.slice(0, p) + text.slice(cursor), cursor: p };
    }
    case 'delete': {
      if (cursor >= text.length) return st;
      const n = nextBoundary(text, cursor);
      return { ...st, text: text.slice(0, cursor) + text.slice(n) };
    }
    case 'left':
      return cursor === 0 ? st : { ...st, cursor: prevBoundary(text, cursor) };
    case 'right':
      return cursor >= text.length ? st : { ...st, cursor: nextBoundary(text, cursor) };
    case 'wordLeft':
      return { ...st, cursor: wordLeft(text, cursor) };
    case 'wordRight':
      return { ...st, cursor: wordRight(text, cursor) };
    case 'home':
      return { ...st, cursor: lineStart(text, cursor) };
    case 'end':
      return { ...st, cursor: lineEnd(text, cursor) };
    case 'killWordBack': {
      const p = rubout(text, cursor);
      if (p === cursor) return st;
      return { text: text.slice(0, p) + text.slice(cursor), cursor: p, kill: text.slice(p, cursor) };
    }
    case 'killWordForward': {
      const p = wordRight(text, cursor);
      if (p === cursor) return st;
      return { text: text.slice(0, cursor) + text.slice(p), cursor, kill: text.slice(cursor, p) };
    }
    case 'killToStart': {
      const p = lineStart(text, cursor);
      if (p === cursor) return st;
      return { text: text.slice(0, p) + text.slice(cursor), cursor: p, kill: text.slice(p, cursor) };
    }
    case 'killToEnd': {
      const p = lineEnd(text, cursor);
      if (p === cursor) return st;
      return { text: text.slice(0, cursor) + text.slice(p), cursor, kill: text.slice(cursor, p) };
    }
    case 'yank':
      return st.kill ? edit(st, { op: 'insert', text: st.kill }) : st;
    case 'up': {
      const ls = lineStart(text, cursor);
      if (ls === 0) return st;
      const col = cursor - ls;
      const prevStart = lineStart(text, ls - 1);
      return { ...st, cursor: Math.min(prevStart + col, ls - 1) };
    }
    case 'down': {
      const le = lineEnd(text, cursor);
      if (le >= text.length) return st;
      const col = cursor - lineStart(text, cursor);
      const nextEnd = lineEnd(text, le + 1);
      return { ...st, cursor: Math.min(le + 1 + col, nextEnd) };
    }
  }
}

/** Whether the cursor is on the first / last line of a multi-line text (Up/Down then walk history). */
export function onFirstLine(st: EditorState): boolean {
  return st.text.lastIndexOf('\n', st.cursor - 1) < 0;
}

/** Whether the cursor is on the last line of a multi-line text (Down then walks the sent history). */
export function onLastLine(st: EditorState): boolean {
  return st.text.indexOf('\n', st.cursor) < 0;
}

/**
 * Sent-message history of one room, walked with Up/Down. `index === entries.length` means "not in
 * history" (the draft is kept in `draft`).
 */
export interface HistoryCursor {
  entries: string[];
  index: number;
  draft: string;
}

/** Moves through history; returns the new cursor and the text to show, or undefined when at an end. */
export function historyStep(h: HistoryCursor, dir: -1 | 1, current: string): { h: HistoryCursor; text: string } | undefined {
  const next = h.index + dir;
  if (next < 0 || next > h.entries.length) return undefined;
  const draft = h.index === h.entries.length ? current : h.draft;
  const text = next === h.entries.length ? draft : (h.entries[next] ?? '');
  return { h: { entries: h.entries, index: next, draft }, text };
}
