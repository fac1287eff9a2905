import type { NoticeLine } from '../state.js';
import type { StoreCore } from './core.js';

/** The notice area: the last {@link NOTICE_CAP} errors and notices, oldest first (the array is replaced per line). */

/** How many notice lines the store keeps. */
export const NOTICE_CAP = 200;

/** Adds a line (time = the store's clock, ms since epoch). */
export function addNotice(s: StoreCore, profile: string, level: 'info' | 'error', text: string, room?: string): void {
  const line: NoticeLine = { id: ++s.noticeSeq, time: s.now(), profile, level, text };
  if (room !== undefined) line.room = room;
  const next = s.notices.length >= NOTICE_CAP ? s.notices.slice(s.notices.length - NOTICE_CAP + 1) : s.notices.slice();
  next.push(line);
  s.notices = next;
  s.changed();
}
