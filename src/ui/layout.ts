import type { Capabilities } from '../core/connector.js';

/**
 * The screen's layout: every width and height explicit, so the tree is never taller than the
 * window (Ink never scrolls). Room list on the left (hidden below {@link NARROW_COLS} columns unless
 * toggled), member list on the right (wide screens; narrow ones show it in place of the pane), the
 * main column: header, pane, typing bar (only when the service has typing or presence), composer;
 * the status line at the bottom.
 */

/** Width below which the room list is hidden behind a key ("narrower than 60 columns"). */
export const NARROW_COLS = 60;

/** The sizes in cells. */
export interface ScreenLayout {
  narrow: boolean;
  showRooms: boolean;
  roomW: number;
  memberW: number;
  mainW: number;
  /** Everything above the status line. */
  bodyH: number;
  typingRows: number;
  paneH: number;
}

/** Computes the layout for a `columns`×`rows` window. */
export function screenLayout(o: { columns: number; rows: number; roomsToggled: boolean; showMembers: boolean; caps: Capabilities | undefined; composerRows: number }): ScreenLayout {
  const narrow = o.columns < NARROW_COLS;
  const showRooms = narrow ? o.roomsToggled : !o.roomsToggled;
  const roomW = showRooms ? Math.min(narrow ? 18 : 28, Math.max(12, Math.floor(o.columns * (narrow ? 0.36 : 0.22)))) : 0;
  const memberW = o.showMembers && !narrow ? Math.min(24, Math.max(14, Math.floor(o.columns * 0.2))) : 0;
  const mainW = Math.max(10, o.columns - roomW - memberW);
  const bodyH = Math.max(1, o.rows - 1);
  const typingRows = o.caps && (o.caps.typingReceive || o.caps.presence) ? 1 : 0;
  const paneH = Math.max(0, bodyH - 1 - typingRows - o.composerRows);
  return { narrow, showRooms, roomW, memberW, mainW, bodyH, typingRows, paneH };
}
