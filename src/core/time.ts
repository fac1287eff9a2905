/**
 * Time helpers. All outputs are ISO 8601 UTC strings (`Date.prototype.toISOString`).
 */

/** Parses a server time into ISO UTC. Accepts ISO 8601 with or without zone (no zone = UTC, never
 * local; date-only = midnight UTC), RFC 3339 with offset and nanoseconds, RFC 2822/HTTP dates with a
 * zone, unix seconds or ms (numbers or numeric strings; values below 1e11 are seconds).
 * Returns `fallback` (default: now) for anything else, including impossible dates (Feb 30). */
export function toIsoUtc(value: unknown, fallback: string = new Date().toISOString()): string {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ms = value < 1e11 ? value * 1000 : value;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? fallback : d.toISOString();
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return fallback;
  // Only shapes we understand: V8's legacy parser would turn garbage like "-5" into a LOCAL date.
  let s = value.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return toIsoUtc(Number(s), fallback);
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
  const [y, mo, d] = ymd.split('-').map(Number) as [number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}
