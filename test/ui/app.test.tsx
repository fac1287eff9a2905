import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { roomKey } from '../../src/core/state.js';
import { demoState, msg, TestRuntime } from './fixtures.js';
import { KEY, type Mounted, mount } from './harness.js';

const GENERAL = roomKey('demo', 'general');
const RANDOM = roomKey('demo', 'random');

let current: Mounted | undefined;
afterEach(() => {
  current?.unmount();
  current = undefined;
});
async function open(rt: TestRuntime, o: Parameters<typeof mount>[1] = {}): Promise<Mounted> {
  current = await mount(rt, o);
  return current;
}

describe('App layout', () => {
  test('room list groups rooms under the profile with state, unread count and mention marker', async () => {
    const st = demoState();
    st.setRoom(RANDOM, () => ({ unread: 4 }));
    st.set((s) => ({ profiles: { ...s.profiles, work: { name: 'work', service: 'rooms', state: 'reconnecting', capabilities: s.profiles['demo']!.capabilities } } }));
    st.addRoom({ ...st.getState().rooms[GENERAL]!, key: roomKey('work', 'ops'), profile: 'work', id: 'ops', name: 'ops', mentions: 2, unread: 5 });
    const ui = await open(new TestRuntime(st));
    await ui.waitFor(() => st.active === GENERAL, 'first room active in the store');
    const lines = ui.lines();
    const col = lines.map((l) => l.slice(0, 22));
    const iDemo = col.findIndex((l) => l.includes('● demo'));
    const iWork = col.findIndex((l) => l.includes('work reconnecting'));
    assert.ok(iDemo >= 0 && iWork > iDemo, `profiles listed in order:\n${col.join('\n')}`);
    assert.match(col[iDemo + 1]!, /› 1 #general/, 'rooms are numbered');
    assert.match(col[iDemo + 2]!, /  2 #random\s+4/);
    assert.match(col[iWork + 1]!, /  3 #ops\s+@2/);
  });

  test('message pane: time, author, wrapped text, edited mark, deleted placeholder, pending, failed with retry hint, system', async () => {
    const st = demoState();
    const long = 'word '.repeat(40).trim();
    st.setRoom(GENERAL, () => ({
      messages: [
        msg({ id: 'a', text: long, author: { id: 'jane', name: 'Jane' } }, Date.UTC(2026, 0, 5, 10, 0)),
        msg({ id: 'b', text: 'fixed typo', edited: true, author: { id: 'bob', name: 'Bob' } }, Date.UTC(2026, 0, 5, 10, 1)),
        msg({ id: 'c', text: 'secret', deleted: true, author: { id: 'bob', name: 'Bob' } }, Date.UTC(2026, 0, 5, 10, 2)),
        msg({ id: 'd', text: 'on its way', status: 'pending', author: { id: 'me', name: 'me' } }, Date.UTC(2026, 0, 5, 10, 3)),
        msg({ id: 'e', text: 'did not go', status: 'failed', error: 'rate limited', author: { id: 'me', name: 'me' } }, Date.UTC(2026, 0, 5, 10, 4)),
        msg({ id: 'f', text: 'bob followed', kind: 'system', author: { id: 'sys', name: 'system' } }, Date.UTC(2026, 0, 5, 10, 5)),
      ],
    }));
    const ui = await open(new TestRuntime(st));
    const f = ui.frame();
    const local = new Date(Date.UTC(2026, 0, 5, 10, 0));
    const hhmm = `${String(local.getHours()).padStart(2, '0')}:${String(local.getMinutes()).padStart(2, '0')}`;
    assert.ok(f.includes(`${hhmm}`), 'local time shown');
    const janeLines = ui.lines().filter((l) => l.includes('word'));
    assert.ok(janeLines.length >= 2, 'long text wraps onto several rows');
    for (const l of ui.lines()) assert.ok([...l].length <= 100, 'no row wider than the terminal');
    assert.match(f, /Jane │ word word/);
    assert.match(f, /fixed typo \(edited\)/);
    assert.match(f, /message deleted/);
    assert.doesNotMatch(f, /secret/);
    assert.match(f, /on its way ⧗/);
    assert.match(f, /✗ not sent: rate limited — Alt-R resend · Alt-E edit ·/);
    assert.match(f, /\* │ bob followed/);
  });

  test('hyperlinked URLs keep the layout (OSC 8 takes no cells)', async () => {
    const st = demoState();
    const url = 'https://example.com/path';
    st.setRoom(GENERAL, () => ({ messages: [msg({ text: `link ${url} here`, author: { id: 'j', name: 'Jane' } })] }));
    const ui = await open(new TestRuntime(st), { hyperlinks: true });
    assert.ok(ui.stdout.lastFrame().includes(`\x1b]8;;${url}\x07`), 'OSC 8 written');
    const row = ui.lines().find((l) => l.includes(url))!;
    assert.match(row, /Jane │ link https:\/\/example\.com\/path here$/);
    assert.ok(row.length <= 100);
  });

  test('the tree is exactly the terminal size (never taller), at several sizes', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ messages: Array.from({ length: 200 }, (_, i) => msg({ text: `line ${i} ${'x '.repeat(i % 30)}` })) }));
    const ui = await open(new TestRuntime(st), { columns: 80, rows: 24 });
    assert.equal(ui.lines().length, 24);
    await ui.resize(120, 40);
    assert.equal(ui.lines().length, 40);
    assert.match(ui.frame(), /line 199/);
    await ui.resize(50, 20);
    assert.equal(ui.lines().length, 20);
    for (const l of ui.lines()) assert.ok(l.length <= 50, `row fits 50 columns: ${JSON.stringify(l)}`);
  });

  test('typing/presence bar texts, and no bar when the service has neither', async () => {
    const st = demoState();
    const now = Date.now();
    st.setRoom(GENERAL, () => ({ typing: [{ user: { id: 'j', name: 'Jane' }, until: now + 60_000 }], online: Array.from({ length: 12 }, (_, i) => ({ id: `u${i}`, name: `u${i}` })) }));
    const ui = await open(new TestRuntime(st));
    assert.match(ui.frame(), /Jane is typing…/);
    assert.match(ui.frame(), /12 online/);
    st.setRoom(GENERAL, () => ({ typing: ['Jane', 'Bob', 'Ann'].map((n) => ({ user: { id: n, name: n }, until: now + 60_000 })) }));
    await ui.waitFor((f) => f.includes('Jane and 2 others are typing…'), 'three typers');
    st.setRoom(GENERAL, () => ({ typing: ['Jane', 'Bob'].map((n) => ({ user: { id: n, name: n }, until: now + 60_000 })) }));
    await ui.waitFor((f) => f.includes('Jane and Bob are typing…'), 'two typers');
    ui.unmount();

    const st2 = demoState({ caps: { typingReceive: false, presence: false } });
    st2.setRoom(GENERAL, () => ({ typing: [{ user: { id: 'j', name: 'Jane' }, until: now + 60_000 }], online: [{ id: 'x', name: 'x' }] }));
    const ui2 = await open(new TestRuntime(st2));
    assert.doesNotMatch(ui2.frame(), /typing|online/);
  });

  test('status line shows profile, reconnect countdown, hints and the newest error notice', async () => {
    const st = demoState({ state: 'reconnecting' });
    st.set((s) => ({ profiles: { ...s.profiles, demo: { ...s.profiles['demo']!, retryAt: Date.now() + 3000 } } }));
    const ui = await open(new TestRuntime(st));
    const last = ui.lines().at(-1)!;
    assert.match(last, /demo · reconnecting in [23]s/);
    assert.match(last, /F1 help/);
    st.set(() => ({ notices: [{ id: 1, time: Date.now(), profile: 'demo', level: 'error', text: 'auth failed: bad token' }] }));
    await ui.waitFor((f) => f.split('\n').at(-1)!.includes('demo: auth failed: bad token'), 'notice in status line');
  });
});

