/**
 * The `archive` config key: `false` turns the archive off; `true`, a missing key or an object turns it
 * on, with limits `maxAgeDays` (default 365) and `maxMessages` (default 1,000,000, over all profiles;
 * about 400 bytes each on disk with the search index). `0` means no limit of that kind.
 */

/** What the archive should do. */
export interface ArchiveSettings {
  enabled: boolean;
  maxAgeDays: number;
  maxMessages: number;
}

/** Defaults of {@link ArchiveSettings}. */
export const ARCHIVE_DEFAULTS: ArchiveSettings = { enabled: true, maxAgeDays: 365, maxMessages: 1_000_000 };

/**
 * The settings from the config's `archive` value (anything; the config schema checks its types).
 * Unusable numbers fall back to the defaults.
 */
export function archiveSettings(value: unknown): ArchiveSettings {
  if (value === false) return { ...ARCHIVE_DEFAULTS, enabled: false };
  if (!value || typeof value !== 'object') return { ...ARCHIVE_DEFAULTS };
  const o = value as Record<string, unknown>;
  const num = (v: unknown, d: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : d);
  return {
    enabled: o.enabled !== false,
    maxAgeDays: num(o.maxAgeDays, ARCHIVE_DEFAULTS.maxAgeDays),
    maxMessages: num(o.maxMessages, ARCHIVE_DEFAULTS.maxMessages),
  };
}
