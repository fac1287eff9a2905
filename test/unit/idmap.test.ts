import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdMap, hashId } from '../../src/core/idmap.js';

/** The store's id table gives exactly what a Map gives. */
describe('IdMap', () => {
  it('matches Map through inserts, updates, deletes (backward shift), growth and clear', () => {
    let seed = 3;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n; // high bits: an LCG's low bits repeat with a short period
    };
    for (const span of [3, 50, 5000]) {
      const t = new IdMap<number>();
      const ref = new Map<string, number>();
      for (let i = 0; i < 60_000; i++) {
        const n = rand(span);
        const id = n % 5 === 0 ? String(n) : n % 7 === 0 ? `ü-${n}-👋` : `m${n}`;
        const op = rand(10);
        if (op < 4) {
          // The store's pattern: a lookup (usually missing), then set — the set reuses the probe's slot.
          if (rand(2) === 0) assert.equal(t.get(id), ref.get(id), `get before set ${id}`);
          else if (rand(2) === 0) {
            const other = `m${rand(span)}`;
            assert.equal(t.has(other), ref.has(other));
          }
          t.set(id, i);
          ref.set(id, i);
        } else if (op < 7) {
          assert.equal(t.delete(id), ref.delete(id), `delete ${id}`);
        } else if (op < 8) {
          const v = ref.get(id);
          const guess = rand(2) === 0 && v !== undefined ? v : -1;
          const want = v !== undefined && v === guess;
          if (want) ref.delete(id);
          assert.equal(t.deleteValue(id, guess), want, `deleteValue ${id}`);
        } else if (op < 9) {
          assert.equal(t.get(id), ref.get(id), `get ${id}`);
          assert.equal(t.has(id), ref.has(id), `has ${id}`);
        } else if (rand(2000) === 0) {
          if (rand(2) === 0) t.clear();
          else t.reset();
          ref.clear();
        }
        assert.equal(t.size, ref.size);
      }
      for (const [k, v] of ref) assert.equal(t.get(k), v, k);
    }
  });

  it('finds ids whose hashes collide (compared by string only on a full hash match)', () => {
    // Ids with the same home slot in a small table, deleted from the middle of their run.
    const t = new IdMap<string>();
    const ids = Array.from({ length: 7 }, (_, i) => `id-${i}`);
    for (const id of ids) t.set(id, id.toUpperCase());
    assert.equal(t.delete('id-3'), true);
    for (const id of ids) assert.equal(t.get(id), id === 'id-3' ? undefined : id.toUpperCase(), id);
    assert.equal(t.get(''), undefined);
    t.set('', 'empty');
    assert.equal(t.get(''), 'empty');
    assert.notEqual(hashId(''), 0);
    assert.notEqual(hashId('a'), hashId('b'));
  });
});
