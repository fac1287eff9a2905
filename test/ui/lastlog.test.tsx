import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { demoState, msg, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

// /lastlog TEXT: the loaded messages of the shown room, in the search overlay.

const GENERAL = roomKey('demo', 'general');
let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});

describe('/lastlog', () => {
  test('lists the loaded messages with every word, newest first, says /search for the archive; Enter closes and shows the room', async () => {
    const st = demoState();
    const many = Array.from({ length: 60 }, (_, i) => msg({ id: `f${i}`, text: `filler ${i}` }, Date.UTC(2026, 0, 5, 9, i)));
    st.setRoom(GENERAL, () => ({
      messages: [
        msg({ id: 'a', text: 'Deploy staging done', author: { id: 'u2', name: 'bob' } }, Date.UTC(2026, 0, 5, 8, 0)),
        ...many,
        msg({ id: 'b', text: 'deploy to production done', author: { id: 'u3', name: 'ann' } }, Date.UTC(2026, 0, 5, 11, 0)),
        msg({ id: 'c', text: 'deploy failed', author: { id: 'u3', name: 'ann' }, deleted: true }, Date.UTC(2026, 0, 5, 11, 5)),
        msg({ id: 'd', text: 'lunch', author: { id: 'u3', name: 'ann' } }, Date.UTC(2026, 0, 5, 11, 10)),
      ],
    }));
    const ui = (current = await mount(new TestRuntime(st), { columns: 120, rows: 24 }));
    await ui.press('/lastlog deploy done', KEY.enter);
    const f = await ui.waitFor((x) => x.includes('Lastlog "deploy done" in #general: 2 hits of what is loaded (/search for the archive)'), 'the overlay');
    const rows = f.split('\n').filter((l) => /deploy/i.test(l) && !l.includes('Lastlog'));
    assert.equal(rows.length, 2, f);
    assert.match(rows[0]!, /› .*ann: deploy to production done/);
    assert.match(rows[1]!, /bob: Deploy staging done/);
    assert.doesNotMatch(f, /deploy failed/, 'deleted messages are left out');
    await ui.press(KEY.down, KEY.enter);
    const g = await ui.waitFor((x) => !x.includes('Lastlog'), 'closed');
    assert.match(g, /Deploy staging done/, 'the picked (scrolled-off) message is on screen');
    await ui.press('/lastlog nothinglikethis', KEY.enter);
    await ui.waitFor((x) => x.includes('no loaded message matches'), 'no hits');
  });
});
