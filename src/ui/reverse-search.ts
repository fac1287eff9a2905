/**
 * Reverse search of sent lines (readline's Ctrl-R, reverse-i-search): pure steps over the lines sent
 * in a room (oldest first). The composer keeps one {@link ReverseSearch} while searching.
 */

/** A search in progress: the typed `query`, the index of the shown match in `entries` (-1: none yet), `failing` when the last step found nothing. */
export interface ReverseSearch {
  entries: readonly string[];
  query: string;
  at: number;
  failing: boolean;
}

/** The newest entry at or before index `from` that contains `query` (case-insensitive), or -1. */
export function findBack(entries: readonly string[], query: string, from: number): number {
  const q = query.toLowerCase();
  for (let i = Math.min(from, entries.length - 1); i >= 0; i--) if (entries[i]!.toLowerCase().includes(q)) return i;
  return -1;
}

/** A new search over `entries`: the empty query shows the newest line. */
export function startSearch(entries: readonly string[]): ReverseSearch {
  return { entries, query: '', at: entries.length - 1, failing: false };
}

/** The search after typing `text`: the shown match stays while it still matches, else the next older one. */
export function typeInSearch(s: ReverseSearch, text: string): ReverseSearch {
  const query = s.query + text;
  const at = findBack(s.entries, query, s.at < 0 ? s.entries.length - 1 : s.at);
  return at < 0 ? { ...s, query, failing: true } : { ...s, query, at, failing: false };
}

/** The search after Backspace: one character less, searched again from the newest line. */
export function backspaceSearch(s: ReverseSearch): ReverseSearch {
  const query = [...s.query].slice(0, -1).join('');
  const at = findBack(s.entries, query, s.entries.length - 1);
  return { ...s, query, at, failing: at < 0 && s.entries.length > 0 };
}

/** Ctrl-R again: the next older match (the shown one stays, `failing`, when there is none). */
export function olderMatch(s: ReverseSearch): ReverseSearch {
  const at = findBack(s.entries, s.query, s.at - 1);
  return at < 0 ? { ...s, failing: true } : { ...s, at, failing: false };
}

/** The line a search shows (and Enter takes into the composer), or '' without a match. */
export function searchMatch(s: ReverseSearch): string {
  return s.at >= 0 && !(s.failing && s.query && !s.entries[s.at]?.toLowerCase().includes(s.query.toLowerCase())) ? (s.entries[s.at] ?? '') : '';
}
