/**
 * The one bounded id set of the client (seen message ids for exactly-once delivery, `tail`'s printed
 * keys): it remembers at least the last `limit` ids and at most the last 2 × `limit`, in two
 * generations — when the newer fills up to `limit` it becomes the older and the previous older is
 * dropped whole. Dropping a generation whole costs nothing per add; evicting the oldest id one by one
 * costs a Set iterator per add that walks over the deleted slots at the front (the hot spot of a flood).
 */
export class BoundedSet {
  private current = new Set<string>();
  private previous = new Set<string>();
  private readonly limit: number;

  /** `limit`: how many of the most recent ids are always remembered (at least 1). */
  constructor(limit: number) {
    this.limit = Math.max(1, Math.floor(limit));
  }

  /** Whether `id` is remembered. */
  has(id: string): boolean {
    return this.current.has(id) || this.previous.has(id);
  }

  /** Adds `id`; returns false when it was already there (a duplicate; it counts as recent again). */
  add(id: string): boolean {
    const cur = this.current;
    const size = cur.size;
    cur.add(id);
    if (cur.size === size) return false;
    const known = this.previous.size !== 0 && this.previous.has(id);
    if (cur.size >= this.limit) {
      this.previous = cur;
      this.current = new Set();
    }
    return !known;
  }

  /** Forgets `id` (a send that failed before the server kept it). */
  delete(id: string): void {
    this.current.delete(id);
    this.previous.delete(id);
  }

  /** How many ids are remembered now (between 0 and 2 × limit). */
  get size(): number {
    return this.current.size + this.previous.size;
  }
}
