/**
 * A string-keyed hash table for the ingest hot path (issue 8 `ingest_ratio`): message ids → values,
 * used by the exactly-once set of the chatapi session (session.ts `BoundedSet`).
 *
 * Why not `Map`/`Set`: with ten thousands of ids, a probe walks a hash chain whose entries point at key
 * strings scattered over the heap, and every growth re-reads every key string for its hash. Under a
 * message flood those are cache misses on every message (measured: the exactly-once set was the
 * largest item of the connector's own time in a profile of `ingest_ratio`). (The session store's
 * `byId` Map was tried on this table too and measured no faster: it stays a Map.) Here the hashes sit in one `Int32Array`
 * (open addressing, linear probing, load ≤ 1/2): a probe for an id that is not there reads a few
 * adjacent integers and no string; a key string is compared only when its full 32-bit hash matches;
 * growth rehashes from the stored hashes; deletion shifts the run back (no tombstones).
 */

/** 32-bit FNV-1a hash of a string's UTF-16 code units; never 0 (0 marks an empty slot). */
export function hashId(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  // As a signed 32-bit integer (what the Int32Array gives back; '' never went through Math.imul).
  return h | 0 || 1;
}

const INITIAL = 16;

/** `n` undefined slots as a packed array (`new Array(n)` is holey, and a dictionary past ~100k). */
function emptyArray<T>(n: number): (T | undefined)[] {
  const a: (T | undefined)[] = [];
  for (let i = 0; i < n; i++) a.push(undefined);
  return a;
}

/** A `Map<string, V>` subset (get/has/set/delete/clear/size) on an open-addressing table; see the module comment. */
export class IdMap<V> {
  private hashes = new Int32Array(INITIAL);
  private keys: (string | undefined)[] = emptyArray<string>(INITIAL);
  private vals: (V | undefined)[] = emptyArray<V>(INITIAL);
  private count = 0;

  /** Number of ids in the table. */
  get size(): number {
    return this.count;
  }

  /** Slot of `id` (hash `h`), or -1. */
  private slot(id: string, h: number): number {
    const hashes = this.hashes;
    const mask = hashes.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = hashes[i] as number;
      if (x === 0) return -1;
      if (x === h && this.keys[i] === id) return i;
    }
  }

  /** The value of `id`, or undefined. */
  get(id: string): V | undefined {
    const i = this.slot(id, hashId(id));
    return i < 0 ? undefined : this.vals[i];
  }

  has(id: string): boolean {
    return this.slot(id, hashId(id)) >= 0;
  }

  /** Sets the value of `id` (adds it when absent). */
  set(id: string, value: V): this {
    const h = hashId(id);
    const at = this.slot(id, h);
    if (at >= 0) {
      this.vals[at] = value;
      return this;
    }
    if ((this.count + 1) * 2 > this.hashes.length) this.grow();
    const hashes = this.hashes;
    const mask = hashes.length - 1;
    let i = h & mask;
    while (hashes[i] !== 0) i = (i + 1) & mask;
    hashes[i] = h;
    this.keys[i] = id;
    this.vals[i] = value;
    this.count++;
    return this;
  }

  /** Removes `id`; false when it was not there. */
  delete(id: string): boolean {
    const i = this.slot(id, hashId(id));
    if (i < 0) return false;
    this.removeSlot(i);
    return true;
  }

  /** Removes `id` only while its value is `value` (one probe for `get(id) === value && delete(id)`). */
  deleteValue(id: string, value: V): boolean {
    const i = this.slot(id, hashId(id));
    if (i < 0 || this.vals[i] !== value) return false;
    this.removeSlot(i);
    return true;
  }

  /** Empties the table (back to its initial size). */
  clear(): void {
    this.hashes = new Int32Array(INITIAL);
    this.keys = emptyArray<string>(INITIAL);
    this.vals = emptyArray<V>(INITIAL);
    this.count = 0;
  }

  /** Empties the table and keeps its size (for a table that will fill up again). */
  reset(): void {
    this.hashes.fill(0);
    this.keys.fill(undefined);
    this.vals.fill(undefined);
    this.count = 0;
  }

  /** Backward-shift deletion: entries after `i` in its run move back when their home slot allows it. */
  private removeSlot(slot: number): void {
    const hashes = this.hashes;
    const keys = this.keys;
    const vals = this.vals;
    const mask = hashes.length - 1;
    let i = slot;
    let j = slot;
    for (;;) {
      j = (j + 1) & mask;
      const h = hashes[j] as number;
      if (h === 0) break;
      const home = h & mask;
      // The entry at j stays when its home lies cyclically in (i, j].
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue;
      hashes[i] = h;
      keys[i] = keys[j];
      vals[i] = vals[j];
      i = j;
    }
    hashes[i] = 0;
    keys[i] = undefined;
    vals[i] = undefined;
    this.count--;
  }

  private grow(): void {
    const oldHashes = this.hashes;
    const oldKeys = this.keys;
    const oldVals = this.vals;
    const cap = oldHashes.length * 2;
    const mask = cap - 1;
    const hashes = new Int32Array(cap);
    const keys = emptyArray<string>(cap);
    const vals = emptyArray<V>(cap);
    for (let j = 0; j < oldHashes.length; j++) {
      const h = oldHashes[j] as number;
      if (h === 0) continue;
      let i = h & mask;
      while (hashes[i] !== 0) i = (i + 1) & mask;
      hashes[i] = h;
      keys[i] = oldKeys[j];
      vals[i] = oldVals[j];
    }
    this.hashes = hashes;
    this.keys = keys;
    this.vals = vals;
  }
}
