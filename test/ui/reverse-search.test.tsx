import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { backspaceSearch, olderMatch, searchMatch, startSearch, typeInSearch } from '../../src/ui/reverse-search.js';
import { demoState, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// Ctrl-R: reverse search of the lines sent in the room (readline's reverse-i-search); resend moved to Alt-R.

const GENERAL = roomKey('demo', 'general');
let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});

describe('reverse search', () => {
  test('steps: typing narrows, Ctrl-R goes older, Backspace widens, no match is failing', () => {
    const lines = ['deploy staging', 'hello bob', 'deploy production', 'lunch?'];
    let s = startSearch(lines);
    assert.equal(searchMatch(s), 'lunch?');
    s = typeInSearch(s, 'dep');
    assert.equal(searchMatch(s), 'deploy production');
    s = olderMatch(s);
    assert.equal(searchMatch(s), 'deploy staging');
    s = olderMatch(s);
    assert.equal(s.failing, true);
    assert.equal(searchMatch(s), 'deploy staging', 'the last match stays shown');
    s = typeInSearch(s, 'x');
    assert.equal(s.failing, true);
    assert.equal(searchMatch(s), '');
    s = backspaceSearch(s);
    assert.equal(searchMatch(s), 'deploy production');
  });

  test('Ctrl-R in the composer finds a sent line, Enter takes it back for editing (not sent), Esc cancels; Alt-R resends', async () => {
    const rt = new TestRuntime(demoState());
    const ui = (current = await mount(rt, { columns: 100 }));
    for (const line of ['deploy staging now', 'hello bob', 'deploy production later', 'lunch?']) await ui.press(line, KEY.enter);
    assert.equal(rt.sent.length, 4);
    await ui.press(KEY.ctrl('r'));
    await ui.waitFor((f) => f.includes("reverse-i-search '': lunch?"), 'search prompt with the newest line');
    assert.equal(rt.retried.length, 0, 'Ctrl-R no longer resends');
    await ui.press('dep');
    await ui.waitFor((f) => f.includes("reverse-i-search 'dep': deploy production later"), 'narrowed');
    await ui.press(KEY.ctrl('r'));
    await ui.waitFor((f) => f.includes("reverse-i-search 'dep': deploy staging now"), 'older match');
    await ui.press(KEY.enter);
    await ui.waitFor((f) => f.includes('› deploy staging now') && !f.includes('reverse-i-search'), 'the match is in the composer');
    assert.equal(rt.sent.length, 4, 'Enter takes the line back, it does not send it');
    await ui.press(' again', KEY.enter);
    assert.deepEqual(rt.sent.at(-1), { key: GENERAL, text: 'deploy staging now again' });
    await ui.press(KEY.ctrl('r'), 'zzz');
    await ui.waitFor((f) => f.includes("failing reverse-i-search 'zzz'"), 'failing search');
    await ui.press(KEY.escape);
    await ui.waitFor((f) => !f.includes('reverse-i-search'), 'Esc cancels');
    assert.equal(rt.sent.length, 5);
    await ui.press(KEY.alt('r'));
    assert.deepEqual(rt.retried, [GENERAL], 'Alt-R resends the newest failed message');
  });
});
