/**
 * Time helpers. All outputs are ISO 8601 UTC strings (`Date.prototype.toISOString`).
 */

/** Parses a server time into ISO UTC. Accepts ISO 8601 with or without zone (no zone = UTC, never
 * local; date-only = midnight UTC), RFC 3339 with offset and nanoseconds, RFC 2822/HTTP dates with a
 * zone, unix seconds or ms (numbers or numeric strings; values below 1e11 are seconds).
 * Returns `fallback` (default: now) for anything else, including impossible dates (Feb 30). */
export function toIsoUtc(value: unknown, fallback?: string): string {
  // Fast path: a time already in the canonical form (what most servers send) is returned as it is.
  if (typeof value === 'string' && !Number.isNaN(canonicalMs(value))) return value;
  return slowIsoUtc(value, fallback ?? new Date().toISOString());
}

const DIGIT0 = 48;

function two(s: string, i: number): number {
  return (s.charCodeAt(i) - DIGIT0) * 10 + (s.charCodeAt(i + 1) - DIGIT0);
}

/** Whether the character at `i` is an ASCII digit. */
function digit(s: string, i: number): boolean {
  return s.charCodeAt(i) - DIGIT0 >>> 0 <= 9;
}

// One-entry cache of the last canonical time read (bench figure `ingest_ratio`): a connector reads a message's
// time with `toIsoUtc` and the store reads the same string with `isoToMs` right after; the second read is
// one string comparison. Keyed by the string's value, so it can never give a wrong answer.
let lastIso = '';
let lastMs = 0;
// The minute (`YYYY-MM-DDTHH:MM:`, a valid one) of the last canonical time read, and its ms.
let lastMinute = '';
let lastMinuteMs = 0;

/**
 * ms since epoch of `s` when it is exactly `YYYY-MM-DDTHH:MM:SS.sssZ` with a real calendar day, a year of
 * at least 100, hours ≤ 23, minutes and seconds ≤ 59 — the string `Date.prototype.toISOString` gives for
 * that time, so parsing and printing it again would change nothing — else NaN. Read character by
 * character (no regex, no date parser); the result equals `Date.parse(s)`.
 */
function canonicalMs(s: string): number {
  if (s.length !== 24) return NaN;
  if (s === lastIso) return lastMs;
  // Times of a flood share their date, hour and minute (`YYYY-MM-DDTHH:MM:`) with the previous one:
  // then only `SS.sssZ` is left to check (one prefix comparison instead of 17 characters and the calendar).
  if (lastMinute !== '' && s.startsWith(lastMinute)) {
    const ms = lastMinuteMs + secondsMs(s);
    if (Number.isNaN(ms)) return NaN;
    lastIso = s;
    lastMs = ms;
    return ms;
  }
  if (
    !digit(s, 0) || !digit(s, 1) || !digit(s, 2) || !digit(s, 3) || s.charCodeAt(4) !== 45 /* - */ ||
    !digit(s, 5) || !digit(s, 6) || s.charCodeAt(7) !== 45 || !digit(s, 8) || !digit(s, 9) ||
    s.charCodeAt(10) !== 84 /* T */ || !digit(s, 11) || !digit(s, 12) || s.charCodeAt(13) !== 58 /* : */ ||
    !digit(s, 14) || !digit(s, 15) || s.charCodeAt(16) !== 58
  )
    return NaN;
  const y = two(s, 0) * 100 + two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  const h = two(s, 11);
  const mi = two(s, 14);
  if (y < 100 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59) return NaN;
  const minuteMs = daysFromCivil(y, mo, d) * 86_400_000 + h * 3_600_000 + mi * 60_000;
  const ms = minuteMs + secondsMs(s);
  if (Number.isNaN(ms)) return NaN;
  lastMinute = s.slice(0, 17);
  lastMinuteMs = minuteMs;
  lastIso = s;
  lastMs = ms;
  return ms;
}

/** ms into its minute of the `SS.sssZ` that ends a 24-character ISO time `s` (seconds ≤ 59), else NaN. */
function secondsMs(s: string): number {
  if (!digit(s, 17) || !digit(s, 18) || s.charCodeAt(19) !== 46 /* . */ || !digit(s, 20) || !digit(s, 21) || !digit(s, 22) || s.charCodeAt(23) !== 90 /* Z */) return NaN;
  const sec = two(s, 17);
  return sec > 59 ? NaN : sec * 1000 + (s.charCodeAt(20) - DIGIT0) * 100 + two(s, 21);
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`), for years ≥ 0. */
function daysFromCivil(y: number, mo: number, d: number): number {
  const yy = mo <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/**
 * ms since epoch of an ISO time, as `Date.parse` gives it (NaN when not a time); the canonical form
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (what `toIsoUtc` returns) is read digit by digit, without the date parser,
 * and the time `toIsoUtc` has just checked costs one string comparison.
 */
export function isoToMs(s: string): number {
  const ms = canonicalMs(s);
  return Number.isNaN(ms) ? Date.parse(s) : ms;
}

/** Days of month `mo` (1–12) of year `y` (proleptic Gregorian, as Date uses). */
function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

function slowIsoUtc(value: unknown, fallback: string): string {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ms = value < 1e11 ? value * 1000 : value;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? fallback : d.toISOString();
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return fallback;
  // Only shapes we understand: V8's legacy parser would turn garbage like "-5" into a LOCAL date.
  let s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return slowIsoUtc(Number(s), fallback);
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    // ISO 8601 / RFC 3339. Trim sub-millisecond digits (nanoseconds) that Date cannot parse reliably.
    s = s.toUpperCase().replace(/(\.\d{3})\d+/, '$1');
    const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/.exec(s);
    if (!m || !validDay(m[1] as string)) return fallback;
    // No zone = UTC, never local (facts: servers send zone-less UTC).
    s = m[2] === undefined ? `${m[1]}T00:00:00Z` : `${m[1]}T${m[2]}${m[3] ?? 'Z'}`;
  } else if (!/^[A-Za-z]{3}, \d{1,2} [A-Za-z]{3} \d{4} \d{2}:\d{2}(:\d{2})? (GMT|UTC|UT|Z|[+-]\d{4})$/.test(s)) {
    // RFC 2822 / HTTP dates only with an explicit zone.
    return fallback;
  }
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? fallback : d.toISOString();
}

/** `YYYY-MM-DD` names a real calendar day (Date would roll Feb 30 over to March). */
function validDay(ymd: string): boolean {
  const y = two(ymd, 0) * 100 + two(ymd, 2);
  const mo = two(ymd, 5);
  const d = two(ymd, 8);
  // Years below 100 are refused, as before (Date.UTC would read them as 19xx).
  return y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo);
}
