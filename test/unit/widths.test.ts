import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import stringWidth from 'string-width';
import { windowLine } from '../../src/ui/components/Composer.js';
import { cellWidth, pad, terminalForm, truncate, wrapPlain } from '../../src/ui/wrap.js';

// Widths the terminal agrees with. Two kinds of terminal draw emoji sequences: those that join them
// (kitty, WezTerm, Ghostty, iTerm2, Windows Terminal: the width string-width gives, which is also what
// Ink lays out by) and those that draw code point by code point (xterm, tmux, VTE, Alacritty: each code
// point its own East Asian width, joiners and selectors none). What the TUI draws must measure the same
// in both, and the same as the TUI thinks, or a row overflows and the terminal cuts its end.

/** The width a code-point-by-code-point terminal draws: each code point measured alone. */
const perCodePoint = (s: string): number => [...s].reduce((n, cp) => n + stringWidth(cp), 0);
/** The width a joining terminal (and Ink) gives: by graphemes. */
const joined = (s: string): number => stringWidth(s);

/** [name, sequence, cells the TUI draws it in] */
const TABLE: readonly (readonly [string, string, number])[] = [
  ['family (ZWJ)', '👨‍👩‍👧‍👦', 8],
  ['family with skin tones', '👨🏻‍👩🏻‍👧🏻‍👦🏻', 8],
  ['couple with heart (VS16 inside ZWJ)', '👩‍❤️‍👨', 5],
  ['kiss', '👩‍❤️‍💋‍👨', 7],
  ['handshake with two tones', '🧑🏽‍🤝‍🧑🏿', 6],
  ['runner, female (ZWJ + ♀ + VS16)', '🏃‍♀️', 3],
  ['red hair component', '🧑‍🦰', 4],
  ['rainbow flag', '🏳️‍🌈', 3],
  ['pirate flag', '🏴‍☠️', 3],
  ['heart on fire', '❤️‍🔥', 3],
  ['eye in speech bubble', '👁️‍🗨️', 2],
  ['flag (regional indicator pair)', '🇳🇿', 2],
  ['two flags', '🇯🇵🇺🇸', 4],
  ['lone regional indicator', '🇦', 1],
  ['tag sequence flag (Scotland)', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', 2],
  ['thumbs up, skin tone', '👍🏽', 2],
  ['waving hand, all tones', '👋🏻👋🏼👋🏽👋🏾👋🏿', 10],
  ['lone skin tone swatch', '🏽', 2],
  ['keycap 1', '1️⃣', 1],
  ['keycap #', '#️⃣', 1],
  ['VS16 on a text-default heart', '❤️', 1],
  ['text-default heart', '❤', 1],
  ['VS16 on ©', '©️', 1],
  ['VS15 on an emoji-default face', '😀︎', 2],
  ['VS15 on a text-default sun', '☀︎', 1],
  ['emoji-default face', '😀', 2],
  ['CJK', '日本語', 6],
  ['Hangul', '한국어', 6],
  ['fullwidth Latin', 'ＡＢＣ', 6],
  ['combining accent', 'e\u0301', 1],
  ['ASCII', 'plain', 5],
];

describe('widths: every emoji sequence measures the same in the TUI, in Ink and in both kinds of terminal', () => {
  for (const [name, seq, cells] of TABLE) {
    it(`${name}: ${cells} cells`, () => {
      const drawn = terminalForm(seq);
      assert.equal(cellWidth(seq), cells, 'what the TUI measures');
      assert.equal(joined(drawn), cells, 'what Ink and a joining terminal give what is drawn');
      assert.equal(perCodePoint(drawn), cells, 'what a code-point-by-code-point terminal gives what is drawn');
      assert.equal(terminalForm(drawn), drawn, 'idempotent');
      assert.ok(drawn.length > 0);
    });
  }

  it('the stored sequence is changed only where terminals disagree (flags, tags, CJK, a ZWJ that is not between emoji stay)', () => {
    for (const s of ['🇳🇿', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '日本語', 'plain', 'e\u0301', 'क्\u200dष']) assert.equal(terminalForm(s), s);
    assert.equal(terminalForm('#️⃣ 1⃣'), '# 1');
    assert.equal(terminalForm('👨‍👩‍👧‍👦'), '👨👩👧👦');
    assert.equal(terminalForm('👍🏽 ok'), '👍 ok');
  });
});

describe('widths: rows of emoji sequences never pass the pane edge', () => {
  const text = TABLE.map(([, s]) => s).join(' ').repeat(6);
  for (const width of [10, 17, 33, 80]) {
    it(`wrapped at ${width} columns, by every measure`, () => {
      const rows = wrapPlain(text, width);
      assert.ok(rows.length > 1);
      for (const row of rows) {
        assert.ok(joined(row) <= width, `Ink/joining: ${joined(row)} > ${width}: ${row}`);
        assert.ok(perCodePoint(row) <= width, `code point by code point: ${perCodePoint(row)} > ${width}: ${row}`);
      }
      // nothing is lost but the joiners and selectors
      assert.equal(rows.join('').replace(/\s/g, ''), terminalForm(text).replace(/\s/g, ''));
    });
  }

  it('truncate and pad measure by the drawn form: a name with a family fills its column exactly', () => {
    const name = 'Ann 👨‍👩‍👧‍👦 family';
    for (const w of [6, 9, 12, 14]) {
      const cell = pad(truncate(name, w), w, true);
      assert.equal(joined(cell), w, `Ink width at ${w}: ${cell}`);
      assert.equal(perCodePoint(cell), w, `terminal width at ${w}: ${cell}`);
    }
  });
});

describe('widths: the composer line', () => {
  it('the window around the cursor is drawn as it is measured, whichever way the terminal draws emoji', () => {
    const line = 'hi 👨‍👩‍👧‍👦 and 👍🏽 and ❤️ '.repeat(4);
    for (const w of [12, 20, 41]) {
      for (const cursor of [0, 3, 14, line.length]) {
        const { before, at, after } = windowLine(line, cursor, w);
        const drawn = before + at + after;
        assert.equal(joined(drawn), perCodePoint(drawn), `w ${w}, cursor ${cursor}: ${drawn}`);
        assert.ok(joined(drawn) <= w, `w ${w}, cursor ${cursor}: ${joined(drawn)} cells: ${drawn}`);
        assert.equal(cellWidth(before), joined(before), 'the cursor column is where the terminal puts it');
      }
    }
  });
});
