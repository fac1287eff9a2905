import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { demoState, msg, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// Copy mode (/copy, Alt-C): the room's messages as plain text, full width, no gutter; c/Enter copies one with OSC 52.

const GENERAL = roomKey('demo', 'general');
let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});
const LONG = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ') + ' https://example.org/a/long/path/that/goes/on';
function state() {
  const st = demoState();
  st.setRoom(GENERAL, () => ({
    messages: [
      msg({ id: 'a', text: 'short from bob', author: { id: 'u2', name: 'bob' } }),
      msg({ id: 'h', text: 'x \u001b[31mred\u001b[0m \u001b]52;c;QUJD\u0007y', author: { id: 'u4', name: 'eve' } }),
      msg({ id: 'b', text: LONG, author: { id: 'u3', name: 'ann' } }),
      msg({ id: 'd', text: 'gone', author: { id: 'u3', name: 'ann' }, deleted: true }),
    ],
  }));
  return st;
}
const osc52 = (s: string): string => `\u001b]52;c;${Buffer.from(s).toString('base64')}\u0007`;
const longRows = (f: string): string[] => f.split('\n').filter((l) => /word\d|example\.org/.test(l));

describe('copy mode', () => {
  test('/copy shows the messages without gutter or room list; Up selects, c copies exactly that message', async () => {
    const ui = (current = await mount(new TestRuntime(state()), { columns: 80, rows: 24 }));
    const pane = await ui.waitFor((x) => x.includes('word0'), 'the pane');
    assert.ok(longRows(pane).every((l) => l.includes('│')), 'the pane draws the gutter (the check below can fail)');
    assert.match(pane, /#random/, 'room list shown in the pane');

    await ui.press('/copy', KEY.enter);
    const f = await ui.waitFor((x) => x.includes('Copy mode: message 3 of 3'), 'copy mode, newest selected');
    assert.match(f, /ann/, 'the title names the selected message\'s author');
    const rows = longRows(f);
    assert.ok(rows.length >= 3, `the long message wraps over several rows:\n${f}`);
    for (const r of rows) assert.doesNotMatch(r, /[│┆]/, `no gutter on a row: ${r}`);
    assert.equal(rows[0]!.indexOf('word0'), 0, 'the text starts at the first column');
    assert.equal(rows.join(' ').replace(/\s+/g, ' ').trim(), LONG, 'the whole text, wrapped at the terminal width');
    assert.doesNotMatch(f, /#random/, 'no room list');
    assert.doesNotMatch(f, /gone|message deleted/, 'deleted messages are left out');
    for (const l of f.split('\n')) assert.ok(l.length <= 80, 'every row fits the width');

    await ui.press('c');
    await ui.waitFor((x) => !x.includes('Copy mode') && x.includes('copied the message of ann'), 'copied notice, closed');
    assert.ok(ui.output().includes(osc52(LONG)), 'OSC 52 with the base64 of exactly the long message');

    // Alt-C opens it again; Up twice selects bob's message (the deleted one is skipped); Enter copies it.
    await ui.press(KEY.alt('c'));
    await ui.waitFor((x) => x.includes('Copy mode: message 3 of 3'), 'Alt-C opens copy mode');
    await ui.press(KEY.up);
    await ui.waitFor((x) => x.includes('message 2 of 3') && x.includes('eve'), 'Up selects the older message');
    await ui.press(KEY.up, KEY.up);
    await ui.waitFor((x) => x.includes('message 1 of 3') && x.includes('bob'), 'stops at the oldest');
    await ui.press(KEY.down, KEY.pageUp);
    await ui.waitFor((x) => x.includes('message 1 of 3'), 'PgUp selects a page older');
    await ui.press(KEY.enter);
    await ui.waitFor((x) => x.includes('copied the message of bob'), 'Enter copies');
    assert.ok(ui.output().includes(osc52('short from bob')));
  });

  test('the copied text is the sanitised text; Esc closes without copying', async () => {
    const ui = (current = await mount(new TestRuntime(state()), { columns: 80, rows: 24 }));
    await ui.press('/copy', KEY.enter, KEY.up);
    const f = await ui.waitFor((x) => x.includes('message 2 of 3'), 'the hostile message selected');
    assert.match(f, /^x red y\s*$/m, 'shown without the escape sequences');
    await ui.press('c');
    await ui.waitFor((x) => x.includes('copied the message of eve'), 'copied');
    assert.ok(ui.output().includes(osc52('x red y')), 'the sanitised text went to the clipboard');
    assert.ok(!ui.output().includes('QUJD'), 'the remote OSC 52 never reached the terminal');
    await ui.press(KEY.alt('c'));
    await ui.waitFor((x) => x.includes('Copy mode'), 'open');
    const before = ui.output().split('\u001b]52;').length;
    await ui.press(KEY.escape);
    await ui.waitFor((x) => !x.includes('Copy mode') && x.includes('#random'), 'Esc closes, the room list is back');
    assert.equal(ui.output().split('\u001b]52;').length, before, 'nothing copied on Esc');
  });
});
