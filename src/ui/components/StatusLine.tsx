import { Text } from 'ink';
import { sanitizeLine } from '../../core/sanitize.js';
import { memo, useRef } from 'react';
import type { NoticeLine } from '../../core/state.js';
import { useUi } from '../context.js';
import { connectionText } from '../format.js';
import { useNow } from '../hooks/useNow.js';
import { shallowEqual, useStore } from '../hooks/useStore.js';
import { cellWidth, truncate } from '../wrap.js';

/** A notice the UI itself produced (command errors, "nothing to retry"): shown like store notices. */
export interface UiNotice {
  time: number;
  level: 'info' | 'error';
  text: string;
}

/** How long a notice stays in the status line (ms). */
export const NOTICE_MS = 15_000;

/** As many whole ` · `-separated hints as fit `w` cells (never a hint cut in the middle). */
export function fitHints(hints: string, w: number): string {
  let out = '';
  for (const h of hints.split(' · ')) {
    const next = out ? `${out} · ${h}` : h;
    if (cellWidth(next) > w) break;
    out = next;
  }
  return out;
}

/** The newest notice for the shown `profile` and `room` (room id), or one of no profile. */
export function lastNoticeFor(notices: readonly NoticeLine[], profile: string | undefined, room: string | undefined): NoticeLine | undefined {
  for (let i = notices.length - 1; i >= 0; i--) {
    const n = notices[i];
    if (!n) continue;
    if (n.profile === '' || (n.profile === profile && (n.room === undefined || n.room === room))) return n;
  }
  return undefined;
}

/** Props: width, the profile and room (id) shown, key hints, and the newest UI-side notice. */
export interface StatusLineProps {
  width: number;
  profile: string | undefined;
  room?: string | undefined;
  hints: string;
  uiNotice: UiNotice | undefined;
}

/**
 * The status line: profile, its connection state (with the countdown "reconnecting in 3s"), key
 * hints, and the newest error/notice (store or UI) of the shown profile for 15 s ({@link NOTICE_MS}),
 * or until the profile connected again after it was said.
 */
export const StatusLine = memo(function StatusLine({ width, profile, room, hints, uiNotice }: StatusLineProps) {
  const { theme, options } = useUi();
  const p = useStore((s) => (profile ? s.profiles[profile] : undefined));
  // Only what concerns the room shown: lines of its profile (of its room, when a line names one) and
  // lines of no profile — one profile's error is not shown while another's room is displayed.
  const last = useStore((s) => lastNoticeFor(s.notices, profile, room), shallowEqual) as NoticeLine | undefined;
  const reconnecting = p?.state === 'reconnecting' && p.retryAt !== undefined;
  // The state line follows the connection: once the profile is connected again, what was said about it
  // before (a "reconnecting…", the socket's error) is over and no longer shown; lines of no profile
  // (a config problem) keep their time.
  const seen = useRef<{ profile: string | undefined; state: string | undefined; since: number }>({ profile, state: p?.state, since: 0 });
  if (seen.current.profile !== profile) seen.current = { profile, state: p?.state, since: 0 };
  else if (seen.current.state !== p?.state) seen.current = { profile, state: p?.state, since: Date.now() };
  const over = (time: number): boolean => p?.state === 'connected' && time < seen.current.since;
  const candidates: UiNotice[] = [];
  if (last && !(last.profile === profile && over(last.time))) candidates.push({ time: last.time, level: last.level, text: last.profile ? `${last.profile}: ${last.text}` : last.text });
  if (uiNotice && !over(uiNotice.time)) candidates.push(uiNotice);
  const newest = candidates.sort((a, b) => b.time - a.time)[0];
  const fresh = newest !== undefined && Date.now() - newest.time < NOTICE_MS;
  const now = useNow(1000, reconnecting || fresh);
  const notice = newest && now - newest.time < NOTICE_MS ? newest : undefined;
  const state = p ? connectionText(p, now) : 'no profile';
  const stateColor = p?.state === 'connected' ? 'green' : p?.state === 'failed' || p?.state === 'offline' ? 'red' : 'yellow';
  const left = `${options.title ?? 'chat-tui'} · ${profile ?? '-'} · `;
  const leftW = cellWidth(left) + cellWidth(state);
  const rest = Math.max(0, width - leftW - 1);
  const right = notice ? truncate(sanitizeLine(notice.text), rest) : fitHints(hints, rest);
  return (
    <Text wrap="truncate" inverse>
      {truncate(left, width)}
      <Text {...theme.fg(stateColor)}>{state}</Text>
      {' '}
      {notice ? <Text bold {...theme.fg(notice.level === 'error' ? 'red' : undefined)}>{notice.level === 'error' ? `${right}` : right}</Text> : <Text dimColor>{right}</Text>}
      {' '.repeat(Math.max(0, rest - cellWidth(right)))}
    </Text>
  );
});
