import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_GRAPHEME_CODE_POINTS, MAX_LINE_CHARS, MAX_MARKS_PER_GRAPHEME, clipWords, ellipsize, sanitize, sanitizeLine } from '../../src/core/sanitize.js';

// Hostile input: the vector table lives in test/fixtures/hostile.ts (shared with the UI and CLI tests).

import { BEL, E, HOSTILE } from '../fixtures/hostile.js';

const BENIGN: string[] = [
  'plain ASCII text, with punctuation! (and numbers 123)',
  '日本語のテキストと中文和한국어',
  'emoji 👍🏽 family 👨‍👩‍👧‍👦 flag 🇳🇿 keycap 1️⃣',
  'accents: café naïve Ångström, combining e\u0301 and n\u0303',
  'RTL text itself is fine: שלום עולם and مرحبا بالعالم',
  'ZWNJ in Persian: می\u200Cخواهم',
  'multi\nline\twith tabs',
  'Hebrew with points and cantillation: שָׁ֣לוֹם בְּרֵאשִׁ֖ית',
  'Tibetan stacks: བསྒྲུབས་ ཧཱུྃ',
  'Vietnamese, decomposed: Tie\u0302\u0301ng Vie\u0323\u0302t',
  'Devanagari conjuncts: क्षत्रिय राष्ट्र स्त्री',
  'emoji sequences: 👨🏻‍👩🏻‍👧🏻‍👦🏻 👩‍❤️‍💋‍👨 🏳️‍🌈 🏴󠁧󠁢󠁳󠁣󠁴󠁿 #️⃣ 🧑🏽‍🦰',
  'Hangul: 한국어 and old jamo ᄀᆞᆨ',
  'math ∑ ∫ ≠ and box ┌─┐ and arrows → ←',
  'code: `const x = a[0] ?? "b";` and \\e[31m written as text',
  '',
];

/** The invariants every output must hold. */
function assertClean(out: string, name: string): void {
  assert.ok(!out.includes(E), `${name}: ESC remains`);
  assert.ok(!/[\u0000-\u0008\u000b-\u001f\u007f]/.test(out), `${name}: C0/DEL remains`);
  assert.ok(!/[\u0080-\u009f]/.test(out), `${name}: C1 remains`);
  assert.ok(!/[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]/.test(out), `${name}: bidi control remains`);
  assert.ok(out.isWellFormed(), `${name}: lone surrogate remains`);
}

describe('sanitize: hostile vectors', () => {
  it('has at least 50 vectors', () => {
    assert.ok(HOSTILE.length >= 50, `${HOSTILE.length}`);
  });
  for (const [name, input, expected] of HOSTILE) {
    it(name, () => {
      const out = sanitize(input);
      assertClean(out, name);
      if (expected !== null) assert.equal(out, expected);
      const line = sanitizeLine(input);
      assertClean(line, `${name} (line)`);
      assert.ok(!/[\n\t]/.test(line), `${name}: sanitizeLine leaves no newline/tab`);
      assert.equal(sanitize(out), out, `${name}: idempotent`);
    });
  }

  it('the invariants hold for every vector embedded in a name, a room name and an error text', () => {
    for (const [name, input] of HOSTILE.slice(0, 70)) {
      for (const wrap of [(s: string) => `Jane${s}`, (s: string) => `#room ${s} topic`, (s: string) => `error: ${s} (code 4001)`]) {
        assertClean(sanitizeLine(wrap(input)), name);
      }
    }
  });

  it('random control soup never leaves a control behind', () => {
    let seed = 12345;
    const rnd = (): number => {
      // 32-bit LCG in integer arithmetic (a product in doubles loses its low bits and cycles early).
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 0x100000000;
    };
    const alphabet = [E, '[', ']', 'P', '\\', BEL, '\u009b', '\u009c', '\u009d', '\u0090', 'a', '1', ';', '\r', '\n', '\u202e', '\ud800', 'é', '日', '\u0000', 'm', '?'];
    for (let i = 0; i < 2000; i++) {
      let s = '';
      const n = Math.floor(rnd() * 40);
      for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)];
      assertClean(sanitize(s), JSON.stringify(s));
    }
  });
});

describe('sanitize: benign text is unchanged', () => {
  for (const text of BENIGN) {
    it(JSON.stringify(text.slice(0, 30)), () => {
      assert.equal(sanitize(text), text);
    });
  }

  it('sanitizeLine turns newlines and tabs into single spaces', () => {
    assert.equal(sanitizeLine('a\n\nb\tc'), 'a b c');
  });

  it('non-strings become strings; null and undefined become empty', () => {
    assert.equal(sanitize(undefined), '');
    assert.equal(sanitize(null), '');
    assert.equal(sanitize(42), '42');
    assert.equal(sanitize({ toString: () => `x${E}[2Jy` }), 'xy');
    assert.equal(sanitize({ toString: () => ({}) }), '', 'a throwing conversion never crashes');
  });
});

