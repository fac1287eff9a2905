/**
 * A set of string ids for the ingest hot path (issue 8 `ingest_ratio`): one generation of the chatapi
 * session's exactly-once set (session.ts `BoundedSet`).
 *
 * Why not `Set`: with ten thousands of ids, a probe walks a hash chain whose entries point at key
 * strings scattered over the heap, and every growth re-reads every key string for its hash. Under a
 * message flood those are cache misses on every message (measured: the exactly-once set was the largest
 * item of the connector's own time in a profile of `ingest_ratio`). Here the hashes sit in one
 * `Int32Array` (open addressing, linear probing, load ≤ 1/2): a probe for an id that is not there reads a
 * few adjacent integers and no string; a key string is compared only when its full 32-bit hash matches;
 * growth rehashes from the stored hashes. (The session store's `byId` Map was tried on such a table too
 * and measured no faster: it stays a Map.)
 */

import { hashId } from '../../core/idmap.js';

export { hashId };

const INITIAL = 16;

/** A `Set<string>` subset (add/has/size) plus `reset`; see the module comment. */
export class IdSet {
  private hashes = new Int32Array(INITIAL);
  private keys: (string | undefined)[] = new Array<string | undefined>(INITIAL);
  private count = 0;

  /** Number of ids in the set. */
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

  /** Whether `id` is in the set (`h`: its `hashId`, when the caller has it already). */
  has(id: string, h: number = hashId(id)): boolean {
    return this.slot(id, h) >= 0;
  }

  /** Adds `id` (`h`: its `hashId`, when the caller has it already); false when it was already there. */
  add(id: string, h: number = hashId(id)): boolean {
    if (this.slot(id, h) >= 0) return false;
    if ((this.count + 1) * 2 > this.hashes.length) this.grow();
    const hashes = this.hashes;
    const mask = hashes.length - 1;
    let i = h & mask;
    while (hashes[i] !== 0) i = (i + 1) & mask;
    hashes[i] = h;
    this.keys[i] = id;
    this.count++;
    return true;
  }

  /** Empties the set and keeps its table (for a set that will fill up again: no re-growth). */
  reset(): void {
    this.hashes.fill(0);
    this.keys.fill(undefined);
    this.count = 0;
  }

  private grow(): void {
    const oldHashes = this.hashes;
    const oldKeys = this.keys;
    const cap = oldHashes.length * 2;
    const mask = cap - 1;
    const hashes = new Int32Array(cap);
    const keys = new Array<string | undefined>(cap);
    for (let j = 0; j < oldHashes.length; j++) {
      const h = oldHashes[j] as number;
      if (h === 0) continue;
      let i = h & mask;
      while (hashes[i] !== 0) i = (i + 1) & mask;
      hashes[i] = h;
      keys[i] = oldKeys[j];
    }
    this.hashes = hashes;
    this.keys = keys;
  }
}
