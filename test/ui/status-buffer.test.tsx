import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { NoticeLine } from '../../src/core/state.js';
import { demoState, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// /status: every notice and error of this run (the store's, past its cap of 200, and the UI's own).

let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});
const notice = (id: number, text: string, level: 'info' | 'error' = 'info'): NoticeLine => ({ id, time: Date.UTC(2026, 0, 5, 10, 0, id % 60), profile: 'demo', level, text });

describe('/status', () => {
  test('keeps every notice of the run, also the ones the store dropped, and the UI errors; scrolls; Esc closes', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = (current = await mount(rt, { columns: 100, rows: 20 }));
    st.set(() => ({ notices: [notice(1, 'connecting demo…'), notice(2, 'first error', 'error')] }));
    // The store keeps the newest 200 only: the first two are gone from it, not from the status buffer.
    st.set(() => ({ notices: Array.from({ length: 200 }, (_, i) => notice(3 + i, `later ${3 + i}`)) }));
    await ui.press('/nosuchcommand', KEY.enter);
    await ui.press(KEY.ctrl('u'), '/status', KEY.enter);
    let f = await ui.waitFor((x) => x.includes('Status: 203 notices and errors of this run'), 'the status buffer');
    assert.match(f, /unknown command \/nosuchcommand/, 'the UI error is the newest line');
    assert.match(f, /· \[demo\] later 202/);
    for (let i = 0; i < 20; i++) await ui.press(KEY.pageUp);
    f = await ui.waitFor((x) => x.includes('first error'), 'scrolled to the oldest');
    assert.match(f, /✗ \[demo\] first error/);
    assert.match(f, /connecting demo…/);
    await ui.press(KEY.escape);
    await ui.waitFor((x) => !x.includes('Status:'), 'closed');
  });
});
