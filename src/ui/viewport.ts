import type { StoredMessage } from '../core/state.js';
import { type LayoutOptions, type RowCache, rowCache, rowsOf } from './lines.js';

/**
 * Virtual scrolling of the message pane. The scroll position is
 * an ANCHOR: the bottom row of the view is row `line` of message `id` (rows include the day/new
 * separators before the message). Arrivals below, backfill above and edits of other messages do not
 * move what the user reads; `null` means "stuck to the bottom". The work of every function here is
 * proportional to the rows on screen (plus the rows scrolled over), never to the scrollback: the
 * anchor is found by binary search on (ts, id) and only the messages on screen are laid out.
 */

/** Bottom row of the view = row `line` of the message with this `id` (`ts` for the binary search). */
export interface ScrollPos {
  id: string;
  ts: number;
  line: number;
}

/** What the pane shows. `rows.length <= height`; `atTop`: the first loaded message's first row is visible. */
export interface Viewport {
  rows: string[];
  pos: ScrollPos | null;
  atTop: boolean;
  /** Index of the message of the bottom row (-1 when empty). */
  bottomIndex: number;
}

/**
 * Index of the message at `pos` in `msgs` (sorted by ts, then id): binary search for the first
 * message with ts ≥ pos.ts, then a scan of equal timestamps for the id. When the id is gone
 * (cleared, dropped by the scrollback limit, a local echo replaced), the nearest message at or
 * before that time. Returns -1 only for an empty list.
 */
export function findIndex(msgs: readonly StoredMessage[], pos: Pick<ScrollPos, 'id' | 'ts'>): number {
  if (msgs.length === 0) return -1;
  let lo = 0;
  let hi = msgs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((msgs[mid]?.ts ?? 0) < pos.ts) lo = mid + 1;
    else hi = mid;
  }
  for (let i = lo; i < msgs.length && (msgs[i]?.ts ?? 0) === pos.ts; i++) if (msgs[i]?.id === pos.id) return i;
  // Not at its time: maybe its time changed (echo confirmed with the server's time) — look near the end.
  for (let i = msgs.length - 1; i >= Math.max(0, msgs.length - 200); i--) if (msgs[i]?.id === pos.id) return i;
  return Math.max(0, Math.min(msgs.length - 1, lo - 1));
}

function posAt(msgs: readonly StoredMessage[], i: number, line: number): ScrollPos {
  const m = msgs[i];
  return { id: m?.id ?? '', ts: m?.ts ?? 0, line };
}

/** Inputs shared by the functions below. */
export interface PaneModel {
  messages: readonly StoredMessage[];
  firstUnread: number;
  layout: LayoutOptions;
  height: number;
  cache?: RowCache;
}

const rowsAt = (p: PaneModel, i: number): string[] => rowsOf(p.messages, i, p.firstUnread, p.layout, p.cache ?? rowCache);

/** The position of the very last row, or null for an empty room. */
function bottomPos(p: PaneModel): { i: number; line: number } | null {
  const i = p.messages.length - 1;
  if (i < 0) return null;
  return { i, line: rowsAt(p, i).length - 1 };
}

/** Resolves `pos` to (index, line), clamping the line to the message's rows. */
function resolve(p: PaneModel, pos: ScrollPos | null): { i: number; line: number } | null {
  if (pos === null) return bottomPos(p);
  const i = findIndex(p.messages, pos);
  if (i < 0) return null;
  const n = rowsAt(p, i).length;
  return { i, line: Math.max(0, Math.min(n - 1, pos.line)) };
}

/** Collects up to `height` rows ending at (i, line), walking up; `atTop` when row 0 of message 0 was taken. */
function collectUp(p: PaneModel, i: number, line: number, height: number): { rows: string[]; atTop: boolean } {
  const rev: string[] = [];
  let atTop = false;
  for (let idx = i; idx >= 0 && rev.length < height; idx--) {
    const r = rowsAt(p, idx);
    let k = Math.min(idx === i ? line : r.length - 1, r.length - 1);
    for (; k >= 0 && rev.length < height; k--) rev.push(r[k] ?? '');
    if (idx === 0 && k < 0) atTop = true;
  }
  rev.reverse();
  return { rows: rev, atTop };
}