describe('App room choice', () => {
  test('the first room of the list is shown until the user picks one; rooms keep the order they were first listed in', async () => {
    const st = demoState();
    st.set((s) => ({ roomOrder: [RANDOM] }));
    const ui = await open(new TestRuntime(st));
    await ui.waitFor(() => st.active === RANDOM, 'only room shown');
    st.set(() => ({ roomOrder: [GENERAL, RANDOM] }));
    await ui.waitFor(() => /› 1 #random/.test(ui.frame()) && /  2 #general/.test(ui.frame()), 'a room listed later goes after the first');
    assert.equal(st.active, RANDOM);
    await ui.press(KEY.ctrl('n'));
    assert.equal(st.active, GENERAL);
    st.addRoom({ ...st.getState().rooms[GENERAL]!, key: roomKey('demo', 'aaa'), id: 'aaa', name: 'aaa' });
    st.set((s) => ({ roomOrder: [roomKey('demo', 'aaa'), ...s.roomOrder.filter((k) => k !== roomKey('demo', 'aaa'))] }));
    await ui.press('');
    assert.equal(st.active, GENERAL, 'a picked room stays');
  });
});

describe('App hostile input', () => {
  test('control sequences in names, texts, room names, topics and notices never reach the terminal', async () => {
    const evil = 'x\x1b[2J\x1b]0;pwned\x07\x1b]8;;http://e\x1b\\\x9b31m\u202eabc\x07\x08\ry';
    const st = demoState();
    st.setRoom(GENERAL, () => ({
      name: `gen${evil}`,
      topic: evil,
      messages: [msg({ text: evil, author: { id: 'e', name: `eve${evil}` }, status: 'failed', error: evil })],
      typing: [{ user: { id: 'e', name: `eve${evil}` }, until: Date.now() + 60_000 }],
      members: [{ id: 'e', name: evil }],
    }));
    st.set(() => ({ notices: [{ id: 1, time: Date.now(), profile: 'demo', level: 'error', text: evil }] }));
    const ui = await open(new TestRuntime(st));
    await ui.press(KEY.f2);
    const raw = ui.stdout.lastFrame();
    const withoutSgr = raw.replace(/\x1b\[[0-9;]*m/g, '');
    assert.doesNotMatch(withoutSgr, /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/, 'no control characters besides SGR and newlines');
    assert.match(ui.frame(), /eve/);
  });
});

describe('App keys', () => {
  test('Enter sends via the runtime, composer clears, Up recalls what was sent', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('hello there');
    assert.match(ui.frame(), /› hello there/);
    await ui.press(KEY.enter);
    assert.deepEqual(rt.sent, [{ key: GENERAL, text: 'hello there' }]);
    assert.doesNotMatch(ui.frame(), /› hello there/);
    await ui.press(KEY.up);
    assert.match(ui.frame(), /› hello there/);
    await ui.press(KEY.down);
    assert.doesNotMatch(ui.frame(), /› hello there/);
  });

  test('a chunk with several keys: text, Enter, text (multi-key input) sends the first line', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('ab\rcd');
    assert.deepEqual(rt.sent.map((s) => s.text), ['ab']);
    assert.match(ui.frame(), /› cd/);
  });

  test('typing sends a typing indicator; sending stops it', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('h');
    assert.deepEqual(rt.typing, [{ key: GENERAL, on: true }]);
    await ui.press(KEY.enter);
    assert.deepEqual(rt.typing.at(-1), { key: GENERAL, on: false });
  });

  test('Ctrl-N / Ctrl-P / Alt-Down / Alt-Up switch rooms and set the active room in the store', async () => {
    const st = demoState();
    const ui = await open(new TestRuntime(st));
    await ui.press(KEY.ctrl('n'));
    assert.equal(st.active, RANDOM);
    assert.match(ui.frame(), /› \d #random/);
    await ui.press(KEY.ctrl('n'));
    assert.equal(st.active, GENERAL, 'wraps around');
    await ui.press(KEY.altDown);
    assert.equal(st.active, RANDOM);
    await ui.press(KEY.altUp);
    assert.equal(st.active, GENERAL);
    await ui.press(KEY.ctrl('p'));
    assert.equal(st.active, RANDOM);
  });

  test('Alt-R retries, F5 reconnects the profile, Ctrl-L redraws (and does not reconnect)', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    let redraws = 0;
    const ui = await open(rt, { redraw: () => redraws++ });
    await ui.press(KEY.alt('r'));
    assert.deepEqual(rt.retried, [GENERAL]);
    await ui.press(KEY.f5);
    assert.deepEqual(rt.reconnects, ['demo']);
    await ui.press(KEY.ctrl('l'));
    assert.deepEqual(rt.reconnects, ['demo'], 'Ctrl-L does not reconnect');
    assert.equal(redraws, 1, 'Ctrl-L redraws');
  });

  test('Ctrl-C quits with code 0', async () => {
    const ui = await open(new TestRuntime(demoState()));
    await ui.press(KEY.ctrl('c'));
    await ui.exited;
    assert.equal(ui.exitCode(), 0);
    current = undefined;
  });

  test('read-only: the composer shows the reason and does not send text, but /commands work', async () => {
    const st = demoState({ caps: { readOnly: true, readOnlyReason: 'no token: read-only access' } });
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    assert.match(ui.frame(), /✗ read-only: no token: read-only access/);
    await ui.press('hi', KEY.enter);
    assert.deepEqual(rt.sent, []);
    await ui.press('/members', KEY.enter);
    assert.match(ui.frame(), /Members \(0\)/);
  });

  test('offline: typing allowed, the composer says sends are queued', async () => {
    const st = demoState({ state: 'offline' });
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    assert.match(ui.frame(), /offline: sends are queued/);
    await ui.press('queued msg', KEY.enter);
    assert.deepEqual(rt.sent.map((s) => s.text), ['queued msg']);
  });
});

