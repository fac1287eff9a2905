/**
 * Fuzzy matching for the room switcher: the query's
 * characters must appear in order (case-insensitive); consecutive runs, word starts and shorter
 * names score higher. Returns -1 for no match.
 */
export function fuzzyScore(query: string, candidate: string): number {
  const q = query.toLowerCase().replace(/\s+/g, '');
  const c = candidate.toLowerCase();
  if (!q) return 0;
  let score = 0;
  let ci = 0;
  let prev = -2;
  for (const ch of q) {
    const at = c.indexOf(ch, ci);
    if (at < 0) return -1;
    score += 1;
    if (at === prev + 1) score += 3;
    if (at === 0 || /[\s#_\-./:]/.test(c[at - 1] ?? '')) score += 2;
    prev = at;
    ci = at + 1;
  }
  if (c.startsWith(q)) score += 5;
  return score * 100 - c.length;
}

/** Items sorted by fuzzy score (best first), non-matching ones dropped; stable for equal scores. */
export function fuzzyFilter<T>(query: string, items: readonly T[], text: (t: T) => string): T[] {
  return items
    .map((item, i) => ({ item, i, s: fuzzyScore(query, text(item)) }))
    .filter((x) => x.s >= 0)
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.item);
}
