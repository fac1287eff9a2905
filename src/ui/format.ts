import type { UserRef } from '../core/events.js';
import { sanitizeLine } from '../core/sanitize.js';
import type { ProfileState, TypingUser } from '../core/state.js';

/**
 * Text formatting of the TUI: local times, day separators, the typing/presence bar and connection
 * states. Pure functions; times are ms since epoch.
 */

const pad2 = (n: number): string => String(n).padStart(2, '0');

/**
 * Formats `ts` (ms since epoch) in LOCAL time with a small pattern: `HH` hours 00-23, `hh` 01-12,
 * `mm` minutes, `ss` seconds, `a` am/pm. Default `HH:mm`. Other characters are kept.
 */
export function formatTime(ts: number, pattern = 'HH:mm'): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return '--:--';
  const h = d.getHours();
  return pattern.replace(/HH|hh|mm|ss|a/g, (t) => {
    switch (t) {
      case 'HH': return pad2(h);
      case 'hh': return pad2(h % 12 === 0 ? 12 : h % 12);
      case 'mm': return pad2(d.getMinutes());
      case 'ss': return pad2(d.getSeconds());
      default: return h < 12 ? 'am' : 'pm';
    }
  });
}

/** Local calendar day of `ts` as a comparable number (yyyymmdd). */
export function localDay(ts: number): number {
  const d = new Date(ts);
  return d.getFullYear() * 10000 + (d.getMonth() + 1) * 100 + d.getDate();
}

/** Day separator label in local time, e.g. `Tuesday, 24 November 2026` (locale-dependent). */
export function dayLabel(ts: number): string {
  const d = new Date(ts);
  if (Number.isNaN(d.getTime())) return 'unknown day';
  return d.toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' });
}

/**
 * The typing part of the bar: "" (nobody), "Jane is typing…", "Jane and Bob are typing…",
 * "Jane and 2 others are typing…". Users whose `until` has passed and our own user are left out.
 */
export function typingText(typing: readonly TypingUser[], now: number, selfId?: string): string {
  const names = typing.filter((t) => t.until > now && t.user.id !== selfId).map((t) => sanitizeLine(t.user.name || t.user.id));
  if (names.length === 0) return '';
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  return `${names[0]} and ${names.length - 1} others are typing…`;
}

/** "12 online" from a presence list (undefined when the service has no presence). */
export function onlineText(online: readonly UserRef[] | undefined): string {
  return online === undefined ? '' : `${online.length} online`;
}

/**
 * A profile's connection state for the status line and room list: `connected`, `connecting…`,
 * `reconnecting in 3s` (from `retryAt`), `offline`, `failed: reason`.
 */
export function connectionText(p: Pick<ProfileState, 'state' | 'reason' | 'retryAt'>, now: number): string {
  switch (p.state) {
    case 'connected': return 'connected';
    case 'connecting': return 'connecting…';
    case 'reconnecting': {
      if (p.retryAt !== undefined && p.retryAt > now) return `reconnecting in ${Math.ceil((p.retryAt - now) / 1000)}s`;
      return 'reconnecting…';
    }
    case 'offline': return p.reason ? `offline: ${p.reason}` : 'offline';
    case 'failed': return p.reason ? `failed: ${p.reason}` : 'failed';
  }
}

/** A one-character marker of a connection state for the room list (colour-free). */
export function connectionMarker(state: ProfileState['state']): string {
  switch (state) {
    case 'connected': return '●';
    case 'connecting':
    case 'reconnecting': return '◌';
    case 'offline': return '○';
    case 'failed': return '✗';
  }
}
