/**
 * Time helpers. All outputs are ISO 8601 UTC strings (`Date.prototype.toISOString`).
 */

/** Parses a server time into ISO UTC. Accepts ISO with or without zone (no zone = UTC, never local),
 * RFC 3339 with offset and nanoseconds, unix seconds or ms (numbers or numeric strings).
 * Returns `fallback` (default: now) when unparseable. */
export function toIsoUtc(value: unknown, fallback: string = new Date().toISOString()): string {
  if (typeof value === 'number' && Number.isFinite(value)) {
    const ms = value < 1e11 ? value * 1000 : value;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? fallback : d.toISOString();
  }
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return fallback;
  if (/^\d+(\.\d+)?$/.test(value)) return toIsoUtc(Number(value), fallback);
  // Trim sub-millisecond digits (RFC 3339 nanoseconds) that Date cannot parse reliably.
  let s = value.trim().replace(/(\.\d{3})\d+/, '$1');
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s = s.replace(' ', 'T') + 'Z';
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? fallback : d.toISOString();
}
