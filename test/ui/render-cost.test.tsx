import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import stringWidth from 'string-width';
import { roomKey } from '../../src/core/state.js';
import { MAX_MARKS_PER_GRAPHEME } from '../../src/core/sanitize.js';
import { demoState, msg, room, TestRuntime } from '../ui/fixtures.js';
import { mount } from '../ui/harness.js';

// Invisible characters cost nothing on screen: a letter with 100,000 combining marks is one cell, and
// what the TUI writes to the terminal for it stays a few bytes (the sanitising boundary keeps a few marks
// per grapheme), frame after frame.

const ZALGO = `Z${'\u0301'.repeat(100_000)}`;

describe('rendering cost of invisible characters', () => {
  test('60 messages of one letter and 100,000 combining marks: every frame stays small', async () => {
    const st = demoState();
    const general = roomKey('demo', 'general');
    // raw, as if a connector had not sanitised: the pane's own sanitising is the boundary too
    st.setRoom(general, () => ({ messages: Array.from({ length: 60 }, (_, i) => msg({ id: `z${i}`, text: `${ZALGO} ${i}`, author: { id: 'u1', name: `n${ZALGO}` } })) }));
    const ui = await mount(new TestRuntime(st), { columns: 120, rows: 40 });
    try {
      const frame = ui.stdout.lastFrame();
      assert.match(ui.frame(), /Z\u0301+ 59/, 'the last message is on screen');
      const drawn = frame.match(/Z\u0301*/g) ?? [];
      assert.ok(drawn.length > 10, `${drawn.length} of the letters drawn`);
      for (const z of drawn) assert.ok(z.length <= 1 + MAX_MARKS_PER_GRAPHEME, `a letter is drawn with ${z.length - 1} marks`);
      assert.ok(frame.length < 64 * 1024, `one frame is ${frame.length} characters`);
      const before = ui.output().length;
      await ui.press('h', 'e', 'y');
      const perKey = (ui.output().length - before) / 3;
      assert.ok(perKey < 64 * 1024, `a keypress wrote ${Math.round(perKey)} characters`);
      assert.match(ui.frame(), /hey/, 'the composer shows what was typed');
    } finally {
      ui.unmount();
    }
  });
});

describe('emoji sequences on screen', () => {
  test('no row of the screen is wider than the terminal, measured either way terminals draw emoji', async () => {
    const seqs = '👨‍👩‍👧‍👦 👍🏽 🇳🇿 1️⃣ ❤️ 🏳️‍🌈 👩‍❤️‍💋‍👨 🧑🏽‍🤝‍🧑🏿 日本語';
    const st = demoState();
    const general = roomKey('demo', 'general');
    st.setRoom(general, () => ({
      name: `fam👨‍👩‍👧‍👦ily`,
      topic: seqs,
      messages: Array.from({ length: 12 }, (_, i) => msg({ id: `e${i}`, text: `${i} ${seqs.repeat(1 + (i % 3))} end${i}`, author: { id: `u${i}`, name: `👨‍👩‍👧‍👦👍🏽${i}` } })),
    }));
    st.addRoom(room('demo', 'emoji', { name: '👩‍❤️‍💋‍👨👩‍❤️‍💋‍👨👩‍❤️‍💋‍👨', unread: 3 }));
    const columns = 70;
    const ui = await mount(new TestRuntime(st), { columns, rows: 40 });
    try {
      await ui.waitFor((f) => f.includes('end11'), 'the last message');
      const perCodePoint = (s: string): number => [...s].reduce((n, cp) => n + stringWidth(cp), 0);
      for (const line of ui.lines()) {
        assert.ok(stringWidth(line) <= columns, `joined: ${stringWidth(line)} > ${columns}: ${line}`);
        assert.ok(perCodePoint(line) <= columns, `code point by code point: ${perCodePoint(line)} > ${columns}: ${line}`);
      }
      for (let i = 0; i < 12; i++) assert.match(ui.frame(), new RegExp(`end${i}\\b`), `the end of message ${i} is on screen`);
    } finally {
      ui.unmount();
    }
  });
});
