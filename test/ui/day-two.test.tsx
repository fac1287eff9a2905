import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ChatRuntime } from '../../src/core/runtime/index.js';
import { demoState, TestRuntime } from './fixtures.js';
import { setup } from './fake-service.js';
import { KEY, type Mounted, mount } from './harness.js';

/** The App's day-two fixes (ink-testing over the fake terminal of harness.tsx). */

let ui: Mounted | undefined;
let rt: ChatRuntime | undefined;
afterEach(async () => {
  ui?.unmount();
  ui = undefined;
  await rt?.stop();
  rt = undefined;
});

const at = (i: number): string => new Date(Date.UTC(2026, 0, 2, 0, 0, i)).toISOString();

describe('/clear', () => {
  test('right after start the room stays cleared (no history fetched to fill it) until the user scrolls up', async () => {
    const s = setup();
    rt = s.runtime;
    await s.runtime.start();
    for (let i = 0; i < 5; i++) s.session().say('lobby', `c${i}`, `cur-${i}`, undefined, at(i));
    ui = await mount(s.runtime, { rows: 20 });
    await ui.waitFor((f) => f.includes('cur-4'), 'messages');
    await ui.waitFor(() => s.session().historyCalls.length === 1, 'the first history page asked for');
    // What the server would give again if asked:
    s.session().older = [0, 1, 2].map((i) => ({ type: 'message' as const, profile: 'fk', room: 'lobby', id: `c${i}`, author: { id: 'jane', name: 'Jane' }, text: `cur-${i}`, time: at(i) }));
    await ui.press('/clear', KEY.enter);
    let f = await ui.waitFor((x) => !x.includes('cur-'), 'cleared');
    await new Promise((r) => setTimeout(r, 300));
    f = ui.frame();
    assert.doesNotMatch(f, /cur-\d/, 'not filled again');
    assert.doesNotMatch(f, /loading messages/, 'not "loading messages…" for ever');
    assert.match(f, /cleared — PgUp shows older messages/);
    assert.equal(s.session().historyCalls.length, 1, 'no history fetched after /clear');
    s.session().say('lobby', 'n1', 'new after clear', undefined, at(50));
    await ui.waitFor((x) => x.includes('new after clear'), 'new messages still show');
    assert.doesNotMatch(ui.frame(), /cur-\d/);
    await ui.press(KEY.pageUp);
    await ui.waitFor(() => s.session().historyCalls.length === 2, 'PgUp fetches older messages again');
  });
});

describe('a command usage error', () => {
  test('keeps the text for editing with the cursor at the end; typing the command again never gives /join/join', async () => {
    const trt = new TestRuntime(demoState());
    ui = await mount(trt);
    await ui.press('/join', KEY.enter);
    assert.match(ui.frame(), /usage: \/join ROOM/);
    assert.match(ui.frame(), /› \/join\s*$/m, 'kept');
    await ui.press('lobby', KEY.enter);
    assert.deepEqual(trt.joined, [{ profile: 'demo', ref: 'lobby' }], 'the argument went after the kept text');
    await ui.press('/join', KEY.enter);
    await ui.press('/join dev', KEY.enter);
    assert.deepEqual(trt.joined.map((j) => j.ref), ['lobby', 'dev'], 'typed again from the start: not /join/join dev');
    await ui.press('/jion x', KEY.enter);
    assert.match(ui.frame(), /unknown command \/jion/);
    await ui.press(KEY.ctrl('a'), KEY.right, KEY.delete, KEY.delete, KEY.delete, KEY.delete, 'join', KEY.enter);
    assert.deepEqual(trt.joined.map((j) => j.ref), ['lobby', 'dev', 'x'], 'the kept text can be edited');
  });
});
