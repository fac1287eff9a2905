import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IdSet, hashId } from '../../src/connectors/chatapi/idset.js';

/** The chatapi exactly-once set's table gives exactly what a Set gives. */
describe('IdSet', () => {
  it('matches Set through adds, lookups, growth and reset', () => {
    let seed = 3;
    const rand = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n; // high bits: an LCG's low bits repeat with a short period
    };
    for (const span of [3, 50, 5000, 100_000]) {
      const t = new IdSet();
      const ref = new Set<string>();
      for (let i = 0; i < 60_000; i++) {
        const n = rand(span);
        const id = n === 1 ? '' : n % 5 === 0 ? String(n) : n % 7 === 0 ? `ü-${n}-👋` : `m${n}`;
        const op = rand(10);
        if (op < 6) {
          const fresh = !ref.has(id);
          ref.add(id);
          assert.equal(t.add(id), fresh, `add ${id}`);
        } else if (op < 9) {
          assert.equal(t.has(id), ref.has(id), `has ${id}`);
          assert.equal(t.has(id, hashId(id)), ref.has(id), `has with hash ${id}`);
        } else if (rand(3000) === 0) {
          t.reset();
          ref.clear();
        }
        assert.equal(t.size, ref.size);
      }
      for (const k of ref) assert.equal(t.has(k), true, k);
    }
  });

  it('hashes to a non-zero signed 32-bit integer, the empty id included', () => {
    for (const s of ['', 'a', 'b', 'm1', '550e8400-e29b-41d4-a716-446655440001', 'ü👋']) {
      const h = hashId(s);
      assert.equal(h, h | 0, s);
      assert.notEqual(h, 0, s);
    }
    assert.notEqual(hashId('a'), hashId('b'));
    const t = new IdSet();
    assert.equal(t.add(''), true);
    assert.equal(t.add(''), false);
    assert.equal(t.has(''), true);
  });
});