describe('App scrolling (virtualised pane)', () => {
  function bigRoom(n: number): ReturnType<typeof demoState> {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ messages: Array.from({ length: n }, (_, i) => msg({ id: `m${i}`, text: `msg-${i}` }, 1_800_000_000_000 + i * 1000)), hasMoreHistory: true }));
    return st;
  }

  test('PgUp scrolls back, arrivals do not move the view, "N new" shows, End returns to the bottom', async () => {
    const st = bigRoom(500);
    const ui = await open(new TestRuntime(st), { rows: 20 });
    assert.match(ui.frame(), /msg-499/);
    await ui.press(KEY.pageUp);
    const before = ui.frame();
    assert.doesNotMatch(before, /msg-499\b/);
    assert.match(before, /more below/);
    const shown = before.split('\n').filter((l) => /msg-\d+/.test(l)).map((l) => /msg-(\d+)/.exec(l)![1]);
    st.setRoom(GENERAL, (r) => ({ messages: [...r.messages, msg({ id: 'new1', text: 'brand new' }, 1_900_000_000_000), msg({ id: 'new2', text: 'newer' }, 1_900_000_001_000)] }));
    const after = await ui.waitFor((f) => f.includes('2 new messages below'), '"2 new" marker');
    const shown2 = after.split('\n').filter((l) => /msg-\d+/.test(l)).map((l) => /msg-(\d+)/.exec(l)![1]);
    assert.deepEqual(shown2, shown, 'view did not move');
    // Backfill above does not move the view either.
    st.setRoom(GENERAL, (r) => ({ messages: [...Array.from({ length: 50 }, (_, i) => msg({ id: `old${i}`, text: `old-${i}` }, 1_700_000_000_000 + i)), ...r.messages] }));
    await ui.press('');
    const shown3 = ui.frame().split('\n').filter((l) => /msg-\d+/.test(l)).map((l) => /msg-(\d+)/.exec(l)![1]);
    assert.deepEqual(shown3, shown, 'backfill above did not move the view');
    await ui.press(KEY.ctrlEnd);
    assert.match(ui.frame(), /newer/);
    assert.doesNotMatch(ui.frame(), /new messages below|more below/);
  });

  test('at the bottom, new messages stick to the bottom', async () => {
    const st = bigRoom(50);
    const ui = await open(new TestRuntime(st), { rows: 20 });
    st.setRoom(GENERAL, (r) => ({ messages: [...r.messages, msg({ id: 'x', text: 'just arrived' }, 1_900_000_000_000)] }));
    await ui.waitFor((f) => f.includes('just arrived'), 'new message visible');
    assert.doesNotMatch(ui.frame(), /new messages below/);
  });

  test('PgUp to the top of what is loaded fetches older history; the loading row shows', async () => {
    const st = bigRoom(30);
    const rt = new TestRuntime(st);
    const ui = await open(rt, { rows: 20 });
    await ui.press(KEY.pageUp, KEY.pageUp, KEY.pageUp);
    assert.ok(rt.older.includes(GENERAL), 'loadOlder called');
    assert.match(ui.frame(), /msg-0\b/);
    st.setRoom(GENERAL, () => ({ loadingHistory: true }));
    await ui.waitFor((f) => f.includes('loading older messages…'), 'loading row');
    assert.equal(ui.lines().length, 20);
  });

  test('only the rows on screen are rendered, even with 20,000 messages', async () => {
    const st = bigRoom(20_000);
    const ui = await open(new TestRuntime(st), { rows: 24 });
    const f = ui.frame();
    assert.equal(f.split('\n').length, 24);
    const ids = f.split('\n').filter((l) => /msg-\d+/.test(l));
    assert.ok(ids.length < 24 && ids.length > 5);
    assert.match(f, /msg-19999/);
  });
});

