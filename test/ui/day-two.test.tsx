import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { ChatRuntime } from '../../src/core/runtime/index.js';
import { roomKey } from '../../src/core/state.js';
import type { UiMemory, UiMemoryStore } from '../../src/ui/types.js';
import { demoState, room, TestRuntime } from './fixtures.js';
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

describe('the length limit in the composer', () => {
  test('the count shows from 80 % of the limit (graphemes); over it the composer says so and Enter sends nothing', async () => {
    const trt = new TestRuntime(demoState({ caps: { maxMessageLength: 10 } }));
    ui = await mount(trt);
    await ui.press('abcdefg');
    assert.doesNotMatch(ui.frame(), /\d+\/10/, 'no count below 80 %');
    await ui.press('h');
    assert.match(ui.frame(), /› abcdefgh.*8\/10/);
    await ui.press('xyz');
    assert.match(ui.frame(), /✗ 11\/10 too long/);
    await ui.press(KEY.enter);
    assert.deepEqual(trt.sent, [], 'refused before sending');
    assert.match(ui.frame(), /message too long: 11 characters, the limit is 10/);
    assert.match(ui.frame(), /› abcdefghxyz/, 'the text stays for editing');
    await ui.press(KEY.backspace, KEY.enter);
    assert.deepEqual(trt.sent.map((x) => x.text), ['abcdefghxy']);
    // Graphemes, not UTF-16 units: ten "é" written as e + combining accent are 20 units, 10 characters.
    await ui.press('e\u0301'.repeat(10));
    const row = ui.lines().find((l) => l.includes('› e\u0301'))!;
    assert.match(row, /10\/10/);
    assert.doesNotMatch(row, /too long/);
    await ui.press(KEY.enter);
    assert.equal(trt.sent.length, 2);
  });
});