/** Collects `height` rows starting at row 0 of message 0, walking down; null pos when the end is reached. */
function topFill(p: PaneModel, height: number): { rows: string[]; pos: ScrollPos | null; bottomIndex: number } {
  const rows: string[] = [];
  for (let i = 0; i < p.messages.length; i++) {
    const r = rowsAt(p, i);
    for (let k = 0; k < r.length; k++) {
      rows.push(r[k] ?? '');
      if (rows.length === height) {
        const last = i === p.messages.length - 1 && k === r.length - 1;
        return { rows, pos: last ? null : posAt(p.messages, i, k), bottomIndex: i };
      }
    }
  }
  return { rows, pos: null, bottomIndex: p.messages.length - 1 };
}

/**
 * The rows to show for `pos`. At the bottom (`null`) the last rows are shown; a position whose view
 * would run past the top of the loaded messages is clamped so the first row is at the top.
 */
export function computeView(p: PaneModel, pos: ScrollPos | null): Viewport {
  const height = Math.max(0, p.height);
  const at = resolve(p, pos);
  if (!at || height === 0) return { rows: [], pos: null, atTop: true, bottomIndex: at ? at.i : -1 };
  const { rows, atTop } = collectUp(p, at.i, at.line, height);
  if (pos !== null && atTop && rows.length < height) {
    const t = topFill(p, height);
    return { rows: t.rows, pos: t.pos, atTop: true, bottomIndex: t.bottomIndex };
  }
  const isBottom = at.i === p.messages.length - 1 && at.line === rowsAt(p, at.i).length - 1;
  return { rows, pos: isBottom ? null : posAt(p.messages, at.i, at.line), atTop, bottomIndex: at.i };
}

/**
 * Moves the view by `delta` rows (negative = up, towards older). Returns the new position (null =
 * bottom) and whether the view now shows the first loaded row (`atTop`: time to fetch older history).
 */
export function scrollBy(p: PaneModel, pos: ScrollPos | null, delta: number): { pos: ScrollPos | null; atTop: boolean } {
  const at = resolve(p, pos);
  if (!at) return { pos: null, atTop: true };
  let { i, line } = at;
  if (delta < 0) {
    line += delta;
    while (line < 0 && i > 0) {
      i--;
      line += rowsAt(p, i).length;
    }
    if (line < 0) line = 0;
  } else if (delta > 0) {
    line += delta;
    let n = rowsAt(p, i).length;
    while (line >= n) {
      if (i === p.messages.length - 1) return { pos: null, atTop: computeView(p, null).atTop };
      line -= n;
      i++;
      n = rowsAt(p, i).length;
    }
  }
  const isBottom = i === p.messages.length - 1 && line === rowsAt(p, i).length - 1;
  const next = isBottom ? null : posAt(p.messages, i, line);
  const v = computeView(p, next === null ? null : next);
  return { pos: v.pos, atTop: v.atTop };
}

/** The position that shows the first loaded row at the top (Home); null when everything fits. */
export function topPos(p: PaneModel): ScrollPos | null {
  return topFill(p, Math.max(1, p.height)).pos;
}

/** Messages after the one with `lastSeen` (the "N new" count while scrolled up). */
export function countAfter(msgs: readonly StoredMessage[], lastSeen: Pick<ScrollPos, 'id' | 'ts'> | undefined): number {
  if (!lastSeen || msgs.length === 0) return 0;
  const i = findIndex(msgs, lastSeen);
  const m = msgs[i];
  if (m && m.id !== lastSeen.id && m.ts < lastSeen.ts) return msgs.length - 1 - i;
  return Math.max(0, msgs.length - 1 - i);
}