describe('App overlays and commands', () => {
  test('F1 and ? (empty composer) open the help overlay; any key closes it', async () => {
    const ui = await open(new TestRuntime(demoState()));
    await ui.press(KEY.f1);
    assert.match(ui.frame(), /Keys and commands/);
    assert.match(ui.frame(), /next room/);
    await ui.press('q');
    assert.doesNotMatch(ui.frame(), /Keys and commands/);
    assert.doesNotMatch(ui.frame(), /› q/, 'the closing key is not typed');
    await ui.press('a', '?');
    assert.doesNotMatch(ui.frame(), /Keys and commands/, '? types when the composer has text');
    assert.match(ui.frame(), /› a\?/);
    await ui.press(KEY.ctrl('u'), '?');
    assert.match(ui.frame(), /Keys and commands/);
  });

  test('Ctrl-G and Ctrl-K (empty composer) open the fuzzy switcher; Enter opens the room', async () => {
    const st = demoState();
    const ui = await open(new TestRuntime(st));
    await ui.press(KEY.ctrl('k'));
    assert.match(ui.frame(), /Go to room:/);
    await ui.press('rnd');
    assert.match(ui.frame(), /› #random/);
    await ui.press(KEY.enter);
    assert.equal(st.active, RANDOM);
    assert.doesNotMatch(ui.frame(), /Go to room:/);
    await ui.press(KEY.ctrl('g'), 'gen', KEY.enter);
    assert.equal(st.active, GENERAL);
    // typed and Enter in one chunk (fast typing, a slow link): Enter opens what the query selects
    await ui.press(KEY.ctrl('g'), `rnd${KEY.enter}`);
    assert.equal(st.active, RANDOM);
    await ui.press(KEY.ctrl('g'), `gen${KEY.down}${KEY.up}${KEY.enter}`);
    assert.equal(st.active, GENERAL);
  });

  test('unknown /command is an error line and is not sent; //text sends /text', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('/frobnicate now', KEY.enter);
    assert.deepEqual(rt.sent, []);
    assert.match(ui.lines().at(-1)!, /unknown command \/frobnicate/);
    await ui.press(KEY.ctrl('u'), '//shrug', KEY.enter);
    assert.deepEqual(rt.sent.map((s) => s.text), ['/shrug']);
  });

  test('/join opens and switches to the room; /clear clears; /retry retries; /profile switches', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('/join lobby', KEY.enter);
    await ui.waitFor(() => st.active === roomKey('demo', 'lobby'), 'switched to lobby');
    assert.deepEqual(rt.joined, [{ profile: 'demo', ref: 'lobby' }]);
    await ui.press('/clear', KEY.enter);
    assert.deepEqual(st.cleared, [roomKey('demo', 'lobby')]);
    await ui.press('/retry', KEY.enter);
    assert.deepEqual(rt.retried, [roomKey('demo', 'lobby')]);
    await ui.press('/profile demo', KEY.enter);
    assert.equal(st.active, GENERAL);
    await ui.press('/profile nope', KEY.enter);
    assert.match(ui.lines().at(-1)!, /unknown profile: nope/);
  });

  test('/join where the service cannot join is an error line', async () => {
    const st = demoState({ caps: { join: false } });
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('/join lobby', KEY.enter);
    assert.deepEqual(rt.joined, []);
    assert.match(ui.lines().at(-1)!, /cannot open rooms/);
  });

  test('a paste of several lines asks before sending', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.paste('line one\rline two\rline three');
    assert.match(ui.frame(), /Paste of 3 lines/);
    assert.deepEqual(rt.sent, []);
    await ui.press(KEY.enter);
    assert.deepEqual(rt.sent.map((s) => s.text), ['line one\nline two\nline three']);
    await ui.paste('a\rb');
    await ui.press('n');
    assert.equal(rt.sent.length, 1, 'cancelled paste not sent');
    await ui.paste('single line');
    assert.match(ui.frame(), /› single line/);
    await ui.press(KEY.ctrl('u'));
    await ui.paste('first\rsecond');
    await ui.paste('sneaky\rpaste');
    assert.match(ui.frame(), /Paste of 2 lines/);
    assert.match(ui.frame(), /│ first/, 'a paste while the prompt is open is dropped, not typed as Enter');
    assert.equal(rt.sent.length, 1);
  });

  test('Tab completes member names and /commands', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ members: [{ id: 'j', name: 'Jane' }, { id: 'k', name: 'Jack' }] }));
    const ui = await open(new TestRuntime(st));
    await ui.press('/mem', KEY.tab);
    assert.match(ui.frame(), /› \/members/);
    await ui.press(KEY.ctrl('u'), 'ja', KEY.tab);
    assert.match(ui.frame(), /› (Jane|Jack):/);
    const first = /› (Jane|Jack)/.exec(ui.frame())![1];
    await ui.press(KEY.tab);
    const second = /› (Jane|Jack)/.exec(ui.frame())![1];
    assert.notEqual(first, second, 'Tab again cycles');
  });

  test('F2 toggles the member list with presence', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ members: [{ id: 'j', name: 'Jane' }, { id: 'b', name: 'Bob' }], online: [{ id: 'j', name: 'Jane' }] }));
    const ui = await open(new TestRuntime(st));
    await ui.press(KEY.f2);
    assert.match(ui.frame(), /Members \(2\)/);
    assert.match(ui.frame(), /● Jane/);
    assert.match(ui.frame(), /○ Bob/);
    await ui.press(KEY.f2);
    assert.doesNotMatch(ui.frame(), /Members/);
  });

  test('narrow terminal hides the room list behind F3', async () => {
    const ui = await open(new TestRuntime(demoState()), { columns: 50, rows: 20 });
    assert.doesNotMatch(ui.frame(), /● demo/);
    await ui.press(KEY.f3);
    assert.match(ui.frame(), /● demo/);
  });

  test('Alt-2 jumps to room 2; Alt-A goes to the room with mentions first', async () => {
    const st = demoState();
    st.addRoom({ ...st.getState().rooms[GENERAL]!, key: roomKey('demo', 'third'), id: 'third', name: 'third' });
    const ui = await open(new TestRuntime(st));
    await ui.press(KEY.alt('2'));
    assert.equal(st.active, RANDOM);
    await ui.press(KEY.alt('1'));
    st.setRoom(RANDOM, () => ({ unread: 3 }));
    st.setRoom(roomKey('demo', 'third'), () => ({ mentions: 1, unread: 1 }));
    await ui.press(KEY.alt('a'));
    assert.equal(st.active, roomKey('demo', 'third'));
  });

  test('mouse (opt-in): reporting turned on, wheel scrolls, a click opens a room; off without the option', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ messages: Array.from({ length: 200 }, (_, i) => msg({ id: `w${i}`, text: `wheel-${i}` }, 1_800_000_000_000 + i * 1000)) }));
    const ui = await open(new TestRuntime(st), { options: { mouse: true } });
    assert.ok(ui.output().includes('\x1b[?1000h\x1b[?1006h'), 'SGR mouse reporting on');
    await ui.press('\x1b[<64;40;10M');
    await ui.waitFor((f) => f.includes('more below'), 'wheel up scrolled');
    await ui.press('\x1b[<65;40;10M');
    await ui.waitFor((f) => !f.includes('more below'), 'wheel down back at the bottom');
    // Row 3 of the room list (y=2, 0-based) is #random.
    await ui.press('\x1b[<0;5;3M\x1b[<0;5;3m');
    assert.equal(st.active, RANDOM);
    ui.unmount();
    current = undefined;
    const ui2 = await open(new TestRuntime(demoState()));
    assert.ok(!ui2.output().includes('\x1b[?1000h'), 'no mouse reporting by default');
  });

  test('a mention in a room that is not shown rings the bell (configurable)', async () => {
    const st = demoState();
    const ui = await open(new TestRuntime(st));
    const bells = (): number => ui.output().split('\x07').length - 1;
    const before = bells();
    st.setRoom(RANDOM, () => ({ mentions: 1, unread: 1 }));
    await ui.waitFor(() => bells() === before + 1, 'bell rung');
    st.setRoom(RANDOM, () => ({ unread: 2 }));
    await ui.press('');
    assert.equal(bells(), before + 1, 'no bell without a new mention');
    ui.unmount();
    const st2 = demoState();
    const ui2 = await open(new TestRuntime(st2), { options: { bell: false } });
    st2.setRoom(RANDOM, () => ({ mentions: 1 }));
    await ui2.press('');
    assert.ok(!ui2.output().includes('\x07'), 'bell off by config');
    ui2.unmount();
    const st3 = demoState();
    const ui3 = await open(new TestRuntime(st3), { options: { bell: false, notify: true } });
    st3.setRoom(RANDOM, () => ({ mentions: 1, messages: [msg({ text: 'ping @me', mention: true, author: { id: 'b', name: 'Bob' } })] }));
    await ui3.waitFor(() => ui3.output().includes('\x1b]9;#random: Bob: ping @me\x07'), 'OSC 9 desktop notification');
  });

  test('a mention in the shown room rings only while the terminal is not focused (focus reporting)', async () => {
    const st = demoState();
    const ui = await open(new TestRuntime(st));
    assert.ok(ui.output().includes('\x1b[?1004h'), 'focus reporting on');
    const bells = (): number => ui.output().split('\x07').length - 1;
    const add = (id: string): void => st.setRoom(GENERAL, (r) => ({ messages: [...r.messages, msg({ id, text: `hey me ${id}`, mention: true, author: { id: 'b', name: 'Bob' } })] }));
    add('f1');
    await ui.press('');
    assert.equal(bells(), 0, 'focused: no bell for the room being read');
    await ui.press('\x1b[O');
    add('f2');
    await ui.waitFor(() => bells() === 1, 'bell while unfocused');
    await ui.press('\x1b[I');
    add('f3');
    await ui.press('');
    assert.equal(bells(), 1, 'focused again: no bell');
    assert.doesNotMatch(ui.frame(), /\[I|\[O/, 'focus reports are not typed');
  });

  test('NO_COLOR: frames carry no colour codes; with colours they do', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ messages: [msg({ text: 'colourful', author: { id: 'j', name: 'Jane' } })] }));
    const ui = await open(new TestRuntime(st), { noColor: true });
    const raw = ui.stdout.lastFrame();
    assert.match(plainCheck(raw), /colourful/);
    assert.doesNotMatch(raw, /\x1b\[(3[0-7]|9[0-7]|38;)/, 'no foreground colour codes');
    ui.unmount();
    const ui2 = await open(new TestRuntime(st), { noColor: false });
    assert.match(ui2.stdout.lastFrame(), /\x1b\[(3[0-7]|9[0-7])m/);
  });

  test('keys can be rebound from the config (ui.keys)', async () => {
    const st = demoState();
    const ui = await open(new TestRuntime(st), { options: { keys: { nextRoom: 'C-o' } } });
    await ui.press(KEY.ctrl('o'));
    assert.equal(st.active, RANDOM);
    await ui.press(KEY.ctrl('n'));
    assert.equal(st.active, RANDOM, 'Ctrl-N no longer switches rooms');
  });

  test('Alt-Enter makes a multi-line message; the composer grows and the tree stays the window size', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt, { rows: 20 });
    await ui.press('line one', KEY.altEnter, 'line two', KEY.altEnter, 'three');
    assert.match(ui.frame(), /› line one\n.*line two\n.*three/);
    assert.equal(ui.lines().length, 20);
    await ui.press(KEY.enter);
    assert.deepEqual(rt.sent.map((x) => x.text), ['line one\nline two\nthree']);
  });

  test('readline keys in the composer: Ctrl-A, Ctrl-K, Ctrl-Y, Ctrl-W, Alt-B, Delete, Home/End', async () => {
    const rt = new TestRuntime(demoState());
    const ui = await open(rt);
    await ui.press('hello brave world', KEY.alt('b'), KEY.ctrl('k'));
    assert.match(ui.frame(), /› hello brave\s*$/m);
    await ui.press(KEY.ctrl('a'), KEY.ctrl('y'));
    assert.match(ui.frame(), /› worldhello brave/);
    await ui.press(KEY.ctrl('e'), KEY.ctrl('w'));
    assert.match(ui.frame(), /› worldhello\s*$/m);
    await ui.press(KEY.home, KEY.delete, KEY.end, '!');
    assert.match(ui.frame(), /› orldhello !/);
    await ui.press(KEY.enter);
    assert.deepEqual(rt.sent.map((x) => x.text), ['orldhello !']);
  });

  test('Up/Down history is per room', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('in general', KEY.enter, KEY.ctrl('n'), 'in random', KEY.enter);
    await ui.press(KEY.up);
    assert.match(ui.frame(), /› in random/);
    await ui.press(KEY.up);
    assert.match(ui.frame(), /› in random/, 'no older entry in this room');
    await ui.press(KEY.ctrl('u'), KEY.ctrl('p'), KEY.up);
    assert.match(ui.frame(), /› in general/);
  });

  test('drafts are kept per room', async () => {
    const st = demoState();
    const ui = await open(new TestRuntime(st));
    await ui.press('draft for general', KEY.ctrl('n'));
    assert.doesNotMatch(ui.frame(), /draft for general/);
    await ui.press(KEY.ctrl('p'));
    assert.match(ui.frame(), /› draft for general/);
  });

  test('/help, /members, /reconnect, /quit', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    await ui.press('/help', KEY.enter);
    assert.match(ui.frame(), /Keys and commands/);
    await ui.press('q');
    await ui.press('/members', KEY.enter);
    assert.match(ui.frame(), /Members \(0\)/);
    await ui.press('/members', KEY.enter);
    assert.doesNotMatch(ui.frame(), /Members/);
    await ui.press('/reconnect', KEY.enter);
    assert.deepEqual(rt.reconnects, ['demo']);
    await ui.press('/quit', KEY.enter);
    await ui.exited;
    assert.equal(ui.exitCode(), 0);
    current = undefined;
  });

  test('/dm needs the dms capability; with it the notice from the service shows', async () => {
    const ui = await open(new TestRuntime(demoState()));
    await ui.press('/dm bob', KEY.enter);
    assert.match(ui.lines().at(-1)!, /no direct messages/);
    ui.unmount();
    const ui2 = await open(new TestRuntime(demoState({ caps: { dms: true } })));
    await ui2.press('/dm bob', KEY.enter);
    await ui2.waitFor((f) => f.split('\n').at(-1)!.includes('DM with bob requested'), 'DM notice');
  });

  test('moderation commands: an error and hidden without the capability; with it they reach the runtime', async () => {
    const ui = await open(new TestRuntime(demoState()));
    await ui.press('/ban troll', KEY.enter);
    assert.match(ui.lines().at(-1)!, /no moderation rights here/);
    await ui.press(KEY.f1);
    await ui.waitFor((f) => f.includes('Keys and commands'), 'help overlay');
    for (let i = 0; i < 4 && !ui.frame().includes('/profile NAME'); i++) await ui.press(KEY.pageDown);
    await ui.waitFor((f) => f.includes('/profile NAME'), 'end of the help');
    assert.doesNotMatch(ui.frame(), /\/timeout/);
    ui.unmount();

    const st = demoState({ caps: { moderation: true } });
    st.setRoom(GENERAL, () => ({
      messages: [
        msg({ id: 'a1', text: 'spam one', author: { id: 'u9', name: 'Troll' } }),
        msg({ id: 'a2', text: 'fine', author: { id: 'u2', name: 'bob' } }),
      ],
    }));
    const rt = new TestRuntime(st);
    const ui2 = await open(rt);
    await ui2.press('/delete @troll', KEY.enter);
    await ui2.press('/delete', KEY.enter);
    await ui2.press('/timeout Troll', KEY.enter);
    await ui2.press('/ban Troll', KEY.enter);
    await ui2.press('/unban Troll', KEY.enter);
    await ui2.waitFor(() => rt.moderated.length === 5, 'five moderation calls');
    assert.deepEqual(
      rt.moderated.map((m) => m.action),
      [
        { kind: 'delete', messageId: 'a1' },
        { kind: 'delete', messageId: 'a2' },
        { kind: 'timeout', user: 'Troll' },
        { kind: 'ban', user: 'Troll' },
        { kind: 'unban', user: 'Troll' },
      ],
    );
    assert.ok(rt.moderated.every((m) => m.key === GENERAL));
    await ui2.press('/delete nobody', KEY.enter);
    assert.match(ui2.lines().at(-1)!, /no loaded message from nobody/);
    assert.equal(rt.moderated.length, 5);
    await ui2.press(KEY.f1);
    await ui2.waitFor((f) => f.includes('Keys and commands'), 'help overlay');
    for (let i = 0; i < 4 && !ui2.frame().includes('/timeout USER'); i++) await ui2.press(KEY.pageDown);
    await ui2.waitFor((f) => f.includes('/timeout USER'), 'help lists moderation');
  });

  test('/part leaves the room and shows another one', async () => {
    const st = demoState();
    const rt = new TestRuntime(st);
    rt.part = async (key: string) => {
      st.set((s) => {
        const rooms = { ...s.rooms };
        delete rooms[key];
        return { rooms, roomOrder: s.roomOrder.filter((k) => k !== key) };
      });
    };
    const ui = await open(rt);
    await ui.press('/part', KEY.enter);
    await ui.waitFor(() => st.active === RANDOM, 'moved to the remaining room');
    assert.doesNotMatch(ui.frame(), /#general/);
  });

  test('Home/End on an empty composer go to the top/bottom of the room; Esc returns to the bottom', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ messages: Array.from({ length: 100 }, (_, i) => msg({ id: `h${i}`, text: `row-${i}` }, 1_800_000_000_000 + i * 1000)) }));
    const ui = await open(new TestRuntime(st), { rows: 20 });
    await ui.press(KEY.home);
    assert.match(ui.frame(), /row-0\b/);
    await ui.press(KEY.end);
    assert.match(ui.frame(), /row-99\b/);
    await ui.press(KEY.pageUp);
    assert.match(ui.frame(), /more below/);
    await ui.press(KEY.escape);
    await ui.waitFor((f) => !f.includes('more below') && f.includes('row-99'), 'Esc back at the bottom');
    await ui.press('abc', KEY.home, 'X');
    assert.match(ui.frame(), /› Xabc/, 'with text, Home moves in the line');
  });

  test('Alt-F / Alt-B move by words; Ctrl-D deletes at the cursor; Alt-D kills a word', async () => {
    const rt = new TestRuntime(demoState());
    const ui = await open(rt);
    await ui.press('one two three', KEY.ctrl('a'), KEY.alt('f'), KEY.alt('f'), '!');
    assert.match(ui.frame(), /› one two! three/);
    await ui.press(KEY.ctrl('a'), KEY.ctrl('d'));
    assert.match(ui.frame(), /› ne two! three/);
    await ui.press(KEY.alt('d'));
    assert.match(ui.frame(), /› {2}two! three/);
  });

  test('F3 hides the room list in a wide terminal', async () => {
    const ui = await open(new TestRuntime(demoState()));
    assert.match(ui.frame(), /● demo/);
    await ui.press(KEY.f3);
    assert.doesNotMatch(ui.frame(), /● demo/);
  });

  test('a failed profile disables the composer with the reason; F5 reconnects', async () => {
    const st = demoState({ state: 'failed' });
    st.set((s) => ({ profiles: { ...s.profiles, demo: { ...s.profiles['demo']!, reason: 'auth: bad token' } } }));
    const rt = new TestRuntime(st);
    const ui = await open(rt);
    assert.match(ui.frame(), /✗ demo failed: auth: bad token/);
    await ui.press('hello', KEY.enter);
    assert.deepEqual(rt.sent, []);
    await ui.press(KEY.f5);
    assert.deepEqual(rt.reconnects, ['demo']);
  });

  test('a message over the service limit is refused with an error line and kept', async () => {
    const rt = new TestRuntime(demoState({ caps: { maxMessageLength: 5 } }));
    const ui = await open(rt);
    await ui.press('too long text', KEY.enter);
    assert.deepEqual(rt.sent, []);
    assert.match(ui.lines().at(-1)!, /message too long: 13 characters, the limit is 5/);
    assert.match(ui.frame(), /› too long text/);
  });

  test('PgDn scrolls back down to the bottom; Ctrl-B / Ctrl-F move the cursor; Alt-L toggles the room list', async () => {
    const st = demoState();
    st.setRoom(GENERAL, () => ({ messages: Array.from({ length: 100 }, (_, i) => msg({ id: `d${i}`, text: `down-${i}` }, 1_800_000_000_000 + i * 1000)) }));
    const ui = await open(new TestRuntime(st), { rows: 20 });
    await ui.press(KEY.pageUp, KEY.pageUp);
    assert.doesNotMatch(ui.frame(), /down-99\b/);
    await ui.press(KEY.pageDown);
    assert.match(ui.frame(), /more below/);
    await ui.press(KEY.pageDown, KEY.pageDown);
    assert.match(ui.frame(), /down-99\b/);
    assert.doesNotMatch(ui.frame(), /more below/);
    await ui.press('ac', KEY.ctrl('b'), 'b', KEY.ctrl('f'), 'd');
    assert.match(ui.frame(), /› abcd/);
    await ui.press(KEY.alt('l'));
    assert.doesNotMatch(ui.frame(), /● demo/);
    await ui.press(KEY.alt('l'));
    assert.match(ui.frame(), /● demo/);
  });
});


function plainCheck(s: string): string {
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}
