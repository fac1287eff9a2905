/**
 * String-keyed hash tables for the ingest hot path (issue 8 `ingest_ratio`): the session store's
 * id → message index and the chatapi connector's exactly-once set.
 *
 * Why not `Map`/`Set`: with ten thousands of ids, a probe walks a hash chain whose entries point at key
 * strings scattered over the heap, and each growth or tombstone clean-up allocates a new table and
 * re-reads every key string for its hash. Under a message flood those are cache misses on every message.
 * Here the hashes sit in one `Int32Array` (open addressing, linear probing, load ≤ 1/2): a probe for an
 * id that is not there reads a few adjacent integers and no string; a key string is compared only when
 * its full 32-bit hash matches; growth rehashes from the stored hashes; deletion shifts the run back
 * (no tombstones, so a table that stays the same size is never reallocated).
 */

/** 32-bit FNV-1a hash of a string's UTF-16 code units, as a signed 32-bit integer (what an Int32Array holds); never 0 (0 marks an empty slot). */
export function hashId(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  // `| 0`: '' never went through Math.imul, and 0x811c9dc5 unsigned would never equal the stored value.
  return h | 0 || 1;
}

const INITIAL = 16;

/**
 * A `Map<string, V>` subset (get/has/set/delete/clear/size) on an open-addressing table; see the module
 * comment. Keys and values share one array (key at 2i, value at 2i + 1: one cache line for both).
 * A `set` right after a `get` of the same missing id reuses that probe's end slot.
 */
export class IdMap<V> {
  private hashes = new Int32Array(INITIAL);
  private kv: unknown[] = new Array<unknown>(INITIAL * 2);
  private count = 0;
  // The last probe that missed: its id, hash and the empty slot it ended on (valid until the table changes).
  private missId: string | undefined;
  private missHash = 0;
  private missSlot = -1;

  /** Number of ids in the table. */
  get size(): number {
    return this.count;
  }

  /** Slot of `id` (hash `h`), or -1 (remembering the empty slot the probe ended on). */
  private slot(id: string, h: number): number {
    const hashes = this.hashes;
    const mask = hashes.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const x = hashes[i] as number;
      if (x === 0) {
        this.missId = id;
        this.missHash = h;
        this.missSlot = i;
        return -1;
      }
      if (x === h && this.kv[2 * i] === id) return i;
    }
  }

  /** The value of `id`, or undefined. */
  get(id: string): V | undefined {
    const i = this.slot(id, hashId(id));
    return i < 0 ? undefined : (this.kv[2 * i + 1] as V);
  }

  has(id: string): boolean {
    return this.slot(id, hashId(id)) >= 0;
  }

  /** Sets the value of `id` (adds it when absent). */
  set(id: string, value: V): this {
    let i: number;
    let h: number;
    if (id === this.missId && this.missSlot >= 0) {
      // The previous probe (a `get`/`has` that missed, table unchanged since) already found the place.
      i = this.missSlot;
      h = this.missHash;
    } else {
      h = hashId(id);
      const at = this.slot(id, h);
      if (at >= 0) {
        this.kv[2 * at + 1] = value;
        return this;
      }
      i = this.missSlot;
    }
    this.missSlot = -1;
    if ((this.count + 1) * 2 > this.hashes.length) {
      this.grow();
      const mask = this.hashes.length - 1;
      for (i = h & mask; this.hashes[i] !== 0; i = (i + 1) & mask);
    }
    this.hashes[i] = h;
    this.kv[2 * i] = id;
    this.kv[2 * i + 1] = value;
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
    if (i < 0 || this.kv[2 * i + 1] !== value) return false;
    this.removeSlot(i);
    return true;
  }

  /** Empties the table (back to its initial size). */
  clear(): void {
    this.hashes = new Int32Array(INITIAL);
    this.kv = new Array<unknown>(INITIAL * 2);
    this.count = 0;
    this.missSlot = -1;
  }

  /** Empties the table and keeps its size (for a table that will fill up again: no re-growth). */
  reset(): void {
    this.hashes.fill(0);
    this.kv.fill(undefined);
    this.count = 0;
    this.missSlot = -1;
  }

  /** Backward-shift deletion: entries after `slot` in its run move back when their home slot allows it. */
  private removeSlot(slot: number): void {
    this.missSlot = -1;
    const hashes = this.hashes;
    const kv = this.kv;
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
      kv[2 * i] = kv[2 * j];
      kv[2 * i + 1] = kv[2 * j + 1];
      i = j;
    }
    hashes[i] = 0;
    kv[2 * i] = undefined;
    kv[2 * i + 1] = undefined;
    this.count--;
  }

  private grow(): void {
    this.missSlot = -1;
    const oldHashes = this.hashes;
    const oldKv = this.kv;
    const cap = oldHashes.length * 2;
    const mask = cap - 1;
    const hashes = new Int32Array(cap);
    const kv = new Array<unknown>(cap * 2);
    for (let j = 0; j < oldHashes.length; j++) {
      const h = oldHashes[j] as number;
      if (h === 0) continue;
      let i = h & mask;
      while (hashes[i] !== 0) i = (i + 1) & mask;
      hashes[i] = h;
      kv[2 * i] = oldKv[2 * j];
      kv[2 * i + 1] = oldKv[2 * j + 1];
    }
    this.hashes = hashes;
    this.kv = kv;
  }
}