describe('a failed message', () => {
  test('Alt-E takes it back into the composer (edit, resend); Alt-X and /discard drop it and it does not come back at the next start', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { openAppArchive, ARCHIVE_DEFAULTS } = await import('../../src/core/archive/index.js');
    const dir = mkdtempSync(join(tmpdir(), 'chat-tui-failed-'));
    const open = () => {
      const app = openAppArchive({ dir, settings: ARCHIVE_DEFAULTS, profiles: ['fk'], notice: () => undefined, adopt: () => undefined, env: { CHAT_TUI_CONFIG_DIR: dir } });
      const s = setup({ maxMessageLength: 20 }, app.outbox ? { outbox: app.outbox } : {});
      return { ...s, app };
    };
    const texts = (r: ChatRuntime) => r.outboxEntries().map((e) => [e.text, e.status]);
    try {
      // A first run leaves two unsendable messages behind (over the limit: failed at once).
      const two = open();
      rt = two.runtime;
      const lobby = two.store.getState().roomOrder[0]!;
      await two.runtime.start();
      two.runtime.send(lobby, 'first message that is too long');
      two.runtime.send(lobby, 'second message that is too long');
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(texts(two.runtime).filter(([, st]) => st === 'failed').map(([t]) => t), ['first message that is too long', 'second message that is too long']);
      await two.runtime.stop();
      two.app.close();
      rt = undefined;

      const three = open();
      rt = three.runtime;
      await three.runtime.start();
      ui = await mount(three.runtime, { rows: 20 });
      let f = await ui.waitFor((x) => x.includes('second message that is too long'), 'the failed ones came back');
      assert.match(f, /not sent: message too long.*Alt-R resend · Alt-E edit · Alt-X discard/s);
      await ui.press(KEY.alt('x'));
      f = await ui.waitFor((x) => !x.includes('second message that is too long'), 'Alt-X dropped the newest');
      await ui.press(KEY.alt('e'));
      f = await ui.waitFor((x) => /› first message that is too long/.test(x), 'Alt-E put it into the composer');
      assert.equal(f.split('\n').filter((l) => l.includes('first message that is too long')).length, 1, 'and off the pane');
      await ui.press(KEY.ctrl('u'), 'fixed', KEY.enter);
      await ui.waitFor(() => three.session().sent.some((x) => x.text === 'fixed'), 'the edited text went out');
      three.runtime.send(lobby, 'third message that is too long');
      await ui.waitFor((x) => x.includes('third message that is too long'), 'another failed one');
      await ui.press('/discard', KEY.enter);
      await ui.waitFor((x) => !x.includes('third message that is too long'), '/discard dropped it');
      ui.unmount();
      ui = undefined;
      await three.runtime.stop();
      three.app.close();
      rt = undefined;

      const four = open();
      rt = four.runtime;
      assert.deepEqual(texts(four.runtime), [], 'nothing comes back at the next start');
      four.app.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('room numbers and order', () => {
  test('rooms are numbered, Alt-N matches the numbers, /move N moves the shown room, /part + /join keeps the place', async () => {
    const st = demoState();
    st.addRoom(room('demo', 'help'));
    const trt = new TestRuntime(st);
    ui = await mount(trt);
    const list = () => ui!.lines().map((l) => l.split('│')[0]!.trim()).filter((l) => /^(› )?\d #/.test(l));
    assert.deepEqual(list(), ['› 1 #general', '2 #random', '3 #help']);
    await ui.press(KEY.alt('3'));
    assert.equal(st.active, roomKey('demo', 'help'));
    await ui.press('/move 1', KEY.enter);
    assert.deepEqual(list(), ['› 1 #help', '2 #general', '3 #random']);
    await ui.press(KEY.alt('2'));
    assert.equal(st.active, roomKey('demo', 'general'), 'Alt-2 is the room numbered 2');
    // /part of #general, then /join general again: the store appends it at the end, the list keeps its place.
    st.set((s) => ({ rooms: Object.fromEntries(Object.entries(s.rooms).filter(([k]) => k !== roomKey('demo', 'general'))), roomOrder: s.roomOrder.filter((k) => k !== roomKey('demo', 'general')) }));
    await ui.waitFor(() => list().length === 2, 'parted');
    await ui.press('/join general', KEY.enter);
    await ui.waitFor(() => list().length === 3, 'joined again');
    assert.deepEqual(list().map((l) => l.replace(/^› /, '')), ['1 #help', '2 #general', '3 #random']);
    await ui.press('/move x', KEY.enter);
    assert.match(ui.frame(), /usage: \/move N/);
  });

  test('the room order and the last room are remembered (UiMemoryStore) and the next start opens there', async () => {
    const saved: UiMemory[] = [];
    const memory = (initial: UiMemory): UiMemoryStore => ({ load: () => initial, save: (m) => void saved.push(m) });
    const st = demoState();
    ui = await mount(new TestRuntime(st), { options: { memory: memory({}) } });
    await ui.press(KEY.ctrl('n'), '/move 1', KEY.enter);
    const last = saved[saved.length - 1]!;
    assert.equal(last.lastRoom, roomKey('demo', 'random'));
    assert.deepEqual(last.roomOrder, [roomKey('demo', 'random'), roomKey('demo', 'general')]);
    ui.unmount();
    const st2 = demoState();
    ui = await mount(new TestRuntime(st2), { options: { memory: memory(last) } });
    await ui.waitFor(() => st2.active === roomKey('demo', 'random'), 'opens on the last room');
    assert.match(ui.frame(), /› 1 #random/);
  });

  test('without a last room it opens on the first healthy profile; the status line shows only the shown profile\'s notices', async () => {
    const st = demoState();
    st.set((s) => ({
      profiles: { broken: { name: 'broken', service: 'rooms', state: 'failed', reason: 'unauthorized', capabilities: s.profiles.demo!.capabilities }, ...s.profiles },
      rooms: { ...s.rooms, [roomKey('broken', 'x1')]: room('broken', 'x1') },
      roomOrder: [roomKey('broken', 'x1'), ...s.roomOrder],
      notices: [{ id: 1, time: Date.now(), profile: 'broken', level: 'error', text: 'unauthorized: check the token' }],
    }));
    ui = await mount(new TestRuntime(st));
    await ui.waitFor(() => st.active === roomKey('demo', 'general'), 'the healthy profile\'s room');
    assert.doesNotMatch(ui.lines().at(-1)!, /unauthorized/, 'the broken profile\'s error is not shown under another profile\'s room');
    await ui.press(KEY.alt('1'));
    assert.equal(st.active, roomKey('broken', 'x1'));
    assert.match(ui.lines().at(-1)!, /broken: unauthorized: check the token/);
  });
});

describe('F1 help', () => {
  for (const columns of [80, 120]) {
    test(`lines wrap instead of being cut at ${columns} columns`, async () => {
      ui = await mount(new TestRuntime(demoState({ caps: { moderation: true, dms: true } })), { columns, rows: 60 });
      await ui.press(KEY.f1);
      const f = ui.frame();
      const pane = f.split('\n').filter((l) => l.includes('│')).map((l) => l.slice(l.indexOf('│') + 1));
      assert.ok(!pane.some((l) => /…$/.test(l.trimEnd())), `nothing cut:\n${f}`);
      // Every word of every help line is on screen.
      const { helpLines, buildKeymap } = await import('../../src/ui/keymap.js');
      const words = helpLines(buildKeymap({})).flatMap(([k, d]) => `${k} ${d}`.split(/\s+/));
      const screen = pane.join(' ');
      for (const w of words) assert.ok(screen.includes(w), `"${w}" shown`);
    });
  }
});

describe('the status line', () => {
  test('key hints follow rebinding', async () => {
    ui = await mount(new TestRuntime(demoState()), { options: { keys: { help: 'f9', nextRoom: 'M-n', switcher: 'C-o' } } });
    const last = ui.lines().at(-1)!;
    assert.match(last, /Alt-N\/\^P rooms/);
    assert.match(last, /\^O find/);
    assert.match(last, /F9 help/);
    assert.doesNotMatch(last, /F1 help|\^G find/);
  });
});

describe('the multi-line paste prompt', () => {
  for (const columns of [80, 120]) {
    test(`is drawn at the composer, names its keys whole, and says so when another key is pressed (${columns} columns)`, async () => {
      const trt = new TestRuntime(demoState());
      ui = await mount(trt, { columns, rows: 24 });
      await ui.paste('line one\rline two\rline three\rline four');
      const lines = ui.lines();
      const status = lines.length - 1;
      const q = lines.findIndex((l) => l.includes('Paste of 4 lines'));
      assert.ok(q > status - 7, `the prompt is at the bottom, where the composer is:\n${lines.join('\n')}`);
      const promptText = lines.slice(q, status).map((l) => l.slice(l.indexOf('│') + 1).trim()).join(' ');
      assert.match(promptText, /Enter\/y send as one message · e edit · Esc\/n cancel/, 'the keys are named whole');
      assert.match(promptText, /│ line one/);
      assert.ok(lines.slice(1, q).some((l) => l.includes('no messages yet')), 'the pane stays above it');
      await ui.press('x');
      assert.match(ui.lines().slice(q, status).join(' '), /"x" does nothing here/);
      assert.deepEqual(trt.sent, []);
      await ui.press(KEY.f5);
      assert.match(ui.lines().slice(q, status).join(' '), /F5 does nothing here/);
      assert.deepEqual(trt.reconnects, [], 'keys go to the prompt while it is open');
      await ui.press('y');
      assert.deepEqual(trt.sent.map((x) => x.text), ['line one\nline two\nline three\nline four']);
      assert.doesNotMatch(ui.frame(), /Paste of/);
    });
  }
});

describe('notices', () => {
  test('an error about a line ends with the next Enter; a notice said before the profile reconnected ends when it is connected', async () => {
    const st = demoState();
    ui = await mount(new TestRuntime(st));
    await ui.press('/nope', KEY.enter);
    assert.match(ui.lines().at(-1)!, /unknown command \/nope/);
    await ui.press(KEY.ctrl('u'), 'hello', KEY.enter);
    assert.doesNotMatch(ui.lines().at(-1)!, /unknown command/, 'no stale "unknown command"');
    await ui.press(KEY.f5);
    assert.match(ui.lines().at(-1)!, /reconnecting demo…/);
    st.set((s) => ({ profiles: { ...s.profiles, demo: { ...s.profiles.demo!, state: 'reconnecting' } } }));
    await ui.waitFor((f) => /reconnecting/.test(f.split('\n').at(-1)!), 'reconnecting');
    st.set((s) => ({ profiles: { ...s.profiles, demo: { ...s.profiles.demo!, state: 'connected' } }, notices: [...s.notices, { id: 9, time: Date.now() - 10, profile: 'demo', level: 'error', text: 'socket closed (1006)' }] }));
    const last = await ui.waitFor((f) => /connected/.test(f.split('\n').at(-1)!), 'connected').then((f) => f.split('\n').at(-1)!);
    assert.doesNotMatch(last, /reconnecting|socket closed/, `the state line follows the connection: ${last}`);
  });
});
