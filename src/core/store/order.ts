import type { StoredMessage } from '../state.js';
import { isoToMs } from '../time.js';

/**
 * The order of a room's timeline: messages sorted by (server time in ms, id), and the sorted-array
 * operations the timeline uses (binary search, in-place merge).
 */

const DIGITS = /^\d+$/;

/** Whether `s` is all ASCII digits (a numeric id: compared by value, matched as a mention only with `@`). */
export function isDigits(s: string): boolean {
  return DIGITS.test(s);
}

/** Compares two ids: all-digit ids numerically (by length, then digits), anything else by code unit. */
export function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  if (DIGITS.test(a) && DIGITS.test(b)) {
    const na = a.replace(/^0+(?=\d)/, '');
    const nb = b.replace(/^0+(?=\d)/, '');
    if (na.length !== nb.length) return na.length - nb.length;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Order of messages in a room: server time (ms), then id. */
export function compareMessages(a: { ts: number; id: string }, b: { ts: number; id: string }): number {
  return a.ts - b.ts || compareIds(a.id, b.id);
}

/** Parses an ISO time to ms since epoch; `fallback` when it is not a valid time. */
export function parseTs(time: string, fallback: number): number {
  const t = isoToMs(time);
  return Number.isFinite(t) ? t : fallback;
}

/** First index whose message is not before `m` in (ts, id) order. */
export function lowerBound(arr: StoredMessage[], m: { ts: number; id: string }): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareMessages(arr[mid] as StoredMessage, m) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Merges sorted `add` into sorted `arr` in place (O(n + k), the array keeps its identity). */
export function mergeInto(arr: StoredMessage[], add: StoredMessage[]): void {
  const n = arr.length;
  const k = add.length;
  if (k === 0) return;
  for (const m of add) arr.push(m); // grow without holes; slots >= n are overwritten below
  let i = n - 1;
  let j = k - 1;
  let w = n + k - 1;
  while (j >= 0) {
    if (i >= 0 && compareMessages(arr[i] as StoredMessage, add[j] as StoredMessage) > 0) arr[w--] = arr[i--] as StoredMessage;
    else arr[w--] = add[j--] as StoredMessage;
  }
}
