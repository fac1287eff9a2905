/**
 * Time helpers. All outputs are ISO 8601 UTC strings (`Date.prototype.toISOString`).
 */

/** Parses a server time into ISO UTC. Accepts ISO 8601 with or without zone (no zone = UTC, never
 * local; date-only = midnight UTC), RFC 3339 with offset and nanoseconds, RFC 2822/HTTP dates with a
 * zone, unix seconds or ms (numbers or numeric strings; values below 1e11 are seconds).
 * Returns `fallback` (default: now) for anything else, including impossible dates (Feb 30). */
export function toIsoUtc(value: unknown, fallback?: string): string {
  // Fast path: a time already in the canonical form (what most servers send) is returned as it is.
  if (typeof value === 'string' && value.length === 24 && isCanonicalIso(value)) return value;
  return slowIsoUtc(value, fallback ?? new Date().toISOString());
}

/** `YYYY-MM-DDTHH:MM:SS.sssZ` with a real calendar day and hours ≤ 23, minutes and seconds ≤ 59: the exact
 * string `Date.prototype.toISOString` gives for it, so parsing and printing it again would change nothing. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const DIGIT0 = 48;

function two(s: string, i: number): number {
  return (s.charCodeAt(i) - DIGIT0) * 10 + (s.charCodeAt(i + 1) - DIGIT0);
}

function isCanonicalIso(s: string): boolean {
  if (!CANONICAL.test(s)) return false;
  const y = two(s, 0) * 100 + two(s, 2);
  const mo = two(s, 5);
  const d = two(s, 8);
  return y >= 100 && mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && two(s, 11) <= 23 && two(s, 14) <= 59 && two(s, 17) <= 59;
}

/**
 * ms since epoch of an ISO time, as `Date.parse` gives it (NaN when not a time); the canonical form
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (what `toIsoUtc` returns) is read digit by digit, without the date parser.
 */
export function isoToMs(s: string): number {
  if (s.length !== 24 || !isCanonicalIso(s)) return Date.parse(s);
  return Date.UTC(
    two(s, 0) * 100 + two(s, 2),
    two(s, 5) - 1,
    two(s, 8),
    two(s, 11),
    two(s, 14),
    two(s, 17),
    (s.charCodeAt(20) - DIGIT0) * 100 + two(s, 21),
  );
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