describe('ellipsize and clipWords: echoed text is bounded', () => {
  it('ellipsize keeps short text and cuts long text to the limit with …', () => {
    assert.equal(ellipsize('room-1', 10), 'room-1');
    assert.equal(ellipsize('abcdefghijk', 5), 'abcd…');
    assert.equal(ellipsize('x'.repeat(10_000_000), 120).length, 120);
  });

  it('ellipsize never splits a surrogate pair', () => {
    const out = ellipsize('ab😀😀😀', 4);
    assert.ok(out.isWellFormed(), JSON.stringify(out));
    assert.equal(out, 'ab…');
  });

  it('clipWords cuts only the over-long words of a line', () => {
    const line = `error: unknown command '${'x'.repeat(21_000)}' (did you mean tail?)`;
    const out = clipWords(line);
    assert.ok(out.length < 200, `${out.length}`);
    assert.match(out, /^error: unknown command 'x+… \(did you mean tail\?\)$/);
    const url = `https://example.com/${'p'.repeat(90)}`;
    assert.equal(clipWords(`see ${url}`), `see ${url}`);
  });
});

describe('sanitize: U+2028 and U+2029 become a space', () => {
  it('in texts and in one-line fields', () => {
    assert.equal(sanitize('a\u2028b\u2029c'), 'a b c');
    assert.equal(sanitizeLine('room\u2028name'), 'room name');
    assert.equal(sanitize(`x\u2028${E}[2Jy`), 'x y');
  });
});

describe('sanitize: rendering cost is bounded', () => {
  const marks = (s: string): number => (s.match(/\p{M}/gu) ?? []).length;
  const graphemes = (s: string): string[] => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(s)].map((g) => g.segment);

  it(`one letter with 100,000 combining marks keeps ${MAX_MARKS_PER_GRAPHEME}`, () => {
    const out = sanitize(`before a${'\u0301'.repeat(100_000)} after`);
    assert.equal(out, `before a${'\u0301'.repeat(MAX_MARKS_PER_GRAPHEME)} after`);
    assert.equal(sanitizeLine(`a${'\u0301\u0308'.repeat(50_000)}`).length, 1 + MAX_MARKS_PER_GRAPHEME);
  });

  it('zalgo text keeps every letter and at most the cap of marks on each', () => {
    const zalgo = [...'hostile'].map((c, i) => c + '\u0300\u0316\u0334\u035c\u0361\u0489\u20d2'.repeat(3 + i)).join('');
    const out = sanitize(zalgo);
    assert.equal(out.replace(/\p{M}/gu, ''), 'hostile');
    for (const g of graphemes(out)) assert.ok(marks(g) <= MAX_MARKS_PER_GRAPHEME, JSON.stringify(g));
  });

  it('marks between joiners, an endless emoji ZWJ chain, a conjunct chain and a jamo run are cut too', () => {
    for (const [name, input] of [
      ['marks and ZWJ interleaved', `a${'\u0301\u200d'.repeat(50_000)}`],
      ['emoji ZWJ chain', `${'👨\u200d'.repeat(50_000)}👨`],
      ['Devanagari conjunct chain', `${'क्'.repeat(50_000)}क`],
      ['Hangul leading jamo run', 'ᄀ'.repeat(50_000)],
      ['tags', `🏴${'\u{E0067}'.repeat(50_000)}`],
    ] as const) {
      const out = sanitize(`${input} end`);
      assert.ok(out.length < 200, `${name}: ${out.length} UTF-16 units kept`);
      assert.ok(out.endsWith(' end'), name);
      for (const g of graphemes(out)) assert.ok([...g].length <= MAX_GRAPHEME_CODE_POINTS, `${name}: a grapheme of ${[...g].length} code points`);
      assert.equal(sanitize(out), out, `${name}: idempotent`);
    }
  });

  it(`a line keeps at most ${MAX_LINE_CHARS} characters, ending in …; each line of a text is capped`, () => {
    const long = 'x'.repeat(1_000_000);
    const out = sanitize(`${long}\nshort\n${long}`);
    const lines = out.split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0]!.length, MAX_LINE_CHARS);
    assert.ok(lines[0]!.endsWith('…'));
    assert.equal(lines[1], 'short');
    assert.equal(sanitizeLine(`${long}\n${long}`).length, MAX_LINE_CHARS);
    assert.equal(sanitizeLine(long).length, MAX_LINE_CHARS);
    assert.equal(sanitize(out), out, 'idempotent');
    const fits = 'y'.repeat(MAX_LINE_CHARS);
    assert.equal(sanitize(fits), fits);
  });
});
