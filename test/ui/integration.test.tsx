import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ChatRuntime } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import { setup } from './fake-service.js';
import { KEY, type Mounted, mount } from './harness.js';

/**
 * The App over the REAL SessionStore and ChatRuntime, fed by a scripted in-memory connector: events
 * emitted by the connector reach the pane; Enter goes through runtime.send → connector.send; the
 * pending echo is reconciled; PgUp at the top calls connector.history.
 */

let ui: Mounted | undefined;
let rt: ChatRuntime | undefined;
afterEach(async () => {
  ui?.unmount();
  ui = undefined;
  await rt?.stop();
  rt = undefined;
});

describe('App over the real store and runtime', () => {
  test('connector messages appear; Enter sends through the connector; the echo is confirmed', async () => {
    const s = setup();
    rt = s.runtime;
    await s.runtime.start();
    ui = await mount(s.runtime);
    await ui.waitFor((f) => f.includes('#lobby') && f.includes('#dev'), 'rooms listed');
    s.session().say('lobby', '1', 'hello from jane');
    await ui.waitFor((f) => f.includes('Jane │ hello from jane'), 'message shown');
    await ui.press('hi jane', KEY.enter);
    await ui.waitFor((f) => /Me │ hi jane(?! ⧗)/.test(f), 'own message shown, confirmed');
    assert.deepEqual(s.session().sent.map((x) => [x.room, x.text]), [['lobby', 'hi jane']]);
    assert.ok(s.session().typing.some((t) => t.on), 'typing indicator went out');
  });

  test('unread count of another room, reset when switching to it; a mention is counted and marked', async () => {
    const s = setup();
    rt = s.runtime;
    await s.runtime.start();
    ui = await mount(s.runtime);
    await ui.waitFor((f) => f.includes('#dev'), 'rooms listed');
    s.session().say('dev', '1', 'one');
    s.session().say('dev', '2', 'hey Me, look');
    await ui.waitFor((f) => /#dev\s+@1/.test(f), 'mention badge');
    await ui.press(KEY.ctrl('n'));
    await ui.waitFor((f) => f.includes('hey Me, look') && !/#dev\s+@1/.test(f), 'switched, counters reset');
    assert.equal(s.store.getState().rooms[roomKey('fk', 'dev')]?.mentions, 0);
  });

  test('typing bar from typing events; presence count', async () => {
    const s = setup();
    rt = s.runtime;
    await s.runtime.start();
    ui = await mount(s.runtime);
    await ui.waitFor((f) => f.includes('#lobby'), 'rooms');
    s.session().ctx.emit({ type: 'typing', room: 'lobby', user: { id: 'jane', name: 'Jane' }, typing: true });
    s.session().ctx.emit({ type: 'presence', room: 'lobby', online: [{ id: 'jane', name: 'Jane' }, { id: 'me', name: 'Me' }] });
    await ui.waitFor((f) => f.includes('Jane is typing…') && f.includes('2 online'), 'typing and presence');
    s.session().ctx.emit({ type: 'typing', room: 'lobby', user: { id: 'jane', name: 'Jane' }, typing: false });
    await ui.waitFor((f) => !f.includes('typing…'), 'typing cleared');
  });

  test('many arrivals while scrolled up keep the view; End shows the newest', async () => {
    const s = setup();
    rt = s.runtime;
    await s.runtime.start();
    for (let i = 0; i < 200; i++) s.session().say('lobby', `h${i}`, `early-${i}`, undefined, new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString());
    ui = await mount(s.runtime, { rows: 20 });
    await ui.waitFor((f) => f.includes('early-199'), 'bottom');
    await ui.press(KEY.pageUp);
    const grab = (f: string): string[] => f.split('\n').flatMap((l) => /early-\d+/.exec(l)?.[0] ?? []);
    const before = grab(ui.frame());
    for (let i = 0; i < 50; i++) s.session().say('lobby', `n${i}`, `late-${i}`);
    await ui.waitFor((f) => f.includes('50 new messages below'), 'N new');
    assert.deepEqual(grab(ui.frame()), before);
    await ui.press(KEY.ctrlEnd);
    await ui.waitFor((f) => f.includes('late-49'), 'bottom again');
  });

  test('a room whose messages do not fill the pane fetches older history; PgUp reaches it without jumps', async () => {
    const s = setup();
    rt = s.runtime;
    await s.runtime.start();
    for (let i = 0; i < 10; i++) s.session().say('lobby', `c${i}`, `cur-${i}`, undefined, new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString());
    s.session().older = Array.from({ length: 30 }, (_, i) => ({ type: 'message' as const, profile: 'fk', room: 'lobby', id: `o${i}`, author: { id: 'bob', name: 'Bob' }, text: `old-${i}`, time: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() }));
    ui = await mount(s.runtime, { rows: 20 });
    await ui.waitFor(() => s.session().historyCalls.length === 1, 'history requested on open');
    assert.deepEqual(s.session().historyCalls[0], { before: 'c0', limit: 100 });
    const f = await ui.waitFor((x) => x.includes('old-29') && x.includes('cur-9'), 'older messages above, newest still at the bottom');
    assert.ok(f.indexOf('old-29') < f.indexOf('cur-0'));
    await ui.press(KEY.pageUp, KEY.pageUp);
    await ui.waitFor((x) => /old-1\d/.test(x), 'older messages reachable by PgUp');
    assert.equal(s.session().historyCalls.length, 1, 'no more fetches: the page was short (no more history)');
  });

  test('edits re-wrap in place, deletes leave a placeholder, a gap shows a marker', async () => {
    const s = setup();
    rt = s.runtime;
    await s.runtime.start();
    ui = await mount(s.runtime);
    await ui.waitFor((f) => f.includes('#lobby'), 'rooms');
    s.session().say('lobby', 'e1', 'first version');
    s.session().say('lobby', 'e2', 'to be removed');
    await ui.waitFor((f) => f.includes('to be removed'), 'messages shown');
    s.session().ctx.emit({ type: 'message.edit', room: 'lobby', id: 'e1', text: 'second version', time: new Date().toISOString() });
    s.session().ctx.emit({ type: 'message.delete', room: 'lobby', id: 'e2' });
    s.session().ctx.emit({ type: 'gap', room: 'lobby' });
    const f = await ui.waitFor((x) => x.includes('second version (edited)') && x.includes('message deleted') && x.includes('messages may be missing here'), 'edit, delete, gap');
    assert.doesNotMatch(f, /first version|to be removed/);
  });
});

